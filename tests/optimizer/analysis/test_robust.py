"""robustness(): every number recomputed independently from the samples, the same for a seed on
every backend, and the robust portfolio at least as good as the recommended one where it competes."""

from __future__ import annotations

import numpy as np
import pytest

from instances import generate_alliance
from optimizer import ProblemError, solve
from optimizer.analysis.robust import robustness, tail_mean
from optimizer.core.verify import is_feasible
from optimizer.domain.uncertainty import Uncertainty

SAMPLES = 6
UNCERTAINTY = Uncertainty(relative={"k_*": 0.15, "reputation": 0.3, "use_budget": 0.1})


@pytest.fixture(scope="module")
def scenario():
    return generate_alliance(16, n_domains=4, seed=21).replace(uncertainty=UNCERTAINTY)


@pytest.fixture(scope="module")
def rob(scenario):
    return robustness(scenario, samples=SAMPLES, seed=4, time_limit=60)


def _tables(scenario):
    return UNCERTAINTY.sample(scenario.candidates, scenario.estimated_columns, SAMPLES, 4)


def test_each_sample_row_is_the_sample_solved_again(scenario, rob):
    recommended = solve(scenario, time_limit=60)
    assert rob.recommended.objective == pytest.approx(recommended.objective)
    rec_ids = set(recommended.report.partners()["id"].astype(str))
    for k, table in enumerate(_tables(scenario)):
        row = rob.samples.iloc[k]
        sample = scenario.replace(candidates=table, uncertainty=None)
        res = solve(sample, time_limit=60)
        assert row["objective"] == pytest.approx(res.objective, abs=1e-6)
        assert row["proven"]
        compiled = sample.compile()
        ids = compiled.scenario.ids
        x = np.array([float(ids[c] in rec_ids) if c >= 0 else 0.0 for c in compiled.item_candidate])
        x = compiled.with_foreign_count(x)
        feasible = is_feasible(compiled.problem, x)
        assert row["recommended value"] == pytest.approx(compiled.problem.objective(x))
        assert row["recommended feasible"] == feasible
        assert row["regret"] == pytest.approx(row["objective"] - compiled.problem.objective(x))
        assert row["regret"] >= -1e-6 or not feasible


def test_inclusion_counts_the_samples_best_portfolios(scenario, rob):
    counts: dict[str, int] = {}
    for portfolio in rob.samples["portfolio"]:
        for pid in portfolio:
            counts[pid] = counts.get(pid, 0) + 1
    got = rob.inclusion.set_index("id")["frequency"]
    for cid in scenario.ids:
        assert got[cid] == pytest.approx(counts.get(cid, 0) / SAMPLES)
    assert list(rob.inclusion["frequency"]) == sorted(rob.inclusion["frequency"], reverse=True)
    assert set(rob.inclusion.loc[rob.inclusion["recommended"], "id"]) == set(rob.recommended_portfolio)


def test_the_robust_portfolio_is_checked_and_beats_the_recommended_one(rob):
    best = rob.robust
    assert best is not None and best.termination.value == "optimal"
    values = rob.samples["robust value"].to_numpy(float)
    assert best.value == pytest.approx(tail_mean(values, best.tail))
    assert best.worst == pytest.approx(values.min()) and best.mean == pytest.approx(values.mean())
    assert best.bound >= best.value - 1e-9
    if rob.samples["recommended feasible"].all():
        assert best.value >= tail_mean(rob.samples["recommended value"], best.tail) - 1e-6


def test_a_seed_gives_the_same_answer_with_two_processes(scenario, rob):
    again = robustness(scenario, samples=SAMPLES, seed=4, jobs=2, robust=False, time_limit=60)
    assert again.inclusion[["id", "frequency"]].equals(rob.inclusion[["id", "frequency"]])
    assert np.allclose(again.samples["objective"], rob.samples["objective"])


def test_the_summary_says_how_sure_the_recommendation_is(rob):
    text = rob.summary()
    assert f"{SAMPLES} samples, seed 4" in text and "reputation +-30%" in text
    share = rob.samples["recommended best"].mean()
    assert f"the best portfolio in {share:.0%} of the samples" in text
    assert "The robust portfolio (best mean of the worst 10% of samples" in text


def test_bad_requests_name_the_field(scenario):
    with pytest.raises(ProblemError, match="samples is -1") as err:
        robustness(scenario, samples=-1)
    assert err.value.where == ("samples",)
    with pytest.raises(ProblemError, match="says nothing about how far its estimates") as err:
        robustness(scenario.replace(uncertainty=None), samples=2)
    assert err.value.where == ("uncertainty",)
    with pytest.raises(ProblemError, match="tail is 0") as err:
        robustness(scenario, samples=2, tail=0)
    with pytest.raises(ProblemError, match="not an estimated column"):
        robustness(scenario, Uncertainty(relative={"budget": 0.1}), samples=2)


def test_no_robust_portfolio_when_no_portfolio_meets_every_limit_in_every_sample():
    sc = generate_alliance(10, n_domains=3, seed=8)
    cid = sc.ids[0]
    use = float(sc.candidates["use_budget"].iloc[0])
    loose = {r: 1e6 for r in sc.limits if r != "budget"}
    tight = sc.variant("tight", force_in=[cid], budget=use * 1.01, size_min=1, tech_change=0.0,
                       foreign_share_min=0.0, foreign_share_max=1.0, **loose)
    u = Uncertainty(relative={"use_budget": 0.5})
    rob = robustness(tight.replace(uncertainty=u), samples=6, seed=1, time_limit=60)
    assert rob.robust is not None and rob.robust.value is None
    assert "no portfolio meets every limit in every sample" in rob.robust.message
    assert not rob.samples["recommended feasible"].all()
    assert "No robust portfolio" in rob.summary()


def test_dask_gives_the_same_answer_as_local_processes(scenario, rob):
    pytest.importorskip("distributed")
    on_dask = robustness(scenario, samples=SAMPLES, seed=4, jobs=2, dask="local", robust=False, time_limit=60)
    assert on_dask.inclusion[["id", "frequency"]].equals(rob.inclusion[["id", "frequency"]])
    assert np.allclose(on_dask.samples["objective"], rob.samples["objective"])
    assert np.allclose(on_dask.samples["recommended value"], rob.samples["recommended value"])
