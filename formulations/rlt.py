"""Standard linearization strengthened by products of the knapsack rows with each x_i.

For a knapsack row sum_j a_j x_j <= b with a >= 0, multiplying by x_i gives
sum_{j != i} a_j x_i x_j <= (b - a_i) x_i. With y_ij standing for x_i x_j this
is a valid row on the product columns (level-1 reformulation-linearization,
Adams & Sherali); terms of pairs without a column are dropped, which keeps it
valid since they are nonnegative. Only pairs with q > 0 have y <= x_i x_j
enforced from above, so only they enter; the size limit is multiplied the
same way (sum_j y_ij <= (size_max - 1) x_i). Pairs in hard conflict or in a
common group get y fixed to 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from formulations import standard
from formulations.common import ModelSize, pair_signs
from formulations.model import MipModel, RowBuilder

if TYPE_CHECKING:
    from optimizer.core.problem import SelectionProblem

NAME = "rlt"
QUADRATIC = False  # the objective keeps products x_i x_j


def size(problem: SelectionProblem) -> ModelSize:
    """The standard model plus one product row per (nonnegative knapsack row or size limit, item)."""
    base, (pos, _) = standard.size(problem), pair_signs(problem)
    knapsacks = problem.A.shape[0] + 1   # every nonnegative row and the size limit may be multiplied
    return ModelSize(base.columns, base.rows + knapsacks * problem.n,
                     base.nonzeros + knapsacks * (2 * pos + problem.n))


def build(problem: SelectionProblem) -> MipModel:
    """The standard model plus one product row per (nonnegative knapsack row, item)."""
    base = standard.build(problem)
    n = problem.n
    nz = np.flatnonzero(problem.pair_q != 0)
    pi, pj, q = problem.pair_i[nz], problem.pair_j[nz], problem.pair_q[nz]
    pos = np.flatnonzero(q > 0)
    y = n + pos
    rows = RowBuilder(base.num_col)
    # each positive pair enters the row of i (weight a_j) and the row of j (weight a_i)
    owner = np.concatenate([pi[pos], pj[pos]])
    other = np.concatenate([pj[pos], pi[pos]])
    ycol = np.concatenate([y, y])
    multipliers = [(problem.A[r], problem.b[r]) for r in range(problem.A.shape[0]) if np.all(problem.A[r] >= 0)]
    if problem.size_max < n:
        multipliers.append((np.ones(n), float(problem.size_max)))
    for a, b in multipliers:
        keep = a[other] > 0
        rows.add(n, np.concatenate([owner[keep], np.arange(n)]), np.concatenate([ycol[keep], np.arange(n)]),
                 np.concatenate([a[other[keep]], -(b - a)]), -np.inf, 0.0)
    start, index, value, lo, up = rows.csr()
    col_upper = base.col_upper.copy()
    zero = _forbidden_pairs(problem, pi[pos], pj[pos])
    col_upper[y[zero]] = 0.0
    k0 = base.num_row
    return MipModel(
        formulation=NAME, n_items=n, col_cost=base.col_cost, col_lower=base.col_lower, col_upper=col_upper,
        integrality=base.integrality,
        row_start=np.concatenate([base.row_start, base.row_start[-1] + start[1:]]),
        row_index=np.concatenate([base.row_index, index]), row_value=np.concatenate([base.row_value, value]),
        row_lower=np.concatenate([base.row_lower, lo]), row_upper=np.concatenate([base.row_upper, up]),
        notes={**base.notes, "product_rows": rows.num_row, "first_product_row": k0}, extend=base.extend)


def _forbidden_pairs(problem: SelectionProblem, pi: np.ndarray, pj: np.ndarray) -> np.ndarray:
    """Mask of pairs that can never both be chosen (hard conflict or same group)."""
    n = problem.n
    keys = [problem.conflicts[:, 0] * n + problem.conflicts[:, 1]] if problem.conflicts.size else []
    for g in problem.groups:
        if g.size > 1:
            a, b = np.triu_indices(g.size, k=1)
            keys.append(g[a] * n + g[b])
    if not keys:
        return np.zeros(pi.size, bool)
    return np.isin(pi * n + pj, np.concatenate(keys))
