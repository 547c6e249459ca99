"""The semidefinite bound: valid against enumeration at any accuracy, its bound on the other portfolios
valid too, and the pipeline stage that uses it on alliance scenarios."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.timing.concave_bound import EVERY_KIND
from instances import generate_alliance
from optimizer import SelectionProblem, solve
from optimizer.algorithms import semidefinite
from optimizer.algorithms.semidefinite import _entry, _others, _slack_matrix, semidefinite_bound
from optimizer.core.deadline import SHARES
from optimizer.core.result import Termination
from tests.optimizer.engine.test_concave import scenario_problems
from tests.problem_strategies import enumerate_optimum, problems

pytestmark = pytest.mark.skipif(not semidefinite.available()[0], reason=semidefinite.available()[1])


def without(problem: SelectionProblem, x: np.ndarray) -> SelectionProblem:
    """The problem with the portfolio x cut off (one more row): its optimum is the best other portfolio."""
    row = np.where(x > 0.5, 1.0, -1.0)
    return problem.replace(A=np.vstack([problem.A, row]), b=np.r_[problem.b, x.sum() - 1],
                           row_names=(*problem.row_names, "not x"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(problems(max_n=8), scenario_problems()), st.sampled_from([1e-6, 1e-2]))
def test_the_bound_and_the_bound_on_the_others_hold_against_enumeration(problem, accuracy):
    """Every constraint kind, mixed signs, levels; at a loose accuracy too (the bound comes from the dual)."""
    _, optimum, x = enumerate_optimum(problem)
    found = semidefinite_bound(problem, incumbent=x, accuracy=accuracy)
    assert found is not None
    if optimum is None:
        return
    assert found.bound >= optimum - 1e-7
    assert found.others <= found.bound
    _, second, _ = enumerate_optimum(without(problem, np.asarray(x, float)))
    if second is not None:
        assert found.others >= second - 1e-7


def best_with(problem: SelectionProblem, k: int, value: int) -> float:
    """The best portfolio with x_k = value, by enumeration (-inf when there is none)."""
    if value and k in problem.forced_out or not value and k in problem.forced_in:
        return -math.inf
    fixed = problem.replace(forced_in=np.union1d(problem.forced_in, [k])) if value else \
        problem.replace(forced_out=np.union1d(problem.forced_out, [k]))
    _, best, _ = enumerate_optimum(fixed)
    return -math.inf if best is None else best


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(problems(max_n=7), scenario_problems()), st.sampled_from([1e-6, 1e-2]))
def test_the_item_bounds_hold_against_enumeration(problem, accuracy):
    """Started from the second-best portfolio (not proven optimal, so the items' bounds are computed), every
    item's bound with it and without it is at least the best portfolio that takes it or leaves it."""
    _, optimum, x = enumerate_optimum(problem)
    if optimum is None:
        return
    _, second, other = enumerate_optimum(without(problem, np.asarray(x, float)))
    start = x if other is None else other
    found = semidefinite_bound(problem, incumbent=start, accuracy=accuracy)
    assert found is not None
    if found.bound_in is None:         # proven, or a single item (nothing to lift)
        return
    assert found.bound_out is not None
    for k in range(problem.n):
        assert found.bound_in[k] >= best_with(problem, k, 1) - 1e-7, k
        assert found.bound_out[k] >= best_with(problem, k, 0) - 1e-7, k


def test_the_item_bounds_fix_most_items_of_a_scenario_the_relaxation_nearly_proves():
    """(60 candidates, seed 3, every kind with levels: 98 items): the relaxation stays 0.5% above the
    optimum, so it does not prove it, yet bounds most items' other choice below its value."""
    problem = generate_alliance(60, seed=3, **EVERY_KIND).compile().problem
    start = solve(problem, time_limit=5, threads=1)
    assert start.x is not None and start.objective is not None
    found = semidefinite_bound(problem, incumbent=start.x)
    assert found is not None and found.bound_in is not None and found.bound_out is not None
    assert found.bound > start.objective
    fixed = np.count_nonzero(found.bound_in < start.objective) + np.count_nonzero(found.bound_out < start.objective)
    assert fixed >= problem.n // 2


@pytest.mark.parametrize("chosen", [[0], [1, 3], [0, 2, 3, 4]])
def test_the_bound_on_the_others_is_exact_where_the_slack_vanishes_only_at_the_incumbent(chosen):
    """W = l2 (I - u u') with u along z* = (1, x*): f(z) <= B - z'Wz, and the best other 0/1 point lies at
    the least distance the docstring derives, so `others` is exactly the largest B - z'Wz over z != z*."""
    n, B, l2 = 6, 10.0, 0.3
    x = np.zeros(n)
    x[chosen] = 1
    u = np.r_[1.0, x] / np.linalg.norm(np.r_[1.0, x])
    W = l2 * (np.eye(n + 1) - np.outer(u, u))
    lam, vectors = np.linalg.eigh(W)
    others = [B - np.r_[1.0, z] @ W @ np.r_[1.0, z]
              for z in (np.array([(k >> i) & 1 for i in range(n)], float) for k in range(2 ** n)) if (z != x).any()]
    assert _others(W, B, lam, vectors[:, 0], x, trace=n + 1.0) == pytest.approx(max(others), abs=1e-9)


def test_it_is_tight_and_proves_small_scenarios_optimal():
    problem = generate_alliance(60, seed=1).compile().problem
    result = solve(problem.replace(concave=None), time_limit=30)           # the MIP path, for the optimum
    assert result.termination is Termination.OPTIMAL
    found = semidefinite_bound(problem, incumbent=np.asarray(result.x))
    assert found is not None and result.objective <= found.bound
    # proven: every other portfolio below it, or the bound within the tolerance
    assert found.others < result.objective or found.bound <= result.objective * (1 + 1e-6)
    exact = semidefinite_bound(problem, incumbent=np.asarray(result.x), accuracy=1e-8)
    assert exact is not None and result.objective <= exact.bound
    assert exact.others < result.objective                  # the certificate: no other portfolio is as good


def test_the_bound_holds_when_the_time_limit_stops_it_at_once():
    problem = generate_alliance(60, seed=2).compile().problem
    reference = solve(problem, time_limit=30)
    assert reference.termination is Termination.OPTIMAL
    found = semidefinite_bound(problem, time_limit=0.05)
    assert found is not None and "time" in found.status
    assert found.bound >= reference.objective


def test_fixings_that_leave_a_cover_empty_give_minus_infinity():
    problem = SelectionProblem(c=[1.0, 2.0, 3.0], covers=[[0, 1]], forced_out=[0, 1])
    found = semidefinite_bound(problem)
    assert found is not None and found.bound == -math.inf


def test_the_matrix_of_a_vector_keeps_inner_products():
    rng = np.random.default_rng(3)
    N = 5
    Y = rng.random((N, N))
    Y = Y + Y.T
    rows, cols = np.tril_indices(N)
    k, scale = _entry(rows, cols, N)
    y = np.zeros(k.size)
    y[k] = Y[rows, cols] / scale                             # Y[a, b] = y_k * scale
    w = rng.random(k.size)
    assert w @ y == pytest.approx(float(np.sum(_slack_matrix(w, N) * Y)))


def test_without_scs_the_bound_says_why_and_the_pipeline_skips_the_stage(monkeypatch):
    monkeypatch.setitem(sys.modules, "scs", None)            # import scs now raises ImportError
    ready, why = semidefinite.available()
    assert not ready and "scs" in why
    problem = generate_alliance(60, seed=2).compile().problem
    assert semidefinite_bound(problem) is None
    monkeypatch.setitem(SHARES, "outer first", 0.01)
    result = solve(problem, time_limit=1)
    stage = next(s for s in result.stages if s.stage == "semidefinite bound")
    assert "scs not importable" in stage["skipped"]


def test_the_pipeline_proves_with_it_where_the_outer_approximation_stops_first(monkeypatch):
    """150 candidates, seed 1: the outer approximation took 9.4 s to prove it; here it goes first (as on
    fewer than LIFTED_FIRST_ITEMS items) with 1% of the time, then the semidefinite bound proves the incumbent
    (in about 2 s)."""
    from optimizer.engine import pipeline

    monkeypatch.setattr(pipeline, "LIFTED_FIRST_ITEMS", 1000)
    monkeypatch.setitem(SHARES, "outer first", 0.01)
    result = solve(generate_alliance(150, seed=1).compile().problem, time_limit=20)
    assert result.termination is Termination.OPTIMAL and result.objective == pytest.approx(24.5007602, abs=1e-6)
    names = [s.stage for s in result.stages]
    assert names[-2:] == ["outer approximation", "semidefinite bound"], names
    assert result.stages[-2]["termination"] == "time_limit"
    assert result.stages[-1]["bound"] == result.objective and "semidefinite" in result.message


def test_the_pipeline_searches_only_what_the_item_bounds_leave_open(monkeypatch):
    """60 candidates, seed 3, every kind with levels (98 items): the relaxation stays 0.5% above the optimum,
    so it does not prove it, but it fixes half the items, and the outer approximation proves the optimum on
    the rest (the same value as the outer approximation alone, which proves it in about 3 s)."""
    problem = generate_alliance(60, seed=3, **EVERY_KIND).compile().problem
    reference = solve(problem, time_limit=30)
    assert reference.termination is Termination.OPTIMAL
    assert "semidefinite bound" not in [s.stage for s in reference.stages]
    monkeypatch.setitem(SHARES, "outer first", 0.01)
    result = solve(problem, time_limit=30)
    lifted = next(s for s in result.stages if s.stage == "semidefinite bound")
    assert lifted["relaxation"] > result.objective + 1e-3
    assert lifted["fixed_in"] + lifted["fixed_out"] >= problem.n // 2
    assert result.stages[-1].stage == "outer approximation"
    assert result.stages[-1]["items_free"] == lifted["items_free"] < problem.n // 2
    assert result.termination is Termination.OPTIMAL
    assert result.objective == pytest.approx(reference.objective, abs=1e-9)


def test_ctrl_c_inside_scs_returns_the_portfolio_as_interrupted(monkeypatch):
    import scs

    class Interrupted:
        def __init__(self, *args, **kwargs):
            pass

        def solve(self):
            return {"info": {"status_val": -5, "status": "interrupted", "iter": 3}, "y": np.zeros(1)}

    monkeypatch.setattr(scs, "SCS", Interrupted)
    monkeypatch.setitem(SHARES, "outer first", 0.01)
    result = solve(generate_alliance(60, seed=2).compile().problem, time_limit=2)
    assert result.termination is Termination.INTERRUPTED
    assert result.x is not None


def test_on_large_problems_the_semidefinite_bound_goes_first(monkeypatch):
    """From LIFTED_FIRST_ITEMS free items on the outer approximation's first turn is skipped."""
    from optimizer.engine import pipeline

    monkeypatch.setattr(pipeline, "LIFTED_FIRST_ITEMS", 10)
    result = solve(generate_alliance(60, seed=1).compile().problem, time_limit=20)
    names = [s.stage for s in result.stages]
    assert names[names.index("concave bound") + 1] == "semidefinite bound", names
    assert "outer approximation" not in names and result.termination is Termination.OPTIMAL


def test_a_relaxation_that_will_not_prove_is_abandoned_early_with_a_valid_bound():
    """generate_alliance(60, seed=4): the relaxation lies 2.4% above the optimum."""
    problem = generate_alliance(60, seed=4).compile().problem
    result = solve(problem, time_limit=30)
    assert result.termination is Termination.OPTIMAL
    whole = semidefinite_bound(problem, incumbent=np.asarray(result.x))
    early = semidefinite_bound(problem, incumbent=np.asarray(result.x), abandon=5e-4)
    assert whole is not None and early is not None and early.status.startswith("abandoned")
    assert early.iterations < whole.iterations
    assert early.bound >= whole.bound >= result.objective * (1 + 1e-3)
