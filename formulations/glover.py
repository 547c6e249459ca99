"""Glover's compact linearization: one continuous column w_i per item.

Each pair p is owned by its first item i_p. With S_i(x) = sum of q_p x_{j_p}
over pairs owned by i, w_i stands for x_i * S_i(x). For maximization two rows
per item suffice:

    w_i <= U_i x_i                     (U_i >= S_i(x) whenever x_i = 1)
    w_i <= S_i(x) - L_i (1 - x_i)      (L_i <= S_i(x) whenever x_i = 0)

The tighter U_i and L_i, the tighter the relaxation, so both are bounded with
the problem's knapsack rows, size limit, conflicts and fixed items
(`formulations.bounds`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from formulations.bounds import row_sum_bound
from formulations.common import ModelSize, add_structural_rows, finish, item_bounds, structural_size
from formulations.model import MipModel, RowBuilder

if TYPE_CHECKING:
    from optimizer.core.problem import SelectionProblem

NAME = "glover"
QUADRATIC = False  # the objective keeps products x_i x_j


def size(problem: SelectionProblem) -> ModelSize:
    """n + at most n w columns, two rows each; the second row of an item lists its pairs."""
    base, q = structural_size(problem), int(np.count_nonzero(problem.pair_q))
    return ModelSize(2 * problem.n, base.rows + 2 * problem.n, base.nonzeros + 4 * problem.n + q)


def _owned_bounds(problem: SelectionProblem, owner, other, q) -> tuple[np.ndarray, np.ndarray]:
    """(U, L): bounds of S_i given x_i = 1 (upper) and given x_i = 0 (lower)."""
    n = problem.n
    usable = np.ones(q.size, bool)
    usable &= ~np.isin(other, problem.forced_out)
    if problem.conflicts.size:  # with x_i = 1, no partner in hard conflict with i can be chosen
        key = np.concatenate([problem.conflicts[:, 0] * n + problem.conflicts[:, 1],
                              problem.conflicts[:, 1] * n + problem.conflicts[:, 0]])
        in_conflict = np.isin(owner * n + other, key)
    else:
        in_conflict = np.zeros(q.size, bool)
    pos = usable & ~in_conflict & (q > 0)
    cap_with = problem.b[:, None] - problem.A  # room left once item i is in
    upper = row_sum_bound(problem, owner[pos], other[pos], q[pos], n, cap_with,
                          np.full(n, max(problem.size_max - 1, 0)))
    neg = usable & (q < 0)
    cap_without = np.repeat(problem.b[:, None], n, axis=1)
    lower = -row_sum_bound(problem, owner[neg], other[neg], -q[neg], n, cap_without,
                           np.full(n, problem.size_max))
    return upper, lower


def build(problem: SelectionProblem) -> MipModel:
    """Linear model with n binaries and one bounded continuous column per pair-owning item."""
    n = problem.n
    nz = np.flatnonzero(problem.pair_q != 0)
    owner, other, q = problem.pair_i[nz], problem.pair_j[nz], problem.pair_q[nz]
    upper, lower = _owned_bounds(problem, owner, other, q)
    items = np.unique(owner)            # items that own at least one pair get a w column
    k = items.size
    w = n + np.arange(k)
    w_of = np.full(n, -1)
    w_of[items] = w
    rows = RowBuilder(n + k)
    add_structural_rows(problem, rows)
    # w_i - U_i x_i <= 0
    rows.add(k, np.repeat(np.arange(k), 2), np.column_stack([w, items]).ravel(),
             np.column_stack([np.ones(k), -upper[items]]).ravel(), -np.inf, 0.0)
    # w_i - sum_p q_p x_{j_p} - L_i x_i <= -L_i
    local = np.searchsorted(items, owner)
    rows.add(k, np.concatenate([np.arange(k), local, np.arange(k)]),
             np.concatenate([w, other, items]),
             np.concatenate([np.ones(k), -q, -lower[items]]),
             -np.inf, -lower[items])
    xlo, xup = item_bounds(problem)
    neg_total = np.bincount(owner, weights=np.minimum(q, 0.0), minlength=n)
    return finish(NAME, problem, rows,
                  cost=np.concatenate([problem.c, np.ones(k)]),
                  lower=np.concatenate([xlo, np.minimum(neg_total[items], 0.0)]),
                  upper=np.concatenate([xup, np.maximum(upper[items], 0.0)]),
                  integrality=np.concatenate([np.ones(n, bool), np.zeros(k, bool)]),
                  notes={"w_columns": k, "bounds": "pair sums bounded by knapsack rows, size, conflicts"},
                  extend=lambda x: np.concatenate(
                      [x, x[items] * np.bincount(owner, weights=q * x[other], minlength=n)[items]]))
