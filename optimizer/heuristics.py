"""Greedy construction and local search (add, drop, swap) with incremental gains in numpy.

Every move keeps the portfolio feasible for every constraint kind, so any
solution returned is an incumbent the exact stage can build on. Deterministic
for a given seed.
"""

from __future__ import annotations

import time

import numpy as np

from optimizer.problem import SelectionProblem
from optimizer.verify import is_feasible

DENSE_LIMIT = 4000  # pair matrix kept dense up to this many items


class _State:
    """A feasible portfolio with the bookkeeping that makes moves O(n)."""

    def __init__(self, problem: SelectionProblem) -> None:
        p = problem
        n = p.n
        self.p = p
        self.Q = np.zeros((n, n))
        self.Q[p.pair_i, p.pair_j] = p.pair_q
        self.Q += self.Q.T
        self.x = np.zeros(n, bool)
        self.gain = p.c.astype(float).copy()      # objective change of adding i (for i out: c_i + Q_i . x)
        self.use = np.zeros(p.A.shape[0])
        self.conflict = np.zeros((n, n), bool)
        if p.conflicts.size:
            self.conflict[p.conflicts[:, 0], p.conflicts[:, 1]] = True
            self.conflict[p.conflicts[:, 1], p.conflicts[:, 0]] = True
        self.group_count = np.zeros(len(p.groups), dtype=np.int64)
        self.group_matrix = np.zeros((len(p.groups), n), bool)
        for k, g in enumerate(p.groups):
            self.group_matrix[k, g] = True
        self.cover_matrix = np.zeros((len(p.covers), n), bool)
        for k, cov in enumerate(p.covers):
            self.cover_matrix[k, cov] = True
        self.cover_count = np.zeros(len(p.covers), dtype=np.int64)
        self.fixed = np.zeros(n, bool)
        self.fixed[p.forced_in] = True
        self.fixed[p.forced_out] = True
        self.value = 0.0

    def flip(self, i: int) -> None:
        on = not self.x[i]
        sign = 1.0 if on else -1.0
        self.value += sign * self.gain[i]   # gain[i] = c_i + sum of q_ij over chosen j (q_ii = 0)
        self.x[i] = on
        self.gain += sign * self.Q[i]
        self.use += sign * self.p.A[:, i]
        self.group_count += int(sign) * self.group_matrix[:, i]
        self.cover_count += int(sign) * self.cover_matrix[:, i]

    def can_add(self) -> np.ndarray:
        """Mask of items that could be added keeping every upper-side constraint."""
        p = self.p
        ok = ~self.x & ~self.fixed
        if p.A.shape[0]:
            ok &= np.all(self.use[:, None] + p.A <= p.b[:, None] + 1e-9, axis=0)
        if self.x.sum() >= p.size_max:
            ok[:] = False
        if p.conflicts.size:
            ok &= ~self.conflict[:, self.x].any(axis=1)
        if len(p.groups):
            full = self.group_count >= 1
            ok &= ~self.group_matrix[full].any(axis=0)
        return ok

    def can_drop(self) -> np.ndarray:
        """Mask of chosen items whose removal keeps every lower-side constraint."""
        p = self.p
        ok = self.x & ~self.fixed
        if p.A.shape[0]:
            neg = p.A < 0   # dropping an item with a negative coefficient raises the row's use
            ok &= np.all((self.use[:, None] - p.A <= p.b[:, None] + 1e-9) | ~neg, axis=0)
        if self.x.sum() <= p.size_min:
            ok[:] = False
        if len(p.covers):
            single = self.cover_count <= 1
            ok &= ~self.cover_matrix[single].any(axis=0)
        return ok


def _construct(s: _State, rng: np.random.Generator, noise: float) -> bool:
    """Greedy: forced items, then covers, then best ratio gains while they improve."""
    p = s.p
    for i in p.forced_in:
        s.flip(int(i))
    weight = np.maximum(p.A, 0).sum(axis=0) / np.maximum(p.b, 1e-9).sum() if p.A.shape[0] else np.zeros(p.n)
    weight = weight + 1e-3
    for k in range(len(p.covers)):
        if s.cover_count[k] == 0:
            cand = np.flatnonzero(s.can_add() & s.cover_matrix[k])
            if cand.size == 0:
                return False
            s.flip(int(cand[np.argmax(s.gain[cand] / weight[cand])]))
    while True:
        ok = s.can_add()
        need = s.x.sum() < p.size_min
        cand = np.flatnonzero(ok & ((s.gain > 1e-12) | need))
        if cand.size == 0:
            break
        score = s.gain[cand] / weight[cand]
        if noise:
            score = score * (1.0 + noise * rng.random(cand.size))
        s.flip(int(cand[np.argmax(score)]))
    return bool(s.x.sum() >= p.size_min)


def _local_search(s: _State, deadline: float) -> None:
    """Best-improvement add / drop / swap until no move improves."""
    p = s.p
    while time.perf_counter() < deadline:
        best_delta, move = 1e-9, None
        add = np.flatnonzero(s.can_add())
        if add.size:
            k = int(np.argmax(s.gain[add]))
            if s.gain[add[k]] > best_delta:
                best_delta, move = float(s.gain[add[k]]), ("add", int(add[k]))
        drop = np.flatnonzero(s.can_drop())
        if drop.size:
            k = int(np.argmin(s.gain[drop]))
            if -s.gain[drop[k]] > best_delta:
                best_delta, move = float(-s.gain[drop[k]]), ("drop", int(drop[k]))
        inside = np.flatnonzero(s.x & ~s.fixed)
        outside = np.flatnonzero(~s.x & ~s.fixed)
        if inside.size and outside.size:
            delta = s.gain[outside][None, :] - s.gain[inside][:, None] - s.Q[np.ix_(inside, outside)]
            feasible = np.ones(delta.shape, bool)
            if p.A.shape[0]:
                for r in range(p.A.shape[0]):
                    feasible &= (s.use[r] - p.A[r, inside][:, None] + p.A[r, outside][None, :]) <= p.b[r] + 1e-9
            if p.conflicts.size:
                # j may not conflict with any chosen item other than i
                chosen_conf = s.conflict[np.ix_(outside, np.flatnonzero(s.x))].sum(axis=1)
                feasible &= (chosen_conf[None, :] - s.conflict[np.ix_(inside, outside)]) == 0
            if len(p.groups):
                # after dropping i, none of j's groups may hold a chosen item
                counts = s.group_count[:, None] - s.group_matrix[:, inside]          # groups x inside
                feasible &= ((counts.T > 0).astype(np.int64) @ s.group_matrix[:, outside].astype(np.int64)) == 0
            if len(p.covers):
                # every cover that dropping i leaves empty must be covered by j
                lost = (s.cover_count[:, None] - s.cover_matrix[:, inside]) <= 0      # covers x inside
                feasible &= (lost.T.astype(np.int64) @ (~s.cover_matrix[:, outside]).astype(np.int64)) == 0
            delta = np.where(feasible, delta, -np.inf)
            k = int(np.argmax(delta))
            a, b = divmod(k, outside.size)
            if delta[a, b] > best_delta:
                best_delta, move = float(delta[a, b]), ("swap", int(inside[a]), int(outside[b]))
        if move is None:
            return
        if move[0] == "swap":
            s.flip(move[1])
            s.flip(move[2])
        else:
            s.flip(move[1])


def local_search_heuristic(problem: SelectionProblem, time_limit: float = 1.0, seed: int = 0,
                           restarts: int = 20) -> tuple[np.ndarray | None, float]:
    """Best feasible portfolio found by greedy + local search with perturbed restarts.

    Returns (x, objective), or (None, -inf) when no feasible start was found.
    """
    if problem.n > DENSE_LIMIT or problem.n == 0:
        return None, -np.inf
    rng = np.random.default_rng(seed)
    deadline = time.perf_counter() + time_limit
    best_x, best_value = None, -np.inf
    for attempt in range(restarts):
        s = _State(problem)
        if not _construct(s, rng, noise=0.0 if attempt == 0 else 0.3):
            continue
        _local_search(s, deadline)
        x = s.x.astype(np.int8)
        value = problem.objective(x)
        if value > best_value and is_feasible(problem, x):
            best_x, best_value = x, value
        if time.perf_counter() > deadline:
            break
    return best_x, best_value
