"""Upper bounds and variable fixing for the quadratic knapsack core, in numpy.

The bound is the Lagrangian "upper plane" bound of Caprara, Pisinger & Toth
(1999): each pair value q_ij (only q > 0 is kept; dropping q < 0 terms and
all constraints but one knapsack row only loosens it) is split between the
two items, q_ij = (q_ij - l_ij) + l_ij; item i's best partner gain given x_i = 1
is a continuous knapsack over its pairs with capacity b - a_i, and the bound
is a continuous knapsack over the items with those gains. Subgradient steps on
l tighten it. For every item the same multipliers give bounds with the item
forced in and forced out, which fix items that cannot reach an incumbent
(Pisinger, Rasmussen & Sandvik's reduction idea).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from optimizer.core.problem import SelectionProblem


def _segments(group: np.ndarray) -> np.ndarray:
    """Start index of each run of equal values in a sorted group array."""
    return np.flatnonzero(np.r_[True, group[1:] != group[:-1]])


def grouped_fractional_knapsack(owner: np.ndarray, value: np.ndarray, weight: np.ndarray,
                                capacity: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Continuous knapsack per group: max sum v x, sum w x <= capacity[g], 0 <= x <= 1.

    value >= 0, weight >= 0. Returns (optimum per group, x per entry).
    """
    x = np.zeros(value.size)
    if value.size == 0:
        return np.zeros(n_groups), x
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(weight > 0, value / np.where(weight > 0, weight, 1.0), np.inf)
    order = np.lexsort((-ratio, owner))
    g, v, w = owner[order], value[order], weight[order]
    cs = np.cumsum(w)
    starts = _segments(g)
    before = cs - w - np.repeat(cs[starts] - w[starts], np.diff(np.r_[starts, g.size]))
    room = capacity[g] - before
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(w > 0, np.clip(room / np.where(w > 0, w, 1.0), 0.0, 1.0), (room >= 0) * 1.0)
    frac = np.where(v > 0, frac, 0.0)
    x[order] = frac
    return np.bincount(g, weights=v * frac, minlength=n_groups), x


def fractional_knapsack(value: np.ndarray, weight: np.ndarray, capacity: float) -> tuple[float, np.ndarray]:
    """Continuous knapsack over items (one group)."""
    best, x = grouped_fractional_knapsack(np.zeros(value.size, dtype=np.int64), value, weight,
                                          np.array([capacity], dtype=float), 1)
    return float(best[0]), x


@dataclass
class QkpBound:
    """Result of the Lagrangian bound: the bound and per-item bounds with x_k fixed."""

    bound: float
    bound_in: np.ndarray     # upper bound on solutions with x_k = 1
    bound_out: np.ndarray    # upper bound on solutions with x_k = 0
    iterations: int
    method: str
    multipliers: np.ndarray | None = None   # share of each positive pair value given to its second item


def main_row(problem: SelectionProblem) -> tuple[np.ndarray, float, str] | None:
    """The knapsack row the bound relaxes to: the nonnegative row that binds most, or the size limit."""
    best: tuple[float, np.ndarray, float, str] | None = None
    for r in range(problem.A.shape[0]):
        a = problem.A[r]
        if np.any(a < 0) or problem.b[r] < 0:
            continue
        tightness = a.sum() / max(problem.b[r], 1e-12)
        if best is None or tightness > best[0]:
            best = (tightness, a, float(problem.b[r]), problem.row_names[r])
    if problem.size_max < problem.n:
        t = problem.n / max(problem.size_max, 1e-12)
        if best is None or t > best[0]:
            best = (t, np.ones(problem.n), float(problem.size_max), "size_max")
    return None if best is None else best[1:]


#: a subgradient step sorts every pair twice: about this many seconds per pair (measured at 2M pairs)
SECONDS_PER_PAIR_STEP = 5e-7


def lagrangian_bound(problem: SelectionProblem, incumbent: float, iterations: int = 200,
                     seed: int = 0, time_limit: float | None = None) -> QkpBound | None:
    """Caprara-Pisinger-Toth upper-plane bound with subgradient multipliers (None if no row applies).

    Valid for any problem: negative pair terms and all constraints but one
    nonnegative knapsack row are relaxed; forced items are honoured. Stops
    after `iterations` subgradient steps or `time_limit` seconds (at least one
    step is always made, so the bound is always valid; None when a time limit
    leaves no room for one step).
    """
    t_end = None if time_limit is None else time.perf_counter() + time_limit
    row = main_row(problem)
    if row is None:
        return None
    if time_limit is not None and time_limit < SECONDS_PER_PAIR_STEP * problem.n_pairs:
        return None  # not even one step fits: the caller falls back to a cheaper bound
    a, cap, row_name = row
    n = problem.n
    out = np.zeros(n, bool)
    out[problem.forced_out] = True
    fin = np.zeros(n, bool)
    fin[problem.forced_in] = True
    c = problem.c.astype(float)
    pos = (problem.pair_q > 0) & ~out[problem.pair_i] & ~out[problem.pair_j]
    pi, pj, q = problem.pair_i[pos], problem.pair_j[pos], problem.pair_q[pos]
    owner = np.concatenate([pi, pj])
    target = np.concatenate([pj, pi])
    lam = q / 2.0
    cap_in = cap - a                      # room left for partners once item k is in
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    step = 2.0
    stall = 0
    for it in range(iterations):
        value = np.concatenate([q - lam, lam])
        inner, frac = grouped_fractional_knapsack(owner, value, a[target], cap_in, n)
        gain = c + inner
        bound_value, outer = _outer(gain, a, cap, fin, out)
        if best is None or bound_value < best[0] - 1e-9:
            best = (bound_value, gain.copy(), lam.copy())
            stall = 0
        else:
            stall += 1
            if stall >= 10:
                step *= 0.5
                stall = 0
        # Polyak step towards the incumbent; without one, towards a bound 5% lower
        aim = incumbent if np.isfinite(incumbent) else bound_value - max(1.0, 0.05 * abs(bound_value))
        gap = bound_value - aim
        if gap <= 1e-9 or step < 1e-4 or (t_end is not None and time.perf_counter() > t_end):
            break
        # d bound / d lam_p = outer_j * frac(j takes i) - outer_i * frac(i takes j)
        m = q.size
        grad = outer[pj] * frac[m:] - outer[pi] * frac[:m]
        norm = float(grad @ grad)
        if norm <= 1e-18:
            break
        lam = np.clip(lam - step * gap / norm * grad, 0.0, q)
    assert best is not None  # the first iteration always records one
    bound_value, gain, lam = best
    bound_in, bound_out = fixed_bounds(gain, a, cap, fin, out)
    return QkpBound(bound=bound_value, bound_in=bound_in, bound_out=bound_out, iterations=it + 1, multipliers=lam,
                    method=f"Lagrangian upper planes on row {row_name!r}" +
                           (" (negative pair terms and other constraints relaxed)"
                            if not problem.is_classic_qkp else ""))


def _outer(gain: np.ndarray, a: np.ndarray, cap: float, fin: np.ndarray, out: np.ndarray) -> tuple[float, np.ndarray]:
    """Continuous knapsack over items with their upper-plane gains; forced items fixed."""
    free = ~fin & ~out & (gain > 0)
    value, x_free = fractional_knapsack(gain[free], a[free], cap - a[fin].sum())
    x = np.zeros(gain.size)
    x[free] = x_free
    x[fin] = 1.0
    return value + gain[fin].sum(), x


def fixed_bounds(gain: np.ndarray, a: np.ndarray, cap: float, fin: np.ndarray,
                  out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds with each item forced in / out, from one sort (prefix sums of the greedy order)."""
    n = gain.size
    free = np.flatnonzero(~fin & ~out & (gain > 0))
    base = gain[fin].sum()
    room = cap - a[fin].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(a[free] > 0, gain[free] / np.where(a[free] > 0, a[free], 1.0), np.inf)
    order = free[np.argsort(-ratio, kind="stable")]
    w, v = a[order], gain[order]
    cw, cv = np.concatenate([[0.0], np.cumsum(w)]), np.concatenate([[0.0], np.cumsum(v)])

    def greedy(capacity: np.ndarray) -> np.ndarray:
        """Continuous knapsack value of the greedy order at many capacities."""
        capacity = np.asarray(capacity, dtype=float)
        if order.size == 0:  # nothing worth taking
            return np.where(capacity < 0, -np.inf, 0.0)
        k = np.searchsorted(cw, capacity, side="right") - 1       # items fully taken
        k = np.clip(k, 0, order.size)
        val = cv[k]
        nxt = np.minimum(k, order.size - 1)
        part = np.where(k < order.size, np.clip(capacity - cw[k], 0, None) / np.where(w[nxt] > 0, w[nxt], 1.0), 0.0)
        part = np.where((k < order.size) & (w[nxt] > 0), np.minimum(part, 1.0) * v[nxt], 0.0)
        return np.where(capacity < 0, -np.inf, val + part)

    full = float(greedy(np.array([room]))[0])
    # forced in: its own gain plus the greedy over all items with the capacity it leaves (an upper bound)
    bound_in = base + np.where(out, -np.inf, gain + greedy(room - a))
    bound_in[fin] = base + full
    # forced out: items at or before the critical one leave room that the greedy refills
    pos_in_order = np.full(n, order.size)
    pos_in_order[order] = np.arange(order.size)
    crit = int(np.searchsorted(cw, room, side="right") - 1)
    early = pos_in_order <= crit
    bound_out = np.full(n, base + full)
    idx = np.flatnonzero(early & (pos_in_order < order.size))
    bound_out[idx] = base + greedy(room + a[idx]) - gain[idx]
    bound_out[fin] = -np.inf
    return bound_in, bound_out


#: relative gap between a bound and the best portfolio below which the outer approximation and the semidefinite
#: bound call that portfolio optimal: HiGHS ends a MIP with a bound up to ~1e-7 relative above its portfolio even
#: with no gap allowed (measured: 9.57304165 vs 9.57304065), and SCS's bounds come to 1e-7-1e-6 of a tight
#: relaxation's value. Stricter than the MIP stage's proof (HiGHS's mip_rel_gap, 1e-4 by default)
PROOF_TOLERANCE = 1e-6


def no_better(bound, incumbent: float, integral: bool):
    """True (per entry) when no portfolio worth `bound` at most can beat `incumbent`
    (with integral gains, a bound below incumbent + 1 is enough)."""
    bound = np.asarray(bound, dtype=float)
    if integral:
        return np.floor(bound + 1e-6) <= incumbent + 1e-9
    return bound <= incumbent + 1e-9 * max(1.0, abs(incumbent))


def fixings(bound_in: np.ndarray, bound_out: np.ndarray, incumbent: float, integral: bool, fixed_in: np.ndarray,
            fixed_out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(items to fix in, items to fix out) beyond those fixed already: an item whose bound with it is no better
    than the incumbent stays out, one whose bound without it is no better stays in."""
    fix_in = np.setdiff1d(np.flatnonzero(no_better(bound_out, incumbent, integral)), fixed_in)
    fix_out = np.setdiff1d(np.flatnonzero(no_better(bound_in, incumbent, integral)), fixed_out)
    return fix_in, fix_out


def trivial_bound(problem: SelectionProblem) -> float:
    """Every positive term counted, every negative one dropped (forced items respected): always valid."""
    out = np.zeros(problem.n, bool)
    out[problem.forced_out] = True
    fin = np.zeros(problem.n, bool)
    fin[problem.forced_in] = True
    c = np.where(out, 0.0, np.where(fin, problem.c, np.maximum(problem.c, 0.0)))
    alive = ~out[problem.pair_i] & ~out[problem.pair_j]
    both_in = fin[problem.pair_i] & fin[problem.pair_j]
    q = np.where(both_in, problem.pair_q, np.maximum(problem.pair_q, 0.0))
    return float(c.sum() + q[alive].sum())


#: subgradient steps of the Lagrangian bound wherever a solve needs one (pipeline, heuristic)
BOUND_ITERATIONS = 300


def best_bound(problem: SelectionProblem, incumbent: float,
               time_limit: float | None = None) -> tuple[float, str, QkpBound | None]:
    """The smallest bound at hand: the Lagrangian one where a knapsack row allows it, else the sum of the
    positive terms. (bound, how it was found, the Lagrangian result for fixing items, or None)."""
    trivial = trivial_bound(problem)
    lag = lagrangian_bound(problem, incumbent, iterations=BOUND_ITERATIONS, time_limit=time_limit)
    if lag is not None and lag.bound < trivial:
        return lag.bound, lag.method, lag
    return trivial, "the sum of all positive terms", lag
