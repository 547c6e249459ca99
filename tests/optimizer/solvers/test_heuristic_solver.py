"""solve(solver="heuristic"): verified portfolio, honest bound and termination."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from instances import generate_qkp
from optimizer import SelectionProblem, solve
from optimizer.algorithms.bounds import trivial_bound
from optimizer.core.result import Termination
from tests.problem_strategies import enumerate_optimum, problems


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_n=9))
def test_heuristic_answers_are_verified_and_bounded(problem):
    result = solve(problem, solver="heuristic", time_limit=30)
    termination, optimum, _ = enumerate_optimum(problem)
    if termination is Termination.INFEASIBLE:
        assert result.termination is Termination.INFEASIBLE and result.x is None
        return
    assert result.x is not None, result.message
    assert result.objective <= optimum + 1e-6 * max(1.0, abs(optimum))
    assert result.bound >= optimum - 1e-6 * max(1.0, abs(optimum))
    if result.termination is Termination.OPTIMAL:
        assert abs(result.objective - optimum) <= 1e-6 * max(1.0, abs(optimum))
    else:
        assert result.termination is Termination.FEASIBLE


def test_heuristic_falls_back_to_highs_for_a_first_portfolio():
    foreign = np.array([1.0, 1.0, 0.0, 0.0])
    problem = SelectionProblem(c=[5.0, 4.0, 3.0, 2.0], pair_i=[0, 1], pair_j=[2, 3], pair_q=[1.0, -1.0],
                               A=[foreign - 0.6, 0.4 - foreign], b=[0.0, 0.0], size_min=2)
    result = solve(problem, solver="heuristic")
    assert result.x is not None and result.objective == 14.0
    assert "HiGHS" in result.log


def test_heuristic_reports_its_bound_method_and_gap():
    problem = generate_qkp(150, 50, 3)
    result = solve(problem, solver="heuristic", time_limit=5)
    assert result.solver == "heuristic" and result.x is not None
    assert result.bound >= result.objective
    assert result.bound < trivial_bound(problem)  # the Lagrangian bound, not the trivial one
    assert result.termination in (Termination.OPTIMAL, Termination.FEASIBLE, Termination.TIME_LIMIT)
    assert "Lagrangian" in result.log


def test_heuristic_is_deterministic_for_a_seed():
    problem = generate_qkp(100, 25, 8)
    a = solve(problem, solver="heuristic", seed=3)
    b = solve(problem, solver="heuristic", seed=3)
    assert np.array_equal(a.x, b.x) and a.objective == b.objective and a.bound == b.bound


def test_heuristic_takes_no_formulation():
    from optimizer.core.errors import FormulationError

    with pytest.raises(FormulationError):
        solve(generate_qkp(10, 50, 1), solver="heuristic", formulation="rlt")
