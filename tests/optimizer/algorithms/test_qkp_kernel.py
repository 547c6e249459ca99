"""optimizer.algorithms.qkp_kernel, driven by branch_and_bound: the optimum, and valid bounds at any stop."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optimizer.algorithms.branch_and_bound as bb
import optimizer.algorithms.qkp_kernel as kernel
from instances import generate_qkp
from optimizer import solve
from optimizer.algorithms.branch_and_bound import branch_and_bound
from optimizer.core.result import Termination
from optimizer.core.verify import is_feasible, violations
from tests.optimizer.algorithms.numpy_branch_and_bound import numpy_branch_and_bound
from tests.problem_strategies import (
    classic_qkps,
    enumerate_optimum,
    hide_module,
    kernel_problem,
    problems,
    same_value,
)

needs_numba = pytest.mark.skipif(not kernel.compiled_available()[0], reason="numba is not importable")


@needs_numba
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(classic_qkps(), st.sampled_from([kernel.BRANCH_FRACTIONAL, kernel.BRANCH_STATIC]))
def test_kernel_equals_enumeration(problem, branching):
    _assert_exact(problem, branching)


def _assert_exact(problem, branching):
    """The kernel's answer is the enumerated optimum, feasible, with bounds never below it."""
    termination, optimum, _ = enumerate_optimum(problem)
    run = branch_and_bound(problem, branching=branching)
    if termination is Termination.INFEASIBLE:
        assert run.termination is Termination.INFEASIBLE and run.x is None
        return
    assert run.termination is Termination.OPTIMAL
    assert is_feasible(problem, run.x.astype(float)), violations(problem, run.x.astype(float))
    assert same_value(problem.objective(run.x), optimum) and same_value(run.bound, optimum)
    assert run.root_bound >= optimum - 1e-6


@needs_numba
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(problems(max_n=10).map(kernel_problem), st.sampled_from([kernel.BRANCH_FRACTIONAL, kernel.BRANCH_STATIC]))
def test_kernel_equals_enumeration_with_every_kind_it_takes(problem, branching):
    # several rows, a size limit, conflicts, groups, mixed-sign gains and pair values, forced items
    assert bb.applies(problem) is None
    _assert_exact(problem, branching)


@needs_numba
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_n=10).map(kernel_problem), st.integers(0, 2**32 - 1))
def test_a_start_keeps_the_answer_exact_with_every_kind(problem, seed):
    termination, optimum, x = enumerate_optimum(problem)
    if termination is Termination.INFEASIBLE:
        return
    # a feasible start (the optimum with random items dropped when that stays feasible) or an infeasible one
    rng = np.random.default_rng(seed)
    start = np.asarray(x, float).copy()
    for k in rng.permutation(problem.n)[:3]:
        trial = start.copy()
        trial[k] = 1 - trial[k]
        if rng.random() < 0.3 or is_feasible(problem, trial):
            start = trial
    run = branch_and_bound(problem, incumbent=start, root_steps=int(rng.integers(1, 20)))
    assert run.termination is Termination.OPTIMAL and same_value(problem.objective(run.x), optimum)
    assert is_feasible(problem, run.x.astype(float))


@needs_numba
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(classic_qkps(max_n=12), st.integers(0, 2**32 - 1))
def test_a_start_and_a_few_root_steps_keep_the_answer_exact(problem, seed):
    termination, optimum, _ = enumerate_optimum(problem)
    if termination is Termination.INFEASIBLE:
        return
    # a random feasible start (or none), and a split barely optimised: still the optimum
    rng = np.random.default_rng(seed)
    start = np.zeros(problem.n)
    start[problem.forced_in] = 1
    if problem.A[0] @ start > problem.b[0]:
        start = None
    else:
        for k in rng.permutation(problem.n):
            if k not in problem.forced_out and problem.A[0] @ start + problem.A[0][k] <= problem.b[0]:
                start[k] = 1
    run = branch_and_bound(problem, incumbent=start, root_steps=2)
    assert run.termination is Termination.OPTIMAL and same_value(problem.objective(run.x), optimum)


@needs_numba
def test_branch_and_bound_runs_the_kernel_and_says_so():
    problem = generate_qkp(30, 50, 2)
    found = branch_and_bound(problem)
    assert found.note.startswith("compiled kernel (numba ")
    assert found.termination is Termination.OPTIMAL and found.x.dtype == np.int8
    assert found.objective == problem.objective(found.x) == found.bound


@needs_numba
@pytest.mark.parametrize("n,density,seed", [(40, 25, 1), (50, 75, 6), (60, 50, 3), (45, 100, 4), (55, 25, 5)])
def test_kernel_matches_the_numpy_search(n, density, seed):
    problem = generate_qkp(n, density, seed)
    mine = branch_and_bound(problem)
    theirs = numpy_branch_and_bound(problem)
    assert mine.termination is Termination.OPTIMAL and theirs.termination is Termination.OPTIMAL
    assert mine.objective == theirs.objective
    assert mine.root_bound >= mine.objective


@needs_numba
def test_a_time_limit_on_a_hard_instance_returns_a_feasible_portfolio_and_a_valid_bound():
    problem = generate_qkp(200, 50, 1)     # open after 15 s (benchmarks/README.md)
    found = branch_and_bound(problem, time_limit=0.3)
    assert found.termination is Termination.TIME_LIMIT and found.x is not None
    assert problem.A[0] @ found.x <= problem.b[0]
    assert found.objective == problem.objective(found.x)
    assert found.objective <= found.bound <= found.root_bound + 1e-9


@needs_numba
def test_time_limited_bounds_cover_the_optimum():
    problem = generate_qkp(100, 25, 3)
    optimum = branch_and_bound(problem)
    assert optimum.termination is Termination.OPTIMAL and optimum.nodes > 50   # so the stops below cut it
    found = branch_and_bound(problem, time_limit=1e-9)   # one root step
    assert found.termination is Termination.TIME_LIMIT and found.x is None and found.bound >= optimum.objective
    found = branch_and_bound(problem, time_limit=0.02, incumbent=np.zeros(problem.n))
    assert found.termination in (Termination.TIME_LIMIT, Termination.OPTIMAL)   # a fast machine may finish
    assert found.bound >= optimum.objective >= found.objective
    # stopped between chunks of the tree: the open nodes' bounds count, not only the root's
    for chunks in (2, 5, 12):
        run = _stopped_after(problem, chunks=chunks)
        assert run.termination is Termination.INTERRUPTED and run.x is not None
        assert problem.objective(run.x) <= optimum.objective <= run.bound <= run.root_bound + 1e-9


def _stopped_after(problem, chunks, **kwargs):
    """The kernel interrupted (as by Ctrl-C) before chunk number `chunks`, with chunks of 5 nodes."""
    real = bb._run_chunk
    calls = {"n": 0}

    def chunk(max_nodes, arrays):
        calls["n"] += 1
        if calls["n"] == chunks:
            raise KeyboardInterrupt
        return real(min(max_nodes, 5), arrays)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bb, "_run_chunk", chunk)
        return branch_and_bound(problem, **kwargs)


@needs_numba
def test_an_interrupt_keeps_the_incumbent_and_the_open_bound():
    problem = generate_qkp(50, 75, 6)
    optimum = branch_and_bound(problem).objective
    run = _stopped_after(problem, chunks=2, incumbent=np.zeros(problem.n))
    assert run.termination is Termination.INTERRUPTED and run.x is not None
    assert run.bound >= optimum >= problem.objective(run.x)


@needs_numba
def test_two_runs_are_identical():
    problem = generate_qkp(80, 50, 3)      # 1,851 nodes: a real tree, cut into 5-node chunks below
    first, second = branch_and_bound(problem), branch_and_bound(problem)
    assert np.array_equal(first.x, second.x) and first.nodes == second.nodes and first.bound == second.bound
    # the chunking is invisible in the search: chunks of 5 nodes give the same tree
    small = _stopped_after(problem, chunks=10**9)
    assert np.array_equal(small.x, first.x) and small.nodes == first.nodes


@needs_numba
def test_forced_items_and_infeasible_fixings():
    problem = generate_qkp(30, 50, 8)
    heavy = np.argsort(-problem.A[0])
    forced = problem.replace(forced_in=heavy[:2], forced_out=heavy[2:4])
    found = branch_and_bound(forced)
    assert found.x[heavy[:2]].all() and not found.x[heavy[2:4]].any()
    assert found.objective == numpy_branch_and_bound(forced).objective
    too_much = problem.replace(b=[problem.A[0][heavy[:2]].sum() - 1], forced_in=heavy[:2])
    assert branch_and_bound(too_much).termination is Termination.INFEASIBLE


def test_without_numba_the_search_says_why_and_auto_proves_with_highs(monkeypatch):
    from optimizer.solvers.bnb import Adapter

    def broken():
        raise AssertionError("the kernel must not run without numba")

    monkeypatch.setattr(kernel, "compile_kernel", broken)
    monkeypatch.setattr(kernel, "compiled_available",
                        lambda: (False, "numba not importable (ImportError: No module named 'numba')"))
    problem = generate_qkp(25, 50, 4)
    with pytest.raises(RuntimeError, match="needs its compiled kernel: numba not importable"):
        bb.branch_and_bound(problem)
    ok, why = Adapter().availability()
    assert not ok and "numba not importable" in why
    result = solve(problem)                              # the pipeline's exact stage is HiGHS then
    assert result.termination is Termination.OPTIMAL
    assert "branch-and-bound" not in [s.stage for s in result.stages] and "mip" in [s.stage for s in result.stages]
    assert result.objective == numpy_branch_and_bound(problem).objective


def test_compiled_available_names_the_missing_module(monkeypatch):
    hide_module(monkeypatch, "numba")
    ok, why = kernel.compiled_available()
    assert not ok and "numba not importable" in why and "No module named 'numba'" in why


@needs_numba
def test_warm_up_compiles_the_kernel_that_later_solves_load():
    from optimizer.algorithms.branch_and_bound import warm_up

    assert warm_up().startswith("kernel compiled and cached in ")
