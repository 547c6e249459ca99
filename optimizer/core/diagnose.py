"""Cheap, certain reasons why a problem has no feasible portfolio.

Each check is a proof: when it fires, no 0/1 vector satisfies the
constraints, so `solve` can answer "infeasible" without running a solver.
"""

from __future__ import annotations

import numpy as np

from optimizer.core.problem import SelectionProblem


def _blocked(problem: SelectionProblem) -> np.ndarray:
    """Items that cannot be chosen: forced out, or ruled out by a forced-in item."""
    blocked = np.zeros(problem.n, bool)
    blocked[problem.forced_out] = True
    fin = np.zeros(problem.n, bool)
    fin[problem.forced_in] = True
    if problem.conflicts.size:
        a, b = problem.conflicts[:, 0], problem.conflicts[:, 1]
        blocked[b[fin[a]]] = True
        blocked[a[fin[b]]] = True
    for g in problem.groups:
        if fin[g].any():
            blocked[g[~fin[g]]] = True
    return blocked


def infeasibility_reason(problem: SelectionProblem) -> str | None:
    """A plain-language reason the problem is infeasible, or None if none is found cheaply."""
    names = problem.names
    fin = np.zeros(problem.n, bool)
    fin[problem.forced_in] = True
    if problem.conflicts.size:
        both = np.flatnonzero(fin[problem.conflicts[:, 0]] & fin[problem.conflicts[:, 1]])
        if both.size:
            i, j = problem.conflicts[both[0]]
            return f"forced-in items {names[i]} and {names[j]} are in hard conflict"
    for k, g in enumerate(problem.groups):
        if fin[g].sum() > 1:
            a, b = g[fin[g]][:2]
            return f"forced-in items {names[a]} and {names[b]} are in the same group {k} (at most one allowed)"
    n_in = int(fin.sum())
    if n_in > problem.size_max:
        return f"{n_in} items are forced in but the portfolio may hold at most size_max={problem.size_max}"
    blocked = _blocked(problem)
    free = ~fin & ~blocked
    for r in range(problem.A.shape[0]):
        a = problem.A[r]
        least = a[fin].sum() + np.minimum(a[free], 0).sum()
        if least > problem.b[r] + 1e-9:
            return (f"row {problem.row_names[r]!r}: the forced-in items alone use {a[fin].sum():g}, "
                    f"more than its limit {problem.b[r]:g}")
    for k, cov in enumerate(problem.covers):
        if not fin[cov].any() and blocked[cov].all():
            return (f"cover {k} cannot be met: all its {cov.size} items are excluded, or ruled out by "
                    f"conflicts or groups with forced-in items")
    # largest portfolio size: free items (one per group), capped by each nonnegative row
    group_of = np.full(problem.n, -1)
    for k, g in enumerate(problem.groups):
        group_of[g] = k
    cand = np.flatnonzero(free)
    ungrouped = cand[group_of[cand] < 0]
    grouped_count = np.unique(group_of[cand][group_of[cand] >= 0]).size
    largest = n_in + ungrouped.size + grouped_count  # groups of forced-in items are blocked already
    limit_note = "counting items that are not excluded, one per group"
    for r in range(problem.A.shape[0]):
        a = problem.A[r]
        if np.any(a < 0):
            continue
        room = problem.b[r] - a[fin].sum()
        fits = int(np.searchsorted(np.cumsum(np.sort(a[cand])), room + 1e-9, side="right"))
        if n_in + fits < largest:
            largest, limit_note = n_in + fits, f"row {problem.row_names[r]!r} has room for at most that many"
    if problem.size_min > largest:
        return (f"size_min={problem.size_min} but at most {largest} items can be chosen together "
                f"({limit_note})")
    return None
