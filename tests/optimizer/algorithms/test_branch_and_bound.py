"""optimizer.algorithms.branch_and_bound and solver "bnb": the optimum of classic QKPs, valid bounds at any stop."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import optimizer.algorithms.branch_and_bound as bb
from instances import generate_qkp
from optimizer import solve
from optimizer.algorithms.branch_and_bound import applies, branch_and_bound
from optimizer.core.result import Termination
from tests.problem_strategies import classic_qkps, enumerate_optimum, same_value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(classic_qkps(max_n=12))
def test_branch_and_bound_equals_enumeration(problem):
    termination, optimum, _ = enumerate_optimum(problem)
    found = branch_and_bound(problem)
    if termination is Termination.INFEASIBLE:
        assert found.termination is Termination.INFEASIBLE and found.x is None
        return
    assert found.termination is Termination.OPTIMAL
    assert same_value(found.objective, optimum) and same_value(found.bound, optimum)
    assert found.root_bound >= optimum - 1e-6


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(classic_qkps(max_n=10))
def test_solver_bnb_answers_are_verified_optima(problem):
    termination, optimum, _ = enumerate_optimum(problem)
    result = solve(problem, solver="bnb")
    if termination is Termination.INFEASIBLE:
        assert result.termination is Termination.INFEASIBLE
        return
    assert result.termination is Termination.OPTIMAL, result.message
    assert same_value(result.objective, optimum) and result.nodes >= 0


@pytest.mark.parametrize("n,density,seed", [(40, 25, 1), (35, 100, 2), (45, 50, 3)])
def test_generated_qkps_match_highs(n, density, seed):
    problem = generate_qkp(n, density, seed)
    mine = solve(problem, solver="bnb")
    highs = solve(problem, solver="highs", formulation="rlt", threads=1)
    assert mine.termination is Termination.OPTIMAL and highs.termination is Termination.OPTIMAL
    assert mine.objective == highs.objective


def test_a_time_limit_returns_the_incumbent_and_a_valid_bound():
    problem = generate_qkp(50, 75, 6)
    optimum = branch_and_bound(problem).objective
    found = branch_and_bound(problem, time_limit=1e-9)  # stops before the root is done
    assert found.termination is Termination.TIME_LIMIT and found.x is None and found.bound >= optimum
    start = np.zeros(problem.n, np.int8)
    found = branch_and_bound(problem, incumbent=start, time_limit=1e-9)
    assert found.x is not None and found.objective == 0 and found.bound >= optimum


def test_applies_names_what_is_in_the_way(monkeypatch):
    base = generate_qkp(8, 50, 1)
    assert applies(base) is None
    cases = {
        "one knapsack row": base.replace(A=np.vstack([base.A, base.A]), b=np.r_[base.b, base.b], row_names=None),
        "q >= 0": base.replace(pair_q=-base.pair_q),
        "size bounds": base.replace(size_max=3),
        "conflicts": base.replace(conflicts=np.array([[0, 1]])),
    }
    for words, problem in cases.items():
        assert words in applies(problem)
    monkeypatch.setattr(bb, "MAX_ITEMS", 5)
    assert "dense-matrix limit of 5" in applies(base)
    with pytest.raises(ValueError, match="does not apply"):
        branch_and_bound(base)


def test_solver_bnb_refuses_other_problems_with_the_reason():
    problem = generate_qkp(10, 50, 1).replace(conflicts=np.array([[0, 1]]))
    result = solve(problem, solver="bnb")
    assert result.termination is Termination.ERROR
    assert "classic QKP" in result.message and "conflicts" in result.message and result.x is None


def test_warm_start_reaches_the_search():
    problem = generate_qkp(30, 50, 2)
    best = solve(problem, solver="bnb")
    again = solve(problem, solver="bnb", warm_start=best.x)
    assert again.objective == best.objective
    assert "moves from the given start" in again.log and "moves from the breakpoints start" in best.log


def test_an_infeasible_start_is_ignored():
    problem = generate_qkp(25, 50, 4)
    optimum = branch_and_bound(problem).objective
    everything = np.ones(problem.n)  # breaks the knapsack row, worth more than any portfolio
    found = branch_and_bound(problem, incumbent=everything)
    assert found.termination is Termination.OPTIMAL and found.objective == optimum
    assert problem.A[0] @ found.x <= problem.b[0]
