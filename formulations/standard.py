"""Standard linearization: one product variable y_p per pair, sign-aware.

For q_p > 0 the objective pushes y_p up, so only y_p <= x_i and y_p <= x_j are
needed; for q_p < 0 it pushes y_p down, so only y_p >= x_i + x_j - 1 is needed.
y_p stays continuous in [0, 1]: integrality of x makes it 0/1 at any optimum.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from formulations.common import ModelSize, add_structural_rows, finish, item_bounds, pair_signs, structural_size
from formulations.model import MipModel, RowBuilder

if TYPE_CHECKING:
    from optimizer.core.problem import SelectionProblem

NAME = "standard"
QUADRATIC = False  # the objective keeps products x_i x_j


def size(problem: SelectionProblem) -> ModelSize:
    """n + one column per pair term; two rows per positive term, one per negative."""
    base, (pos, neg) = structural_size(problem), pair_signs(problem)
    return ModelSize(base.columns + pos + neg, base.rows + 2 * pos + neg, base.nonzeros + 4 * pos + 3 * neg)


def build(problem: SelectionProblem) -> MipModel:
    """Linear model with one continuous column per nonzero pair term."""
    n = problem.n
    nz = np.flatnonzero(problem.pair_q != 0)
    pi, pj, q = problem.pair_i[nz], problem.pair_j[nz], problem.pair_q[nz]
    npair = q.size
    y = n + np.arange(npair)  # column of each product variable
    rows = RowBuilder(n + npair)
    add_structural_rows(problem, rows)

    pos = np.flatnonzero(q > 0)
    k = pos.size  # y - x_i <= 0 and y - x_j <= 0: two rows per positive pair
    rows.add(2 * k, np.repeat(np.arange(2 * k), 2),
             np.column_stack([np.tile(y[pos], 2), np.concatenate([pi[pos], pj[pos]])]).ravel(),
             np.tile([1.0, -1.0], 2 * k), -np.inf, 0.0)
    neg = np.flatnonzero(q < 0)
    k = neg.size  # y - x_i - x_j >= -1: one row per negative pair
    rows.add(k, np.repeat(np.arange(k), 3), np.column_stack([y[neg], pi[neg], pj[neg]]).ravel(),
             np.tile([1.0, -1.0, -1.0], k), -1.0, np.inf)

    xlo, xup = item_bounds(problem)
    return finish(NAME, problem, rows,
                  cost=np.concatenate([problem.c, q]),
                  lower=np.concatenate([xlo, np.zeros(npair)]),
                  upper=np.concatenate([xup, np.ones(npair)]),
                  integrality=np.concatenate([np.ones(n, bool), np.zeros(npair, bool)]),
                  notes={"product_columns": npair},
                  extend=lambda x: np.concatenate([x, x[pi] * x[pj]]))
