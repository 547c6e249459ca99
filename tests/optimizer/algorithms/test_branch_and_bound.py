"""optimizer.algorithms.branch_and_bound and solver "bnb": the optimum of classic QKPs, valid bounds at any stop."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import optimizer.algorithms.branch_and_bound as bb
from instances import generate_qkp
from optimizer import solve
from optimizer.algorithms.branch_and_bound import applies, branch_and_bound, is_classic
from optimizer.core.result import Termination
from optimizer.core.verify import is_feasible
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
    assert applies(base) is None and is_classic(base)
    cases = {
        "nonnegative weights and limits": base.replace(A=-base.A),
        "minimum portfolio size": base.replace(size_min=2),
        "covers": base.replace(covers=[[0, 1]]),
    }
    for words, problem in cases.items():
        assert words in applies(problem) and not is_classic(problem)
    monkeypatch.setattr(bb, "MAX_SIDE_ROWS", 1)
    three = base.replace(A=np.vstack([base.A] * 3), b=np.r_[base.b, base.b, base.b], row_names=None)
    assert "3 rows" in applies(three) and "limit of 2" in applies(three)
    monkeypatch.setattr(bb, "MAX_ITEMS", 5)
    assert "dense-matrix limit of 5" in applies(base)
    with pytest.raises(ValueError, match="does not apply"):
        branch_and_bound(base)


def test_wider_kinds_are_taken_but_only_the_classic_one_is_preferred():
    base = generate_qkp(8, 50, 1)
    wider = [base.replace(A=np.vstack([base.A, base.A]), b=np.r_[base.b, base.b], row_names=None),
             base.replace(pair_q=-base.pair_q), base.replace(size_max=3), base.replace(conflicts=[[0, 1]]),
             base.replace(groups=[[0, 1, 2]])]
    for problem in wider:
        assert applies(problem) is None and not is_classic(problem)
    assert is_classic(base.replace(forced_in=[0], forced_out=[1]))


def test_solver_bnb_refuses_other_problems_with_the_reason():
    problem = generate_qkp(10, 50, 1).replace(covers=[[0, 1]])
    result = solve(problem, solver="bnb")
    assert result.termination is Termination.ERROR
    assert "cannot take this problem" in result.message and "covers" in result.message and result.x is None


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


def _with(kind: str, n: int, seed: int):
    """generate_qkp(n, 50, seed) with one more kind of constraint (or mixed signs)."""
    base = generate_qkp(n, 50, seed)
    rng = np.random.default_rng(seed)
    if kind == "conflicts":
        pairs = rng.choice(n, size=(n // 4, 2))
        return base.replace(conflicts=pairs[pairs[:, 0] != pairs[:, 1]],
                            groups=[rng.permutation(n)[:4], rng.permutation(n)[:3]])
    if kind == "rows":
        extra = rng.integers(1, 51, (2, n)).astype(float)
        return base.replace(A=np.vstack([base.A, extra]), b=np.r_[base.b, 0.3 * extra.sum(axis=1)], row_names=None)
    if kind == "size":
        return base.replace(size_max=n // 5, forced_in=[int(rng.integers(n))])
    q = base.pair_q * np.where(rng.random(base.n_pairs) < 0.3, -1, 1)
    return base.replace(pair_q=q, c=base.c * np.where(rng.random(n) < 0.1, -1, 1))


@pytest.mark.parametrize("kind,n,seed", [("conflicts", 40, 1), ("rows", 30, 2), ("size", 30, 3), ("signed", 40, 4)])
def test_wider_kinds_match_highs(kind, n, seed):
    problem = _with(kind, n, seed)
    mine = solve(problem, solver="bnb", time_limit=60)
    highs = solve(problem, solver="highs", formulation="standard", threads=1, time_limit=60)
    assert mine.termination is Termination.OPTIMAL and highs.termination is Termination.OPTIMAL
    assert same_value(mine.objective, highs.objective) and is_feasible(problem, mine.x)


def test_negative_pair_values_are_linearized_in_the_bound():
    # 30% of the pair values negative: dropped from the bound (q x_i x_j <= 0), the root bound was 88,959 and
    # 0.67 million nodes did not close it in 10 s; linearized (q x_i x_j <= theta q (x_i + x_j - 1), theta
    # optimized with the split) it is within 0.3% of the optimum and a few dozen nodes prove it
    problem = _with("signed", 100, 2)
    found = branch_and_bound(problem)
    assert found.termination is Termination.OPTIMAL
    assert found.objective <= found.root_bound <= 1.005 * found.objective
    assert found.nodes < 1000
    assert "negative pair values linearized" in found.relaxation


def test_exclusions_are_dualized_in_the_bound():
    # conflicts and groups: with their pair values only left out of the planes the root bound was 127,166 (64%
    # above the optimum) and 0.7 million nodes did not close it in 10 s; dualized, theta cap (1 - x_a - x_b),
    # with the charge leaving the bound once one of the two is fixed, it is within 6% and the search proves it
    problem = _with("conflicts", 100, 2)
    found = branch_and_bound(problem)
    assert found.termination is Termination.OPTIMAL
    assert found.objective <= found.root_bound <= 1.1 * found.objective
    assert "34 exclusion pair(s) dualized" in found.relaxation
