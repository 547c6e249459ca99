"""compare() and frontier() on the bundled example, against solving each scenario alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optimizer import ProblemError, solve
from optimizer.analysis.compare import compare
from optimizer.analysis.frontier import frontier
from optimizer.domain.terms import TERMS
from tests.conftest import FRONTIER_SHARES  # the budget shares the shared frontier fixture solves

COST_TERMS = [t.name for t in TERMS if t.role == "cost"]

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "alliance-60"


@pytest.fixture(scope="module")
def base(example):
    return example


@pytest.fixture(scope="module")
def comparison(example_comparison):
    return example_comparison


def test_summary_has_a_column_per_scenario_and_terms_that_add_up(base, comparison):
    table = comparison.summary()
    assert list(table.columns) == [base.name, "lean", "reputation", "impossible"]
    for name in (base.name, "lean", "reputation"):
        col = table[name]
        assert col["termination"] == "optimal"
        terms = sum(float(col[r]) for r in table.index if r.startswith("term: "))
        assert terms == pytest.approx(float(col["objective"]), abs=1e-6)
        assert col["objective"] == pytest.approx(solve(comparison.scenarios[name], time_limit=60).objective)
        assert float(col["slack budget"]) >= -1e-9
    assert table.loc["termination", "impossible"] == "infeasible"
    assert table.loc["note", "impossible"]  # the reason in words


def test_portfolios_and_diff_agree_with_the_reports(base, comparison):
    table = comparison.portfolios()
    for name in (base.name, "lean", "reputation"):
        chosen = set(comparison.results[name].report.partners()["id"].astype(str))
        assert set(table.index[table[name] != ""]) == chosen
    assert (table["impossible"] == "").all()
    d = comparison.diff(base.name, "lean")
    a = set(comparison.results[base.name].report.partners()["id"].astype(str))
    b = set(comparison.results["lean"].report.partners()["id"].astype(str))
    assert set(d.loc[d["change"] == "added", "id"]) == b - a
    assert set(d.loc[d["change"] == "dropped", "id"]) == a - b
    assert d["contribution"].notna().all()
    changes = comparison.term_changes(base.name, "reputation")
    assert changes["reputation"] > 0  # the reputation-seeking cluster gains reputation


def test_reputation_variant_gathers_more_reputation(base, comparison):
    cand = base.candidates.set_index("id")
    rep = lambda name: cand.loc[comparison.results[name].report.partners()["id"], "reputation"].sum()  # noqa: E731
    assert rep("reputation") > rep(base.name)


def test_parallel_compare_gives_the_same_results(base, comparison):
    again = compare([comparison.scenarios[n] for n in (base.name, "lean")], jobs=2, time_limit=60)
    for name in again.names:
        assert again.results[name].objective == pytest.approx(comparison.results[name].objective)


def test_compare_refuses_duplicate_names_and_other_candidates(base):
    with pytest.raises(ProblemError, match="named"):
        compare([base, base])
    other = base.replace(candidates=base.candidates.iloc[:-1].copy(), name="other", mandatory=(), excluded=(),
                         pairs=None)
    with pytest.raises(ProblemError, match="candidate tables differ"):
        compare([base, other])
    with pytest.raises(ProblemError, match="at least one"):
        compare([])




@pytest.fixture(scope="module")
def budget_frontier(example_budget_frontier):
    return example_budget_frontier


def test_budget_frontier_is_monotone_and_marks_changes(base, budget_frontier):
    values = FRONTIER_SHARES * base.limits["budget"]
    fr = budget_frontier
    t = fr.table
    assert t["value"].is_monotonic_increasing
    assert set(np.round(values, 9)) <= set(np.round(t["value"], 9))
    assert t.loc[t["current"], "value"].tolist() == [base.limits["budget"]]       # the current limit, marked
    assert len(t) == len(FRONTIER_SHARES) + 1 + fr.refined and fr.refined >= 2
    assert (t["used"] <= t["value"] + 1e-6).all()
    assert t["optimal"].all()
    assert (np.diff(t["objective"].to_numpy()) >= -1e-9).all()  # more budget never hurts
    first_changes = t["changed"].to_numpy()
    assert not first_changes[0]
    for _, row in t[t["changed"]].iterrows():
        assert row["added"] or row["dropped"]
    assert (t["gain"] - t["cost"]).to_numpy() == pytest.approx(t["objective"].to_numpy(), abs=1e-6)


def test_the_budget_frontier_changes_exactly_at_each_portfolios_own_use(base, budget_frontier):
    # it once reported a change at a grid value (149.7) though the portfolio changes at its own use (131.2)
    steps = budget_frontier.steps()
    assert len(steps) >= 3 and steps["exact"].iloc[1:].all() and steps["start"].is_monotonic_increasing
    assert steps.loc[steps["current"], "start"].tolist() == pytest.approx([131.2])   # base: budget used 131.2
    # independent solves just above a change give the new portfolio's objective, just below it the previous one's
    for k in range(len(steps) - 2, len(steps)):       # the two changes nearest the current budget
        start = steps["start"].iloc[k]
        for limit, step in ((start + 1e-3, k), (start - 1e-3, k - 1)):
            res = solve(base.variant("probe", budget=limit), time_limit=60)
            assert res.objective == pytest.approx(steps["objective"].iloc[step], abs=1e-9), (limit, step)


def test_cost_weight_frontier_trades_gain_for_cost(base):
    fr = frontier(base, vary="cost_weight", values=[0.0, 1.0, 3.0], time_limit=60)
    t = fr.table
    assert t["optimal"].all()
    # heavier cost weights never choose a portfolio with higher costs (base weights)
    assert (np.diff(t["cost"].to_numpy()) <= 1e-9).all()
    assert set(COST_TERMS) <= set(fr.comparison.results[t["scenario"][0]].report.breakdown().index)


@pytest.mark.parametrize("kwargs, words", [
    ({"vary": "money"}, "cannot vary 'money'"),
    ({"vary": "budget", "values": []}, "at least one value"),
    ({"vary": "budget", "values": [10, -1]}, "not a limit"),
    ({"vary": "budget", "values": [10, 10]}, "distinct"),
])
def test_bad_frontier_requests(base, kwargs, words):
    with pytest.raises(ProblemError, match=words):
        frontier(base, **kwargs)
