"""Independent verification: verify_solution directly, and through solve() with a misbehaving adapter."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer import SelectionProblem, Termination, VerificationError, solve
from optimizer.core.verify import is_feasible, objective_tolerance, to_binary, verify_solution, violations
from optimizer.solvers import REGISTRY
from tests.optimizer.solvers import fake_solvers

# x0..x5; chosen below: one knapsack row, a size range, a conflict, a group, a cover, fixed items
PROBLEM = SelectionProblem(
    c=[4.0, 3.0, 2.0, 1.0, 5.0, 1.5], pair_i=[0, 1, 2], pair_j=[1, 3, 5], pair_q=[2.0, -1.0, 0.5],
    A=[[2, 2, 1, 1, 1, 5]], b=[5], row_names=("budget",), size_min=2, size_max=3, conflicts=[(0, 2)],
    groups=[[1, 3]], covers=[[2, 3, 4]], forced_in=[4], forced_out=[5],
    names=("ann", "bob", "cid", "dan", "eve", "fay"))
GOOD = np.array([1, 1, 0, 0, 1, 0])  # budget 5, size 3, cover met by eve, objective 4 + 3 + 5 + 2 = 14


def test_feasible_solution_is_returned_as_binary_with_recomputed_objective():
    x, value = verify_solution(PROBLEM, GOOD.astype(float), 14.0)
    assert x.tolist() == GOOD.tolist() and x.dtype == np.int8
    assert value == 14.0
    assert is_feasible(PROBLEM, GOOD)
    assert violations(PROBLEM, GOOD) == []


def test_near_integral_values_are_rounded_and_objective_within_tolerance_accepted():
    x = GOOD + np.array([1e-7, -1e-7, 1e-7, 0, -1e-7, 0])
    xb, value = verify_solution(PROBLEM, x, 14.0 + 0.5 * objective_tolerance(14.0))
    assert xb.tolist() == GOOD.tolist() and value == 14.0


def test_claimed_objective_none_is_recomputed():
    assert verify_solution(PROBLEM, GOOD, None)[1] == 14.0


@pytest.mark.parametrize("x, words", [
    ([1, 1, 1, 0, 1, 0], ["budget", "uses 6 > limit 5"]),
    ([0, 0, 0, 0, 1, 0], ["size 1 < size_min 2"]),
    ([1, 0, 0, 1, 1, 1], ["fay", "forced out"]),
    ([1, 0, 1, 0, 1, 0], ["conflict 0", "ann", "cid"]),
    ([0, 1, 0, 1, 1, 0], ["group 0", "2 items chosen"]),
    ([1, 1, 0, 0, 0, 0], ["eve", "forced in", "cover 0"]),
    ([1, 1, 0, 1, 1, 0], ["size 4 > size_max 3"]),
], ids=["row", "size-min", "forced-out", "conflict", "group", "forced-in-and-cover", "size-max"])
def test_infeasible_solution_names_the_violated_constraint(x, words):
    with pytest.raises(VerificationError) as info:
        verify_solution(PROBLEM, np.asarray(x, dtype=float), None, source="mysolver")
    message = str(info.value)
    assert message.startswith("mysolver returned an infeasible solution")
    for word in words:
        assert word in message, f"{word!r} missing from {message!r}"
    assert not is_feasible(PROBLEM, np.asarray(x, dtype=float))


def test_row_violation_reports_use_and_limit():
    x = np.array([1, 1, 1, 0, 1, 0], dtype=float)  # budget 2+2+1+1 = 6 > 5 (and a conflict)
    found = violations(PROBLEM, x)
    assert "row 'budget': uses 6 > limit 5" in found


def test_wrong_objective_names_both_values():
    with pytest.raises(VerificationError, match=r"mysolver reported objective 15\.0 but .* recomputed .* is 14\.0"):
        verify_solution(PROBLEM, GOOD, 15.0, source="mysolver")


@pytest.mark.parametrize("value", [0.5, 0.3, 1.0 - 1e-3, 2.0, -1.0], ids=str)
def test_fractional_or_out_of_range_value_is_rejected(value):
    x = GOOD.astype(float)
    x[3] = value
    with pytest.raises(VerificationError, match=r"item 3 \(dan\) is .*not 0 or 1"):
        verify_solution(PROBLEM, x, None)
    with pytest.raises(VerificationError):
        to_binary(PROBLEM, x)


def test_wrong_length_is_rejected():
    with pytest.raises(VerificationError, match="solution has 5 values, the problem has 6 items"):
        verify_solution(PROBLEM, GOOD[:5], None)


@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
def test_nan_value_is_rejected():
    x = GOOD.astype(float)
    x[3] = np.nan
    with pytest.raises(VerificationError, match="item 3"):
        verify_solution(PROBLEM, x, None)


def test_nan_claimed_objective_is_rejected():
    with pytest.raises(VerificationError, match="objective"):
        verify_solution(PROBLEM, GOOD, float("nan"))


# ----------------------------------------------------------------------------- through solve()

SMALL = SelectionProblem(c=[3.0, 2.0, 1.0], A=[[1, 1, 1]], b=[1], row_names=("budget",))  # optimum: x0, value 3


@pytest.fixture
def fake(monkeypatch):
    """Register tests.optimizer.solvers.fake_solvers as solver 'fake:<mode>' for one test."""
    monkeypatch.setitem(REGISTRY, "fake", fake_solvers.__name__)
    return "fake"


def test_fake_adapter_telling_the_truth_passes(fake):
    result = solve(SMALL, solver="fake:ok")
    assert result.termination is Termination.OPTIMAL
    assert result.objective == 3.0 and result.selected == ("x0",)
    assert result.solver == "fake:ok" and result.formulation == "none"


def test_fake_infeasible_solution_raises_naming_the_row(fake):
    with pytest.raises(VerificationError, match=r"fake:infeasible_x returned an infeasible solution.*budget"):
        solve(SMALL, solver="fake:infeasible_x")


def test_fake_wrong_objective_raises_naming_the_mismatch(fake):
    with pytest.raises(VerificationError, match=r"fake:wrong_objective reported objective 13\.0 .* is 3\.0"):
        solve(SMALL, solver="fake:wrong_objective")


def test_fake_fractional_solution_raises(fake):
    with pytest.raises(VerificationError, match="not 0 or 1"):
        solve(SMALL, solver="fake:fractional")


def test_fake_bound_below_its_own_solution_raises(fake):
    with pytest.raises(VerificationError, match="bound"):
        solve(SMALL, solver="fake:low_bound")


def test_fake_adapter_that_raises_gives_error_result(fake):
    result = solve(SMALL, solver="fake:raise")
    assert result.termination is Termination.ERROR
    assert "solver exploded" in result.message and "RuntimeError" in result.message
    assert "fake:raise" in result.message
    assert "Traceback" in result.log
    assert result.x is None and result.objective is None


def test_fake_optimal_claim_without_solution_is_an_error(fake):
    result = solve(SMALL, solver="fake:no_x")
    assert result.termination is Termination.ERROR
    assert "no solution" in result.message


@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
def test_fake_nan_answer_is_rejected(fake):
    with pytest.raises(VerificationError):
        solve(SMALL, solver="fake:nan")
