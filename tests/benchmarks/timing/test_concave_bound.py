"""benchmarks/timing/concave_bound.py: where the concave relaxation's value comes from."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.timing.concave_bound import _value_parts
from instances import generate_alliance
from optimizer.engine.concave import concave_bound, residual_problem


def test_value_parts_at_a_portfolio_and_at_the_relaxations_point():
    problem = generate_alliance(40, seed=2).compile().problem
    residual = residual_problem(problem, problem.concave.matrix())
    positive = residual.pair_q > 0
    assert positive.any()
    x = np.zeros(problem.n)
    x[residual.pair_i[positive][:3]] = x[residual.pair_j[positive][:3]] = 1.0
    parts = _value_parts(problem, x)
    chosen = (x[residual.pair_i] * x[residual.pair_j] > 0) & positive
    assert parts["synergy_relaxed"] == pytest.approx(residual.pair_q[chosen].sum(), abs=0.01)
    assert parts["diagonal_excess"] == 0                     # x_i^2 = x_i at a portfolio
    at_relaxation = _value_parts(problem, concave_bound(problem).relaxation_x)
    assert at_relaxation["diagonal_excess"] >= 0 and at_relaxation["synergy_relaxed"] >= 0
