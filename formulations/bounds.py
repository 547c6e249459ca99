"""Fast numpy bounds on partial sums of pair terms, used to tighten formulations.

`row_sum_bound` bounds max sum_{e in row k} v_e x_{t_e} over 0/1 x that respect
the problem's nonnegative knapsack rows and its size limit, for every row k
at once: a fractional knapsack per row and constraint, vectorized with one
lexsort per knapsack row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from optimizer.core.problem import SelectionProblem


def _grouped_cumsum(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at each group (entries sorted by group)."""
    cs = np.cumsum(values)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    offset = np.repeat(cs[starts] - values[starts], np.diff(np.r_[starts, group.size]))
    return cs - offset


def row_sum_bound(problem: SelectionProblem, owner: np.ndarray, target: np.ndarray, value: np.ndarray,
                  n_rows: int, capacity: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Upper bound, per row k, of sum of value_e * x_{target_e} over entries e with owner_e == k.

    value must be >= 0. capacity is (m, n_rows): the room left in each knapsack
    row of the problem; count (n_rows,) caps how many targets may be chosen.
    Rows of the problem with a negative coefficient are skipped (a fractional
    knapsack bound does not hold there).
    """
    best = np.bincount(owner, weights=value, minlength=n_rows)
    if owner.size == 0:
        return best
    # at most count[k] targets: the count[k] largest values
    order = np.lexsort((-value, owner))
    g, v = owner[order], value[order]
    rank = _grouped_cumsum(g, np.ones(g.size)) - 1
    best = np.minimum(best, np.bincount(g, weights=np.where(rank < count[g], v, 0.0), minlength=n_rows))
    for r in range(problem.A.shape[0]):
        a = problem.A[r]
        if np.any(a < 0):
            continue
        w = a[target]
        with np.errstate(divide="ignore"):
            ratio = np.where(w > 0, value / np.where(w > 0, w, 1.0), np.inf)
        order = np.lexsort((-ratio, owner))
        g, v, w_s = owner[order], value[order], w[order]
        room = capacity[r][g] - (_grouped_cumsum(g, w_s) - w_s)  # room before this entry
        frac = np.where(w_s > 0, np.clip(room / np.where(w_s > 0, w_s, 1.0), 0.0, 1.0), (room >= 0) * 1.0)
        best = np.minimum(best, np.bincount(g, weights=v * frac, minlength=n_rows))
    return best
