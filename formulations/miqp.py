"""The quadratic objective kept as is, for solvers that take binary quadratic programs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from formulations.common import ModelSize, add_structural_rows, finish, item_bounds, structural_size
from formulations.model import MipModel, RowBuilder

if TYPE_CHECKING:
    from optimizer.core.problem import SelectionProblem

NAME = "miqp"
QUADRATIC = True  # the objective keeps products x_i x_j


def size(problem: SelectionProblem) -> ModelSize:
    """The items and their rows; the pair terms are in the objective."""
    base = structural_size(problem)
    return ModelSize(problem.n, base.rows, base.nonzeros + int(np.count_nonzero(problem.pair_q)))


def build(problem: SelectionProblem) -> MipModel:
    """Items only; pair terms stay in the objective as products x_i x_j."""
    rows = RowBuilder(problem.n)
    add_structural_rows(problem, rows)
    nz = problem.pair_q != 0
    lo, up = item_bounds(problem)
    return finish(NAME, problem, rows, cost=problem.c.copy(), lower=lo, upper=up,
                  integrality=np.ones(problem.n, bool),
                  quad_i=problem.pair_i[nz], quad_j=problem.pair_j[nz], quad_q=problem.pair_q[nz])
