"""optimizer.algorithms.breakpoints: a feasible start, a bound never below the optimum, optimal when it says so."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from instances import generate_collaboration_qkp, generate_qkp
from optimizer import SelectionProblem, solve
from optimizer.algorithms import breakpoints
from optimizer.algorithms.breakpoints import applies, breakpoint_start
from optimizer.algorithms.tabu import tabu_search
from optimizer.core.deadline import Deadline
from optimizer.core.result import Termination
from optimizer.core.verify import is_feasible
from optimizer.solvers.heuristic import cut_start
from tests.problem_strategies import classic_qkps, enumerate_optimum, hide_module, same_value

needs_maxflow = pytest.mark.skipif(not breakpoints.available()[0], reason="PyMaxflow is not importable")


def _best_within(problem: SelectionProblem, weight: float) -> float:
    """The best value over every portfolio of weight at most `weight` (enumeration, forced items kept) among
    the items that fit the budget on their own (the cuts never see the others)."""
    w = problem.A[0]
    heavy = np.setdiff1d(np.flatnonzero(w > problem.b[0] - w[problem.forced_in].sum() + 1e-9), problem.forced_in)
    return enumerate_optimum(problem.replace(b=[weight], forced_out=np.union1d(problem.forced_out, heavy)))[1]


@needs_maxflow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(classic_qkps(max_n=11))
def test_start_is_feasible_and_bound_is_valid(problem):
    termination, optimum, _ = enumerate_optimum(problem)
    start = breakpoint_start(problem)
    if termination is Termination.INFEASIBLE:      # the forced-in items alone break the row
        assert start is None
        return
    assert start is not None and is_feasible(problem, start.x)
    assert same_value(start.objective, problem.objective(start.x))
    assert start.objective <= optimum + 1e-6 <= start.bound + 2e-6
    if start.optimal:
        assert same_value(start.objective, optimum)
    # each breakpoint is the best portfolio of its own weight; the lower one fits the budget
    w = problem.A[0]
    assert w @ start.lower <= problem.b[0] + 1e-9 and np.all(start.lower <= start.upper)
    for s in (start.lower, start.upper):
        assert same_value(problem.objective(s.astype(np.int8)), _best_within(problem, float(w @ s)))
    core = start.core(problem)                  # the items between the two breakpoints stay free
    assert np.array_equal(np.sort(np.r_[core.forced_in, core.forced_out]),
                          np.sort(np.r_[np.flatnonzero(start.lower), np.flatnonzero(~start.upper)]))


@needs_maxflow
def test_a_budget_that_does_not_bind_is_proved_at_once():
    problem = SelectionProblem(c=[3.0, 0.0, 1.0], pair_i=[0], pair_j=[1], pair_q=[2.0], A=[[1.0, 1.0, 5.0]],
                               b=[10.0])
    start = breakpoint_start(problem)
    assert start is not None and start.optimal and start.cuts == 1
    assert start.x.tolist() == [1, 1, 1] and start.objective == start.bound == 6.0


def test_applies_names_what_is_in_the_way():
    two_rows = SelectionProblem(c=[1.0, 1.0], A=[[1.0, 1.0], [1.0, 0.0]], b=[1.0, 1.0])
    assert "exactly one knapsack row" in applies(two_rows)
    negative = SelectionProblem(c=[1.0, 1.0], pair_i=[0], pair_j=[1], pair_q=[-1.0], A=[[1.0, 1.0]], b=[1.0])
    assert "q >= 0" in applies(negative)
    assert applies(SelectionProblem(c=[1.0, 1.0], A=[[1.0, 1.0]], b=[1.0])) is None
    dense = generate_qkp(600, 100, seed=1)                  # 179,700 pairs: one cut would take seconds
    assert "179,700 pairs are above 150,000" in applies(dense)


def test_without_pymaxflow_the_search_starts_from_the_greedy(monkeypatch):
    hide_module(monkeypatch, "maxflow")
    ok, why = breakpoints.available()
    assert not ok and "pip install PyMaxflow" in why
    problem = generate_collaboration_qkp(200, seed=3, budget_share=0.05)
    assert cut_start(problem, Deadline(None)) is None
    result = solve(problem, solver="heuristic", time_limit=2)
    assert result.objective is not None and "breakpoints" not in result.log


@needs_maxflow
def test_large_sparse_problem_is_within_its_own_bound_and_its_core_is_solved():
    problem = generate_collaboration_qkp(1500, seed=3, budget_share=0.05)
    start = breakpoint_start(problem)
    assert start is not None and is_feasible(problem, start.x)
    # measured on seeds 1-3 at n = 1,500-3,000: 0.2-5% below its bound, and above the greedy's tabu search
    assert (start.bound - start.objective) / start.objective < 0.06
    assert start.objective > tabu_search(problem, time_limit=60, max_rounds=0, seed=0).objective
    # the 369 items between the breakpoints, solved exactly: 633 against the greedy fill's 603
    cored = cut_start(problem, Deadline(None))
    assert "369 items between them solved by branch and bound (optimal" in cored.note
    assert cored.objective > start.objective and cored.bound == start.bound and is_feasible(problem, cored.x)
    # in a solve with a time limit the core gets the search's share of it, so how far it gets depends on the
    # machine: never below the fill, and the pipeline never below the stage
    result = solve(problem, time_limit=1.5)
    stage = next(s for s in result.stages if s.stage == "breakpoints")
    assert stage["cuts"] == start.cuts and start.objective <= stage["objective"] <= cored.objective
    assert result.objective >= stage["objective"] and result.bound <= start.bound + 1e-6


@needs_maxflow
def test_ctrl_c_caught_by_the_cores_search_reaches_the_pipeline(monkeypatch):
    """The core's branch and bound catches Ctrl-C and says so; the start passes it on, so a solve answers
    it as interrupted instead of running on to its time limit (seen: a loaded test run's SIGINT lost)."""
    from dataclasses import replace

    from optimizer.algorithms import branch_and_bound as bb
    from optimizer.core.result import Termination
    from optimizer.solvers import heuristic

    real = bb.branch_and_bound
    monkeypatch.setattr(heuristic.bb, "branch_and_bound",
                        lambda *a, **k: replace(real(*a, **k), termination=Termination.INTERRUPTED))
    problem = generate_collaboration_qkp(1500, seed=3, budget_share=0.05)
    with pytest.raises(KeyboardInterrupt):
        cut_start(problem, Deadline(None))
    result = solve(problem, time_limit=60)
    assert result.termination is Termination.INTERRUPTED and result.x is not None
