"""optimizer.heuristics.local_search_heuristic: feasible, honest, deterministic, near-optimal on QKPs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from instances import generate_qkp
from optimizer import SelectionProblem
from optimizer.heuristics import local_search_heuristic
from optimizer.result import Termination
from optimizer.verify import is_feasible
from tests.problem_strategies import enumerate_optimum, problems

# a time limit far above what these small runs need, so restarts (not the clock) end the search
# and the results are reproducible even on a loaded machine
NO_CLOCK = 60.0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_n=10), st.integers(0, 3))
def test_returned_portfolio_is_feasible_with_its_objective_and_deterministic(problem, seed):
    x, value = local_search_heuristic(problem, time_limit=NO_CLOCK, seed=seed, restarts=5)
    termination, optimum, _ = enumerate_optimum(problem)
    if x is None:
        assert value == -np.inf
        return
    assert x.shape == (problem.n,) and set(np.unique(x).tolist()) <= {0, 1}
    assert is_feasible(problem, x)
    assert value == problem.objective(x)
    assert termination == Termination.OPTIMAL
    assert value <= optimum + 1e-6 * max(1.0, abs(optimum))
    x2, value2 = local_search_heuristic(problem, time_limit=NO_CLOCK, seed=seed, restarts=5)
    assert x2 is not None and np.array_equal(x, x2) and value2 == value


@pytest.mark.parametrize("seed", [0, 7])
def test_same_seed_same_portfolio_on_a_qkp(seed):
    problem = generate_qkp(40, 50, 3)
    first = local_search_heuristic(problem, time_limit=NO_CLOCK, seed=seed)
    second = local_search_heuristic(problem, time_limit=NO_CLOCK, seed=seed)
    assert first[0] is not None
    assert np.array_equal(first[0], second[0]) and first[1] == second[1]


@pytest.mark.parametrize("n", range(10, 15))
def test_within_ten_percent_of_the_optimum_on_classic_qkp(n):
    exact, short = 0, []
    cases = [(density, seed) for density in (25, 50, 100) for seed in range(4)]
    for density, seed in cases:
        problem = generate_qkp(n, density, seed)
        _, optimum, _ = enumerate_optimum(problem)
        x, value = local_search_heuristic(problem, time_limit=NO_CLOCK, seed=0)
        assert x is not None and is_feasible(problem, x) and value == problem.objective(x)
        assert value <= optimum + 1e-9
        if value >= optimum - 1e-9:
            exact += 1
        if value < 0.9 * optimum:
            short.append((problem.name, value, optimum))
    assert not short, f"more than 10% below the optimum: {short}"
    # observed (restarts=20, seed 0): 54 of the 60 instances n = 10..14 solved exactly, at least 9 of 12 per n
    assert exact >= len(cases) // 2, f"only {exact} of {len(cases)} exactly optimal"


def test_portfolio_needing_two_items_at_once_is_not_found():
    """Characterization of current behaviour, not a requirement.

    Foreign share must lie in [0.4, 0.6] and the portfolio needs at least two partners: rows
    sum (f_i - 0.6) x_i <= 0 and sum (0.4 - f_i) x_i <= 0 have mixed signs, so no single item can be
    added to the empty portfolio (one foreign partner breaks the upper row, one domestic the lower).
    The greedy construction therefore never starts and the heuristic reports (None, -inf) although
    {foreign, domestic} pairs are feasible. A repair phase (adding items in pairs, or searching from
    an infeasible start) would lift this; then change this test to expect the optimum.
    """
    foreign = np.array([1.0, 1.0, 0.0, 0.0])
    problem = SelectionProblem(c=[5.0, 4.0, 3.0, 2.0], pair_i=[0, 1], pair_j=[2, 3], pair_q=[1.0, -1.0],
                               A=[foreign - 0.6, 0.4 - foreign], b=[0.0, 0.0],
                               row_names=("foreign_share_max", "foreign_share_min"), size_min=2)
    termination, optimum, best = enumerate_optimum(problem)
    assert termination == Termination.OPTIMAL and optimum == 14.0 and best.tolist() == [1, 1, 1, 1]
    for seed in (0, 1):
        x, value = local_search_heuristic(problem, time_limit=NO_CLOCK, seed=seed)
        assert x is None and value == -np.inf
