"""What limits a portfolio: binding limits, and the best partner left out, against a plain oracle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from instances import generate_alliance, read_scenario
from optimizer import solve
from optimizer.core.verify import violations
from optimizer.domain.limits import what_limits
from optimizer.domain.settings import flag_values

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "alliance-60"


def _best_addition_oracle(compiled, x):
    """Try every left-out partner item one at a time: the best objective change among the feasible ones."""
    prob = compiled.problem
    aux = np.flatnonzero(compiled.item_candidate < 0)
    foreign = flag_values(compiled.scenario.candidates["foreign"])
    best, best_item = None, None
    for i in compiled.partner_items:
        if x[i] > 0.5:
            continue
        y = x.copy()
        y[i] = 1.0
        if aux.size:
            chosen = compiled.partner_items[y[compiled.partner_items] > 0.5]
            y[aux] = 0.0
            y[aux[:int(foreign[compiled.item_candidate[chosen]].sum())]] = 1.0
        if violations(prob, y, limit=1):
            continue
        change = prob.objective(y) - prob.objective(x)
        if best is None or change > best + 1e-12:
            best, best_item = change, int(i)
    return best, best_item


@pytest.fixture(scope="module")
def example_result():
    return solve(read_scenario(EXAMPLE), time_limit=60)


def test_on_the_example_no_limit_binds_and_the_costs_stop_growth(example_result):
    rep = example_result.report
    limits = rep.what_limits()
    assert not limits.binding()
    budget = next(lim for lim in limits.limits if lim.name == "budget")
    assert budget.slack == pytest.approx(rep.metrics()["slack_budget"])
    best, item = _best_addition_oracle(rep.compiled, rep.x)
    assert limits.best_addition is not None and limits.best_addition.item == item
    assert limits.best_addition.change == pytest.approx(best) and best < 0
    assert sum(limits.best_addition.by_term.values()) == pytest.approx(best)
    text = "\n".join(limits.sentences())
    assert "No limit is used up" in text and limits.best_addition.partner in text and "points" in text
    assert "What limits the portfolio" in rep.to_text()


def test_a_budget_cut_to_what_the_portfolio_uses_binds(example_result):
    rep = example_result.report
    used = float(rep.metrics()["use_budget"])
    tight = solve(rep.compiled.scenario.variant("tight", budget=used), time_limit=60)
    limits = tight.report.what_limits()
    assert [lim.name for lim in limits.binding()] == ["budget"]
    assert limits.sentences()[0].startswith("Limits that bind: budget")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 5000), n=st.integers(5, 12), levels=st.booleans(), foreign=st.booleans(),
       caps=st.booleans(), share=st.floats(0.3, 1.0))
def test_the_best_addition_and_the_binding_limits_match_the_oracle(seed, n, levels, foreign, caps, share):
    scenario = generate_alliance(n, n_domains=4, seed=seed, levels=levels, foreign_value=foreign, region_caps=caps)
    scenario = scenario.variant("scaled", scale_limits={"budget": share})
    result = solve(scenario, solver="heuristic", seed=0)
    if not result.has_solution:
        return
    compiled, x = result.report.compiled, result.report.x
    limits = what_limits(compiled, x)
    best, item = _best_addition_oracle(compiled, x)
    if best is None:
        assert limits.best_addition is None
    else:
        assert limits.best_addition is not None and limits.best_addition.change == pytest.approx(best)
        assert sum(limits.best_addition.by_term.values()) == pytest.approx(best)
    prob = compiled.problem
    use = prob.A @ x
    for lim in limits.limits:
        if lim.name in prob.row_names and not lim.name.startswith("foreign_share"):
            r = prob.row_names.index(lim.name)
            assert lim.binding == bool(prob.b[r] - use[r] <= 1e-6 * max(1.0, abs(prob.b[r])))


def test_why_not_takes_ids_and_names_and_suggests_for_an_unknown_one(example_result):
    from optimizer.core.errors import ProblemError

    rep = example_result.report
    assert rep.why_not("Turin Agrifood Cluster").message == "already in the portfolio"
    assert rep.why_not("turin agrifood cluster").message == "already in the portfolio"
    with pytest.raises(ProblemError, match="did you mean C042 \\(Turin Agrifood Cluster\\)"):
        rep.why_not("Turin Agrifod Cluster")
    wn = rep.why_not("C017")
    assert wn.cost > 0 and "points less than the recommended one" in str(wn)


def test_limits_with_slack_that_no_partner_fits_are_named_with_what_is_left(example_breadth_result):
    # the established-cluster strategy left 4.2 of the budget, too little for any partner left out: the text
    # once said "no limit binds" and then "every partner would break a limit" without saying how
    limits = example_breadth_result.report.what_limits()
    text = " ".join(limits.sentences())
    assert limits.best_addition is None and not limits.binding()
    assert f"None of the {limits.left_out} partners left out fits" in text and "left) keeps out" in text


def test_why_not_suggests_the_names_that_contain_a_partial_one(example_result):
    from optimizer.core.errors import ProblemError

    with pytest.raises(ProblemError, match="did you mean C042 \\(Turin Agrifood Cluster\\)"):
        example_result.report.why_not("turin")
