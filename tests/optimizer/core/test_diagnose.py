"""Cheap infeasibility reasons: each one is a proof, checked against enumeration."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from optimizer import SelectionProblem, Termination, solve
from optimizer.core.diagnose import infeasibility_reason
from tests.problem_strategies import enumerate_optimum, problems


@settings(max_examples=400, deadline=None)
@given(problem=problems())
def test_diagnosis_is_never_wrong(problem):
    reason = infeasibility_reason(problem)
    if reason is not None:
        termination, value, x = enumerate_optimum(problem)
        assert termination is Termination.INFEASIBLE, (
            f"diagnosis says {reason!r} but enumeration finds a portfolio {x} of value {value}")
        result = solve(problem, solver="highs")  # solve() answers with the reason, without a solver
        assert result.termination is Termination.INFEASIBLE and result.message == reason


@settings(max_examples=150, deadline=None)
@given(problem=problems(max_n=8))
def test_forcing_a_feasible_portfolio_never_looks_infeasible(problem):
    """Fixing every item to an optimal portfolio's values keeps the problem feasible: no reason may fire."""
    termination, _, x = enumerate_optimum(problem)
    if termination is Termination.INFEASIBLE:
        return
    fixed = problem.replace(forced_in=[i for i in range(problem.n) if x[i] > 0.5],
                            forced_out=[i for i in range(problem.n) if x[i] < 0.5])
    assert infeasibility_reason(fixed) is None
    assert infeasibility_reason(problem) is None


@pytest.mark.parametrize("problem, words", [
    (SelectionProblem(c=[1, 1, 1], conflicts=[(0, 2)], forced_in=[2, 0], names=("ann", "bob", "cid")),
     ["forced-in items ann and cid", "hard conflict"]),
    (SelectionProblem(c=[1, 1, 1, 1], groups=[[0], [1, 2, 3]], forced_in=[1, 3]), ["x1", "x3", "same group 1"]),
    (SelectionProblem(c=[1, 1, 1, 1], size_max=2, forced_in=[0, 1, 2]), ["3 items are forced in", "size_max=2"]),
    (SelectionProblem(c=[1, 1, 1], A=[[2, 2, 1], [1, 1, 1]], b=[10, 1], row_names=("money", "hours"),
                      forced_in=[0, 1]), ["row 'hours'", "use 2", "limit 1"]),
    (SelectionProblem(c=[1, 1, 1, 1], covers=[[1, 2, 3]], forced_in=[0], forced_out=[1], conflicts=[(0, 2)],
                      groups=[[0, 3]]), ["cover 0 cannot be met", "3 items"]),
    (SelectionProblem(c=[1] * 5, size_min=3, groups=[[0, 1], [2, 3, 4]]), ["size_min=3", "at most 2"]),
    (SelectionProblem(c=[1] * 5, size_min=4, A=[[3, 1, 1, 2, 9]], b=[5], row_names=("budget",)),
     ["size_min=4", "at most 3", "budget"]),
    (SelectionProblem(c=[1] * 4, size_min=3, forced_out=[0, 1]), ["size_min=3", "at most 2"]),
    (SelectionProblem(c=[1, 1], A=[[0, 0]], b=[-1]), ["row 'row0'"]),
], ids=["conflict", "group", "size-max", "row", "cover", "size-groups", "size-row", "size-excluded", "empty-row"])
def test_each_reason_is_found_and_true(problem, words):
    reason = infeasibility_reason(problem)
    assert reason is not None
    for word in words:
        assert word in reason, f"{word!r} missing from {reason!r}"
    assert enumerate_optimum(problem)[0] is Termination.INFEASIBLE


@pytest.mark.parametrize("problem", [
    SelectionProblem(c=[1, 1], A=[[5, -3]], b=[3], forced_in=[0]),  # x1's negative weight makes room
    SelectionProblem(c=[1, 1, 1], covers=[[1, 2]], forced_in=[0], conflicts=[(0, 1)]),  # x2 still covers
    SelectionProblem(c=[1, 1, 1], size_min=2, groups=[[0, 1]]),  # x2 plus one of the group
    SelectionProblem(c=[1, 1, 1], size_min=2, A=[[2, 2, 3]], b=[4]),  # x0 and x1 fit
    SelectionProblem(c=[1, 1, 1], groups=[[0, 1], [1, 2]], forced_in=[0, 2]),  # overlapping groups, 1 blocked
    SelectionProblem(c=[1.0], A=[[0.1]], b=[0.1], forced_in=[0]),  # exactly at the limit
], ids=["negative-row", "cover", "size-groups", "size-row", "overlapping-groups", "at-limit"])
def test_feasible_problems_get_no_reason(problem):
    assert infeasibility_reason(problem) is None
    assert enumerate_optimum(problem)[0] is Termination.OPTIMAL


def test_negative_weight_blocked_by_exclusion_makes_row_infeasible():
    base = SelectionProblem(c=[1, 1], A=[[5, -3]], b=[3], forced_in=[0])
    for blocked in (base.replace(forced_out=[1]), base.replace(conflicts=[(0, 1)]), base.replace(groups=[[0, 1]])):
        assert "row 'row0'" in infeasibility_reason(blocked)
        assert enumerate_optimum(blocked)[0] is Termination.INFEASIBLE
