"""Breakpoints of the budget price: a start for the QKP from parametric minimum cuts (Hochbaum et al.'s idea).

With q >= 0 the objective f(S) = sum_{i in S} c_i + sum_{i<j in S} q_ij is
supermodular, so for a price lambda on the budget

    g(lambda) = max_S f(S) - lambda w(S)

is one minimum cut (Picard & Ratliff): with x_i x_j = (x_i + x_j - |x_i - x_j|) / 2,
f(S) - lambda w(S) = sum_{i in S} d_i - sum_{i<j} (q_ij / 2) [i, j cut apart],
d_i = c_i - lambda w_i + (1/2) sum_j q_ij; the source side of the cut with
terminal edges s -> i of d_i^+ and i -> t of d_i^-, and i <-> j of q_ij / 2, is
the maximizer. The maximizers are nested as lambda falls, and each one (a
*breakpoint*) is the best portfolio for its own weight. So the two
breakpoints around the budget B are found by Newton-like steps on the price
(lambda = the slope between the two sets bracketing B), a handful of cuts;
the lighter one is filled greedily, the heavier one trimmed greedily and
refilled, and the better of the two is the start of the tabu search.

Applies to one knapsack row with nonnegative weights, q >= 0, and nothing
else but forced items (`applies`). The cuts use PyMaxflow (Boykov-Kolmogorov,
compiled, vectorized graph building; a declared dependency imported lazily,
`available()` says why it cannot run).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from optimizer.core.problem import SelectionProblem

MAX_CUTS = 60        # cuts in the price search (each a max flow); the bracket is usually found in 5-20
#: above this many pairs a single cut takes seconds and cannot be interrupted (measured on dense QKPs: 0.2 s per
#: cut at 125,000 pairs, 2 s at 250,000, 30-90 s at 1-2 million; 0.005-0.015 s on 40,000-pair sparse graphs of
#: 10,000 items, benchmarks/timing/breakpoints.py)
MAX_PAIRS = 150_000
EPS = 1e-9


def available() -> tuple[bool, str]:
    """Whether the cuts can run here (PyMaxflow importable), and why not."""
    try:
        import maxflow  # noqa: F401
    except ImportError as exc:
        return False, f"PyMaxflow cannot be imported ({exc}); pip install PyMaxflow"
    return True, "parametric minimum cuts (PyMaxflow)"


def applies(problem: SelectionProblem) -> str | None:
    """None when the breakpoint start can run on `problem`, else why not (one sentence)."""
    if problem.A.shape[0] != 1:
        return f"it takes exactly one knapsack row, the problem has {problem.A.shape[0]}"
    if np.any(problem.A < 0) or problem.b[0] < 0:
        return "its knapsack row must have nonnegative weights and limit"
    if np.any(problem.pair_q < 0):
        return "it needs q >= 0 (negative pair terms make the cut problem non-submodular)"
    if problem.size_min > 0 or problem.size_max < problem.n:
        return "size bounds are not supported"
    if problem.conflicts.size or problem.groups or problem.covers:
        return "conflicts, groups and covers are not supported"
    if problem.n_pairs > MAX_PAIRS:
        return f"{problem.n_pairs:,} pairs are above {MAX_PAIRS:,}, where one minimum cut takes seconds"
    return None


@dataclass(frozen=True)
class BreakpointStart:
    """The start found: a feasible 0/1 vector and its value, and how it was found."""

    x: np.ndarray          # int8 over all items
    objective: float
    optimal: bool          # the best portfolio with no budget fits the budget: it is optimal
    bound: float           # Lagrangian bound of the budget at the last price: max_S f(S) - price (w(S) - B)
    cuts: int              # minimum cuts solved
    seconds: float
    note: str
    lower: np.ndarray      # bool over all items: the breakpoint at or below the budget (forced-in items in), the
                           # best portfolio of its own weight
    upper: np.ndarray      # bool over all items: the breakpoint above it (= lower when the budget does not bind)

    def core(self, problem: SelectionProblem) -> SelectionProblem:
        """The problem between the two breakpoints: the lower one's items forced in, those outside the upper
        one forced out (where the optimum usually differs from the breakpoints; a heuristic restriction)."""
        return problem.replace(forced_in=np.flatnonzero(self.lower), forced_out=np.flatnonzero(~self.upper))


class _Items:
    """The free items (forced ones folded in), their pairs, and f and w of any subset of them."""

    def __init__(self, problem: SelectionProblem) -> None:
        n = problem.n
        w = problem.A[0].astype(float)
        fin = np.zeros(n, bool)
        fin[problem.forced_in] = True
        out = np.zeros(n, bool)
        out[problem.forced_out] = True
        self.forced_weight = float(w[fin].sum())
        self.room = float(problem.b[0]) - self.forced_weight
        c = problem.c.astype(float).copy()
        pi, pj, q = problem.pair_i, problem.pair_j, problem.pair_q.astype(float)
        # a pair with one forced-in item is a linear gain of the other
        np.add.at(c, pj[fin[pi]], q[fin[pi]])
        np.add.at(c, pi[fin[pj]], q[fin[pj]])
        self.free = np.flatnonzero(~fin & ~out & (w <= self.room + EPS))
        where = np.full(n, -1)
        where[self.free] = np.arange(self.free.size)
        keep = (where[pi] >= 0) & (where[pj] >= 0) & (q > 0)
        self.i, self.j, self.q = where[pi[keep]], where[pj[keep]], q[keep]
        self.c, self.w = c[self.free], w[self.free]
        self.m = self.free.size
        self.half_degree = 0.5 * (np.bincount(self.i, self.q, self.m) + np.bincount(self.j, self.q, self.m))

    def value(self, s: np.ndarray) -> float:
        """f over the free items of the subset s (bool)."""
        return float(self.c[s].sum() + self.q[s[self.i] & s[self.j]].sum())

    def cut(self, price: float) -> np.ndarray:
        """The maximizer of f(S) - price w(S) (bool over the free items): one minimum cut."""
        import maxflow

        g = maxflow.Graph[float](self.m, self.i.size)
        nodes = g.add_nodes(self.m)
        d = self.c - price * self.w + self.half_degree
        g.add_grid_tedges(nodes, np.maximum(d, 0.0), np.maximum(-d, 0.0))
        if self.i.size:
            g.add_edges(self.i, self.j, 0.5 * self.q, 0.5 * self.q)
        g.maxflow()
        return ~g.get_grid_segments(nodes)      # True = sink side; the source side is the portfolio


def _greedy(items: _Items, s: np.ndarray, gain: np.ndarray, pairs: PairRows) -> np.ndarray:
    """Trim s to the budget (least gain per weight out first), then fill it (best gain per weight in first)."""
    used = float(items.w[s].sum())
    while used > items.room + EPS:
        inside = np.flatnonzero(s)
        k = int(inside[np.argmin(gain[inside] / np.maximum(items.w[inside], EPS))])
        s[k] = False
        used -= items.w[k]
        pairs.add(gain, k, -1.0)
    while True:
        cand = np.flatnonzero(~s & (items.w <= items.room - used + EPS) & (gain > EPS))
        if cand.size == 0:
            return s
        k = int(cand[np.argmax(gain[cand] / np.maximum(items.w[cand], EPS))])
        s[k] = True
        used += items.w[k]
        pairs.add(gain, k, 1.0)


class PairRows:
    """The free items' pairs as compressed rows: adding item k to a set changes every gain by row k."""

    def __init__(self, items: _Items) -> None:
        rows = np.concatenate([items.i, items.j])
        order = np.argsort(rows, kind="stable")
        self.cols = np.concatenate([items.j, items.i])[order]
        self.vals = np.concatenate([items.q, items.q])[order]
        self.ptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=items.m))])

    def gains(self, items: _Items, s: np.ndarray) -> np.ndarray:
        """c_k + sum_{j in s} q_kj for every free item k."""
        rows = np.repeat(np.arange(items.m), np.diff(self.ptr))
        return items.c + np.bincount(rows, self.vals * s[self.cols], items.m)

    def add(self, gain: np.ndarray, k: int, sign: float) -> None:
        a, b = self.ptr[k], self.ptr[k + 1]
        gain[self.cols[a:b]] += sign * self.vals[a:b]


def breakpoint_start(problem: SelectionProblem, time_limit: float | None = None) -> BreakpointStart | None:
    """The breakpoints around the budget, filled and trimmed greedily (see the module docstring).
    Call only where `applies(problem)` is None and `available()` holds; None when the forced-in items
    alone break the row (no portfolio fits)."""
    t0 = time.perf_counter()
    items = _Items(problem)
    if items.room < -EPS:
        return None
    full = np.zeros(problem.n, np.int8)
    full[problem.forced_in] = 1
    base = problem.objective(full)          # the forced-in items' own value
    cuts = 0

    def mask(s: np.ndarray) -> np.ndarray:
        out = full.astype(bool)
        out[items.free[s]] = True
        return out

    def result(s: np.ndarray, optimal: bool, bound: float, lower: np.ndarray, upper: np.ndarray,
               note: str) -> BreakpointStart:
        x = mask(s).astype(np.int8)
        value = problem.objective(x)
        return BreakpointStart(x, value, optimal, value if optimal else max(bound, value), cuts,
                               time.perf_counter() - t0, note, mask(lower), mask(upper))

    if items.m == 0:
        nothing = np.zeros(0, bool)
        return result(nothing, True, base, nothing, nothing, "no free item fits")
    hi = items.cut(0.0)
    cuts += 1
    if items.w[hi].sum() <= items.room + EPS:
        return result(hi, True, 0.0, hi, hi, "the best portfolio without the budget fits the budget")
    lo = np.zeros(items.m, bool)
    f_lo, w_lo, f_hi, w_hi = 0.0, 0.0, items.value(hi), float(items.w[hi].sum())
    bound = f_hi            # the price 0
    note = "bracketed the budget between two adjacent breakpoints"
    while True:
        if cuts >= MAX_CUTS or (time_limit is not None and time.perf_counter() - t0 > time_limit):
            note = f"stopped the price search after {cuts} cuts"
            break
        price = (f_hi - f_lo) / (w_hi - w_lo)
        mid = items.cut(price)
        cuts += 1
        f_mid, w_mid = items.value(mid), float(items.w[mid].sum())
        # g(price) + price B bounds every portfolio within the budget (the budget's Lagrangian relaxation)
        bound = min(bound, f_mid + price * (items.room - w_mid))
        if f_mid - price * w_mid <= f_lo - price * w_lo + EPS * max(1.0, abs(f_lo)):
            break                                   # no set between the two: they are adjacent breakpoints
        if w_mid <= items.room + EPS:
            lo, f_lo, w_lo = mid, f_mid, w_mid
        else:
            hi, f_hi, w_hi = mid, f_mid, w_mid
    pairs = PairRows(items)
    filled = _greedy(items, lo.copy(), pairs.gains(items, lo), pairs)
    trimmed = _greedy(items, hi.copy(), pairs.gains(items, hi), pairs)
    best = filled if items.value(filled) >= items.value(trimmed) else trimmed
    return result(best, False, bound + base, lo, hi, note)
