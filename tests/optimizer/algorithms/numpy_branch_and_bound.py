"""The numpy branch and bound for the classic QKP: a second implementation kept only as a test oracle.

The package's search is the compiled kernel (optimizer/algorithms/qkp_kernel.py, run by
optimizer.algorithms.branch_and_bound); this is the search it replaced, written from the same
paper (Caprara, Pisinger & Toth 1999) with the split re-optimized at every node and dense n x n
arrays. Tests compare the kernel against it; benchmarks/timing/node_cost.py measures both per node.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from optimizer.algorithms.bounds import fixed_bounds, no_better
from optimizer.algorithms.branch_and_bound import Outcome, applies
from optimizer.core.problem import SelectionProblem
from optimizer.core.result import Termination

ROOT_STEPS = 300        # subgradient steps at the root
NODE_STEPS = 5          # at every other node, started from the parent's split
REFIX_STEPS = 3         # after a node fixed items, before it tries again
CHECK_EVERY = 16        # nodes between clock checks


def _knapsack(value: np.ndarray, weight: np.ndarray, room: float) -> tuple[float, np.ndarray]:
    """Continuous knapsack (weights > 0): Dantzig's greedy by value per weight."""
    x = np.zeros(value.size)
    take = np.flatnonzero(value > 0)
    order = take[np.argsort(-(value[take] / weight[take]), kind="stable")]
    filled = np.cumsum(weight[order])
    k = int(np.searchsorted(filled, room + 1e-9, side="right"))
    x[order[:k]] = 1.0
    if k < order.size:
        x[order[k]] = (room - (filled[k - 1] if k else 0.0)) / weight[order[k]]
    return float(value @ x), x


@dataclass
class _Node:
    free: np.ndarray            # indices of the free items
    share: np.ndarray           # len(free) x len(free): share[a, b] = what free[a] gets from pair (a, b)
    link: np.ndarray            # c_j + sum over fixed-in i of q_ij, for every item
    value: float                # f(S) of the fixed-in items
    used: float                 # their weight
    chosen: np.ndarray          # bool mask of the fixed-in items
    bound: float                # the parent's bound: what the node can be worth at most


class _Search:
    """The problem as dense arrays, the incumbent and the node operations."""

    def __init__(self, problem: SelectionProblem, integral: bool) -> None:
        n = problem.n
        self.n = n
        self.w = problem.A[0].astype(float)
        self.cap = float(problem.b[0])
        self.c = problem.c.astype(float)
        self.q = np.zeros((n, n))
        self.q[problem.pair_i, problem.pair_j] = problem.pair_q
        self.q[problem.pair_j, problem.pair_i] = problem.pair_q
        self.integral = integral
        self.best_x: np.ndarray | None = None
        self.best = -math.inf
        self.nodes = 0
        self.deadline = math.inf
        self.root_bound: float | None = None   # the first node's bound

    # -- pruning -------------------------------------------------------------------
    def hopeless(self, bound):
        """True (per entry) when a bound cannot beat the incumbent."""
        return no_better(bound, self.best, self.integral)

    def offer(self, x: np.ndarray) -> None:
        """A feasible portfolio: keep it if it beats the incumbent."""
        idx = np.flatnonzero(x)
        value = float(self.c[idx].sum() + self.q[np.ix_(idx, idx)].sum() / 2.0)
        if value > self.best:
            self.best, self.best_x = value, x.copy()

    # -- the bound -----------------------------------------------------------------
    def evaluate(self, node: _Node, share: np.ndarray, hint: np.ndarray | None = None, need_inner: bool = True):
        """Bound of the node for one split: (bound, gains, outer x, inner solutions, partner order).

        `hint` is the partner order of the previous split: nearly sorted for the new
        one, which the stable sort (timsort) handles in about half the time.
        """
        free = node.free
        m = free.size
        room = self.cap - node.used
        wf = self.w[free]
        offset = (np.arange(m) * m)[:, None]
        ratio = share / wf[None, :]           # share >= 0 with a zero diagonal: self sorts among the dead
        if hint is None:
            order = np.argsort(-ratio, axis=1, kind="stable")
        else:
            order = np.take_along_axis(hint, np.argsort(-ratio.ravel()[hint + offset], axis=1, kind="stable"), axis=1)
        flat = order + offset
        vs = share.ravel()[flat]
        alive = vs > 0
        ws = wf[order] * alive
        cw = np.cumsum(ws, axis=1)
        inner_cap = room - wf
        k = (cw <= inner_cap[:, None] + 1e-9).sum(axis=1)        # partners taken whole
        rows = np.arange(m)
        used = np.where(k > 0, cw[rows, np.maximum(k - 1, 0)], 0.0)
        nxt = np.minimum(k, m - 1)
        nw = ws[rows, nxt]
        frac = np.where((k < m) & (nw > 0), np.clip((inner_cap - used) / np.where(nw > 0, nw, 1.0), 0.0, 1.0), 0.0)
        position = np.arange(m)[None, :]
        taken = ((position < k[:, None]) + (position == k[:, None]) * frac[:, None]) * alive
        gain = node.link[free] + np.einsum("ij,ij->i", vs, taken)
        bound, outer = _knapsack(gain, wf, room)
        if not need_inner:
            return node.value + bound, gain, outer, None, order
        inner = np.zeros(m * m)
        inner[flat] = taken
        return node.value + bound, gain, outer, inner.reshape(m, m), order

    def tighten(self, node: _Node, steps: int):
        """Subgradient steps on the split; returns the best (bound, gains, outer x, split).

        Polyak steps towards the incumbent; the step factor halves after 10
        steps without a better bound (only the root makes that many).
        """
        share = node.share
        best = None
        step, stall = (2.0 if steps > NODE_STEPS else 1.0), 0
        order = None
        for it in range(steps + 1):
            last = it == steps
            bound, gain, outer, inner, order = self.evaluate(node, share, order, need_inner=not last)
            if best is None or bound < best[0] - 1e-9:
                best, stall = (bound, gain, outer, share), 0
            else:
                stall += 1
                if stall >= 10:
                    step, stall = step * 0.5, 0
            if self.hopeless(best[0]) or last or step < 1e-3 or time.perf_counter() > self.deadline:
                break
            aim = self.best if np.isfinite(self.best) else bound - max(1.0, 0.05 * abs(bound))
            # d bound / d share[a, b] = x_a * inner[a, b] - x_b * inner[b, a]
            grad = outer[:, None] * inner
            grad = grad - grad.T
            norm = float(np.einsum("ij,ij->", grad, grad))
            if norm <= 1e-18 or bound - aim <= 0:
                break
            total = share + share.T
            share = np.clip(share - step * (bound - aim) / norm * grad, 0.0, total)
        return best

    # -- the tree ------------------------------------------------------------------
    def fix(self, node: _Node, keep: np.ndarray, force: np.ndarray) -> _Node | None:
        """The node with free items outside `keep` fixed out and those in `force` fixed in."""
        stay = keep & ~force
        chosen, link, value, used = node.chosen, node.link, node.value, node.used
        if force.any():
            chosen = chosen.copy()
            for j in node.free[force]:   # few per node: each updates the links of all items
                value += link[j]
                used += self.w[j]
                link = link + self.q[:, j]
                chosen[j] = True
            if used > self.cap + 1e-9:
                return None
        return _Node(node.free[stay], node.share[np.ix_(stay, stay)], link, value, used, chosen, node.bound)

    def complete(self, node: _Node, gain: np.ndarray) -> None:
        """Greedy completion by gain per weight: a feasible portfolio for the incumbent."""
        x = node.chosen.copy()
        room = self.cap - node.used
        order = np.argsort(-gain / self.w[node.free], kind="stable")
        for j in node.free[order]:
            if self.w[j] <= room:
                x[j] = True
                room -= self.w[j]
        self.offer(x)

    def process(self, node: _Node, steps: int) -> list[_Node]:
        """Bound, fix, complete and branch one node; returns its children (to explore last-first)."""
        while True:
            room = self.cap - node.used
            too_big = self.w[node.free] > room + 1e-9
            if too_big.any():
                smaller = self.fix(node, ~too_big, np.zeros(node.free.size, bool))
                if smaller is None:
                    return []
                node = smaller
            if node.free.size == 0:
                self.offer(node.chosen)
                return []
            if self.w[node.free].sum() <= room + 1e-9:
                # everything left fits: with c, q >= 0 taking it all is best
                x = node.chosen.copy()
                x[node.free] = True
                self.offer(x)
                return []
            bound, gain, outer, share = self.tighten(node, steps)
            node.share, node.bound = share, min(node.bound, bound)
            if self.root_bound is None:
                self.root_bound = node.bound
            if self.hopeless(node.bound):
                return []
            none = np.zeros(node.free.size, bool)
            bound_in, bound_out = fixed_bounds(gain, self.w[node.free], room, none, none)
            drop = self.hopeless(node.value + bound_in)
            force = self.hopeless(node.value + bound_out) & ~drop
            if not (drop.any() or force.any()):
                break
            fixed = self.fix(node, ~drop, force)
            if fixed is None:
                return []
            node = fixed
            steps = REFIX_STEPS
        self.complete(node, gain)
        if self.hopeless(node.bound):
            return []
        part = np.flatnonzero((outer > 1e-9) & (outer < 1 - 1e-9))
        # the fractional item of the outer knapsack (measured: as good as a product score of the
        # children's bounds, and 2-10x fewer nodes than the largest gain)
        if part.size:
            a = int(part[0])
        else:
            whole = np.flatnonzero(outer > 0.5)
            a = int(whole[np.argmax(self.w[node.free][whole])]) if whole.size else int(np.argmax(gain))
        only = np.zeros(node.free.size, bool)
        only[a] = True
        out_child = self.fix(node, ~only, np.zeros_like(only))
        in_child = self.fix(node, np.ones_like(only), only)
        return [c for c in (out_child, in_child) if c is not None]


def numpy_branch_and_bound(problem: SelectionProblem, *, incumbent: np.ndarray | None = None,
                            time_limit: float | None = None, integral: bool | None = None) -> Outcome:
    """The numpy search (the split re-optimised at every node); `branch_and_bound` falls back to it."""
    why = applies(problem)
    if why is not None:
        raise ValueError(f"branch and bound does not apply: {why}")
    t0 = time.perf_counter()
    deadline = math.inf if time_limit is None else t0 + time_limit
    if integral is None:
        integral = problem.has_integral_objective
    search = _Search(problem, integral)
    search.deadline = deadline
    n = problem.n
    chosen = np.zeros(n, bool)
    chosen[problem.forced_in] = True
    excluded = np.zeros(n, bool)
    excluded[problem.forced_out] = True
    if incumbent is not None:
        start = np.asarray(incumbent) > 0.5
        # a start that breaks the row or the fixings would prune with a value no portfolio has
        if start.shape == (n,) and search.w @ start <= search.cap + 1e-9 and start[chosen].all() \
                and not start[excluded].any():
            search.offer(start)
    fixed = np.flatnonzero(chosen)
    free = np.flatnonzero(~chosen & ~excluded)
    root = _Node(free=free, share=search.q[np.ix_(free, free)] / 2.0,
                 link=search.c + search.q[:, fixed].sum(axis=1),
                 value=float(search.c[fixed].sum() + search.q[np.ix_(fixed, fixed)].sum() / 2.0),
                 used=float(search.w[fixed].sum()), chosen=chosen, bound=math.inf)
    if root.used > search.cap + 1e-9:
        return Outcome(Termination.INFEASIBLE, None, -math.inf, -math.inf, -math.inf, 0, time.perf_counter() - t0,
                       "numpy search")
    stack = [root]
    status = Termination.OPTIMAL
    node = None
    try:
        while stack:
            if search.nodes % CHECK_EVERY == 0 and time.perf_counter() > deadline:
                status = Termination.TIME_LIMIT
                break
            node = stack.pop()
            if search.hopeless(node.bound):
                continue
            first = search.nodes == 0
            search.nodes += 1
            stack.extend(search.process(node, ROOT_STEPS if first else NODE_STEPS))
            node = None
    except KeyboardInterrupt:
        status = Termination.INTERRUPTED
        if node is not None:  # stopped inside a node: it is still open
            stack.append(node)
    seconds = time.perf_counter() - t0
    # no bound computed: the root was solved outright (everything fit) or never processed
    root_bound = search.root_bound if search.root_bound is not None else (
        search.best if status is Termination.OPTIMAL else math.inf)
    open_bound = max((nd.bound for nd in stack), default=-math.inf)
    if search.best_x is None:
        if status is Termination.OPTIMAL:
            return Outcome(Termination.INFEASIBLE, None, -math.inf, -math.inf, root_bound, search.nodes, seconds,
                           "numpy search")
        return Outcome(status, None, -math.inf, open_bound, root_bound, search.nodes, seconds, "numpy search")
    bound = search.best if status is Termination.OPTIMAL else max(search.best, open_bound)
    return Outcome(status, search.best_x.astype(np.int8), search.best, bound, root_bound, search.nodes, seconds,
                   "numpy search")
