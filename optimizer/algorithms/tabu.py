"""Heuristic search: greedy construction, then tabu search over add / drop / swap moves.

Every move keeps the portfolio feasible for every constraint kind (knapsack
rows of either sign, size range, conflicts, groups, covers, forced items), so
every portfolio the search holds is an incumbent the exact stage can use.

The gain of each item (objective change if it is added, or lost if it is
dropped) is kept up to date in numpy after each flip: one row of the pair
matrix, dense up to `DENSE_BYTES`, compressed sparse rows above. Swaps are
evaluated on a candidate block (the chosen items cheapest to drop against the
outside items with the best gain and the best gain per weight), which keeps an
iteration O(n) at n = 10,000. Diversification: a tabu tenure on flipped items
and, after a stall, a perturbation of the best portfolio (random drops, greedy
refill with noise). The search is deterministic for a given seed: only the
clock (`time_limit`) can stop it at a different point; `max_rounds`
(perturbations without improvement) is the deterministic stopping rule.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from optimizer.core.problem import SelectionProblem
from optimizer.core.result import Termination
from optimizer.core.verify import is_feasible

DENSE_BYTES = 256 * 2**20   # the pair matrix is kept dense (float64) while it fits in this
SWAP_BLOCK = 40_000         # swap pairs evaluated per move: all of them on small problems, else the best candidates
EPS = 1e-9


class PairMatrix:
    """Symmetric pair values q_ij as a dense matrix or compressed sparse rows."""

    def __init__(self, n: int, i: np.ndarray, j: np.ndarray, q: np.ndarray) -> None:
        keep = q != 0
        i, j, q = i[keep], j[keep], q[keep]
        self.n = n
        self.dense = n * n * 8 <= DENSE_BYTES and (i.size * 2 > n * n / 16 or n <= 512)
        if self.dense:
            self.Q = np.zeros((n, n))
            self.Q[i, j] = q
            self.Q[j, i] = q
            return
        rows, cols, vals = np.concatenate([i, j]), np.concatenate([j, i]), np.concatenate([q, q])
        order = np.argsort(rows, kind="stable")
        self.cols, self.vals = cols[order], vals[order]
        self.ptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))])

    def add_row(self, target: np.ndarray, k: int, scale: float) -> None:
        """target += scale * Q[k]."""
        if self.dense:
            target += scale * self.Q[k]
        else:
            s, e = self.ptr[k], self.ptr[k + 1]
            target[self.cols[s:e]] += scale * self.vals[s:e]

    def block(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The dense block Q[rows][:, cols]."""
        if self.dense:
            return self.Q[np.ix_(rows, cols)]
        out = np.zeros((rows.size, cols.size))
        where = np.full(self.n, -1)
        where[cols] = np.arange(cols.size)
        starts, ends = self.ptr[rows], self.ptr[rows + 1]
        lengths = ends - starts
        if lengths.sum() == 0:
            return out
        owner = np.repeat(np.arange(rows.size), lengths)
        idx = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths) + np.repeat(starts, lengths)
        pos = where[self.cols[idx]]
        hit = pos >= 0
        out[owner[hit], pos[hit]] = self.vals[idx[hit]]
        return out


class _Portfolio:
    """A feasible portfolio with the bookkeeping that makes a move O(n)."""

    def __init__(self, problem: SelectionProblem, pairs: PairMatrix, conflicts: PairMatrix | None) -> None:
        p = problem
        self.p, self.pairs, self.conflicts = p, pairs, conflicts
        n = p.n
        self.x = np.zeros(n, bool)
        self.gain = p.c.astype(float).copy()   # c_k + sum_j q_kj x_j: value of adding k, or lost by dropping it
        self.value = 0.0
        self.size = 0
        self.slack = p.b.astype(float).copy()  # b - A x
        self.conflict_hits = np.zeros(n)        # chosen items in hard conflict with k
        self.group_of = np.zeros((len(p.groups), n), bool)
        for g, members in enumerate(p.groups):
            self.group_of[g, members] = True
        self.group_count = np.zeros(len(p.groups))
        self.cover_of = np.zeros((len(p.covers), n), bool)
        for k, members in enumerate(p.covers):
            self.cover_of[k, members] = True
        self.cover_count = np.zeros(len(p.covers))
        self.fixed = np.zeros(n, bool)
        self.fixed[p.forced_in] = True
        self.fixed[p.forced_out] = True

    def copy_from(self, other: _Portfolio) -> None:
        for name in ("x", "gain", "slack", "conflict_hits", "group_count", "cover_count"):
            getattr(self, name)[:] = getattr(other, name)
        self.value, self.size = other.value, other.size

    def flip(self, k: int) -> None:
        on = not self.x[k]
        sign = 1.0 if on else -1.0
        self.value += sign * self.gain[k]
        self.x[k] = on
        self.size += 1 if on else -1
        self.pairs.add_row(self.gain, k, sign)
        self.slack -= sign * self.p.A[:, k]
        if self.conflicts is not None:
            self.conflicts.add_row(self.conflict_hits, k, sign)
        if self.group_count.size:
            self.group_count += sign * self.group_of[:, k]
        if self.cover_count.size:
            self.cover_count += sign * self.cover_of[:, k]

    # ---------------------------------------------------------------- move masks

    def blocked(self) -> np.ndarray:
        """Per item: how many of its groups already hold a chosen item."""
        if not self.group_count.size:
            return np.zeros(self.p.n)
        return (self.group_count > 0.5).astype(float) @ self.group_of

    def critical(self) -> np.ndarray:
        """Per item: how many covers it alone satisfies."""
        if not self.cover_count.size:
            return np.zeros(self.p.n)
        return (np.abs(self.cover_count - 1) < 0.5).astype(float) @ self.cover_of

    def can_add(self) -> np.ndarray:
        ok = ~self.x & ~self.fixed
        if self.size >= self.p.size_max:
            return ok & False
        if self.slack.size:
            ok &= np.all(self.p.A <= self.slack[:, None] + EPS, axis=0)
        if self.conflicts is not None:
            ok &= self.conflict_hits < 0.5
        if self.group_count.size:
            ok &= self.blocked() < 0.5
        return ok

    def can_drop(self) -> np.ndarray:
        ok = self.x & ~self.fixed
        if self.size <= self.p.size_min:
            return ok & False
        if self.slack.size:
            ok &= np.all(-self.p.A <= self.slack[:, None] + EPS, axis=0)
        if self.cover_count.size:
            ok &= self.critical() < 0.5
        return ok

    def swap_block(self, inside: np.ndarray, outside: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Objective change and feasibility of dropping inside[a] and adding outside[b]."""
        delta = self.gain[outside][None, :] - self.gain[inside][:, None] - self.pairs.block(inside, outside)
        ok = np.ones(delta.shape, bool)
        A = self.p.A
        for r in range(A.shape[0]):
            ok &= (A[r, outside][None, :] - A[r, inside][:, None]) <= self.slack[r] + EPS
        if self.conflicts is not None:
            ok &= np.abs(self.conflict_hits[outside][None, :] - self.conflicts.block(inside, outside)) < 0.5
        if self.group_count.size:
            shared = self.group_of[:, inside].T.astype(float) @ self.group_of[:, outside].astype(float)
            ok &= np.abs(self.blocked()[outside][None, :] - shared) < 0.5
        if self.cover_count.size:
            single = np.abs(self.cover_count - 1) < 0.5
            lost = (self.cover_of[:, inside] & single[:, None]).T.astype(float)   # covers only i holds
            kept = lost @ self.cover_of[:, outside].astype(float)
            ok &= np.abs(kept - lost.sum(axis=1)[:, None]) < 0.5
        return delta, ok


@dataclass(frozen=True)
class SearchResult:
    """Best portfolio a heuristic run found, with how the run went.

    `termination` says why it stopped: FEASIBLE by its own rule (`max_rounds` without
    improvement, or the target reached: see `note`), TIME_LIMIT, INTERRUPTED (Ctrl-C),
    INFEASIBLE (the repair proved there is no portfolio), ERROR (no first portfolio found).
    """

    x: np.ndarray | None          # 0/1 vector (int8), or None when no feasible start was found
    objective: float              # -inf without a portfolio
    termination: Termination
    note: str = ""                # the rule that stopped it, in words
    iterations: int = 0
    rounds: int = 0               # perturbation rounds
    seconds: float = 0.0
    best_at: float = 0.0          # seconds until the best portfolio was found
    start: str = "greedy"         # how the first portfolio was built


@dataclass(frozen=True)
class FirstPortfolio:
    """What a repair (a `Repair` function) found: a feasible 0/1 vector, or why there is none
    (INFEASIBLE: proven; TIME_LIMIT: none found in the time given)."""

    x: np.ndarray | None
    termination: Termination
    how: str                      # who found it, for SearchResult.start


#: finds any feasible portfolio when the greedy cannot: (problem, seconds, seed) -> FirstPortfolio.
#: The solvers layer provides one (HiGHS on the items alone, optimizer.solvers.highs.first_feasible).
Repair = Callable[[SelectionProblem, float, int], FirstPortfolio]


def _weights(p: SelectionProblem) -> np.ndarray:
    """Resource use per item, each row scaled by its limit: the denominator of greedy ratios."""
    if not p.A.shape[0]:
        return np.ones(p.n)
    scale = np.maximum(np.abs(p.b), 1e-9)
    return np.maximum(p.A, 0).T @ (1.0 / scale) + 1e-3


def _fill(s: _Portfolio, weight: np.ndarray, rng: np.random.Generator, noise: float) -> None:
    """Greedy: covers first, then the best gain per weight while it pays (or size_min needs it)."""
    p = s.p
    for k in range(len(p.covers)):
        if s.cover_count[k] < 0.5:
            cand = np.flatnonzero(s.can_add() & s.cover_of[k])
            if cand.size:
                s.flip(int(cand[np.argmax(s.gain[cand] / weight[cand])]))
    while True:
        ok = s.can_add()
        cand = np.flatnonzero(ok & ((s.gain > EPS) | (s.size < p.size_min)))
        if cand.size == 0:
            return
        score = s.gain[cand] / weight[cand]
        if noise:
            score = score * (1.0 + noise * rng.random(cand.size))
        s.flip(int(cand[np.argmax(score)]))


def _feasible(s: _Portfolio) -> bool:
    """Checked from scratch: forced items or a given start may break any constraint."""
    return is_feasible(s.p, s.x.astype(np.int8))


def _candidates(values: np.ndarray, among: np.ndarray, k: int, largest: bool) -> np.ndarray:
    """Indices (into the item set) of the k best `values` among `among`."""
    if among.size <= k:
        return among
    v = values[among]
    part = np.argpartition(-v if largest else v, k - 1)[:k]
    return among[part]


def tabu_search(problem: SelectionProblem, time_limit: float = 10.0, seed: int = 0,
                target: float | None = None, max_rounds: int = 30, start: np.ndarray | None = None,
                repair: Repair | None = None) -> SearchResult:
    """Best feasible portfolio found by greedy construction and tabu search with perturbations.

    Stops after `max_rounds` perturbations without improvement, at
    `time_limit` seconds, or when `target` is reached. `start` (a feasible
    0/1 vector) replaces the greedy construction. When the greedy cannot
    build a feasible portfolio, `repair` (if given) is asked for one.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    p = problem
    n = p.n
    if n == 0:
        x = np.zeros(0, np.int8)
        feasible = is_feasible(p, x)
        return SearchResult(x if feasible else None, 0.0 if feasible else -np.inf,
                            Termination.OPTIMAL if feasible else Termination.INFEASIBLE, note="no items")
    rng = np.random.default_rng(seed)
    pairs = PairMatrix(n, p.pair_i, p.pair_j, p.pair_q)
    conflicts = None
    if p.conflicts.size:
        conflicts = PairMatrix(n, p.conflicts[:, 0], p.conflicts[:, 1], np.ones(len(p.conflicts)))
    s = _Portfolio(p, pairs, conflicts)
    weight = _weights(p)
    s, how, failed = _first(s, weight, rng, start, repair, deadline, seed)
    if failed is not None:
        return dataclasses.replace(failed, seconds=time.perf_counter() - t0)

    best = _Portfolio(p, pairs, conflicts)
    best.copy_from(s)
    best_at = time.perf_counter() - t0
    tabu_until = np.zeros(n, dtype=np.int64)
    it = rounds = stall_rounds = 0
    stall_limit = max(200, 2 * n) if n <= 2000 else 4000
    tenure = max(1, min(7, n // 4))              # short on small problems, or every item ends up tabu
    tenure_spread = max(2, min(10, n // 10))
    since_best = 0
    stopped, note = Termination.FEASIBLE, f"{max_rounds} perturbations without improvement"
    try:  # Ctrl-C ends the search and keeps the best portfolio
        while True:
            it += 1
            if time.perf_counter() > deadline:
                stopped, note = Termination.TIME_LIMIT, "time limit"
                break
            if target is not None and best.value >= target - EPS:
                stopped, note = Termination.FEASIBLE, "target reached"
                break
            best_delta, move = _best_move(s, best.value, weight, tabu_until < it)
            if move is None:
                stall_rounds, since_best = stall_rounds + 1, stall_limit   # stuck: perturb at once
            else:
                for k in move:
                    s.flip(k)
                    tabu_until[k] = it + tenure + int(rng.integers(0, tenure_spread))
                if s.value > best.value + EPS:
                    best.copy_from(s)
                    best_at = time.perf_counter() - t0
                    since_best = 0
                    stall_rounds = 0
                else:
                    since_best += 1
            if since_best >= stall_limit:
                rounds += 1
                stall_rounds += 1
                if stall_rounds > max_rounds:
                    break
                _perturb(s, best, weight, rng)
                tabu_until[:] = 0
                since_best = 0
    except KeyboardInterrupt:
        stopped, note = Termination.INTERRUPTED, "interrupted by the user"
    x = best.x.astype(np.int8)
    value = p.objective(x)
    if not is_feasible(p, x):  # the bookkeeping keeps feasibility; this guards the guard
        raise AssertionError("tabu search produced an infeasible portfolio")
    return SearchResult(x, value, stopped, note=note, iterations=it, rounds=rounds,
                        seconds=time.perf_counter() - t0, best_at=best_at, start=how)


def _perturb(s: _Portfolio, best: _Portfolio, weight: np.ndarray, rng: np.random.Generator) -> None:
    """Restart from the best portfolio with some chosen items dropped, then a noisy greedy refill."""
    s.copy_from(best)
    chosen = np.flatnonzero(s.x & ~s.fixed)
    if chosen.size == 0:
        return
    k = max(1, int(round(chosen.size * rng.uniform(0.1, 0.3))))
    for i in rng.permutation(chosen)[:k]:
        if s.can_drop()[i]:
            s.flip(int(i))
    _fill(s, weight, rng, 0.3)
    if not _feasible(s):
        s.copy_from(best)


def _first(s: _Portfolio, weight: np.ndarray, rng: np.random.Generator, start: np.ndarray | None,
           repair: Repair | None, deadline: float, seed: int) -> tuple[_Portfolio, str, SearchResult | None]:
    """The first feasible portfolio (forced items, then the given start or the greedy; the repair when the
    greedy fails) and how it was found, or a SearchResult saying why there is none."""
    p = s.p
    how = "greedy"
    for k in p.forced_in:
        s.flip(int(k))
    if start is not None:
        how = "given"
        for k in np.flatnonzero(np.asarray(start) > 0.5):
            if not s.x[k]:
                s.flip(int(k))
    else:
        _fill(s, weight, rng, 0.0)
    if not _feasible(s) and start is None and repair is not None:
        # rows of mixed sign (shares, ratios) that no single added item satisfies: ask the repair for
        # any portfolio meeting the linear constraints (pair terms do not matter for feasibility)
        first = repair(p, max(0.1, deadline - time.perf_counter()), seed)
        if first.x is None:
            proven = first.termination is Termination.INFEASIBLE
            return s, first.how, SearchResult(
                None, -np.inf, first.termination, start=first.how,
                note=f"{first.how}: {'no portfolio exists' if proven else 'no portfolio found in time'}")
        s = _Portfolio(p, s.pairs, s.conflicts)
        for k in np.flatnonzero(first.x):
            s.flip(int(k))
        how = first.how
    if not _feasible(s):
        return s, how, SearchResult(None, -np.inf, Termination.ERROR, start=how,
                                    note=f"the {how} start is not feasible and no repair found one")
    return s, how, None


def _best_move(s: _Portfolio, best_value: float, weight: np.ndarray,
               free_tabu: np.ndarray) -> tuple[float, tuple[int, ...] | None]:
    """The best admissible add, drop or swap (items not tabu; an add that beats the best is always
    allowed) and its objective change; None when no move is feasible."""
    aspire = s.value + s.gain > best_value + EPS
    best_delta: float = -np.inf
    move: tuple[int, ...] | None = None
    cand = np.flatnonzero(s.can_add() & (free_tabu | aspire))
    if cand.size:
        k = cand[np.argmax(s.gain[cand])]
        best_delta, move = s.gain[k], (int(k),)
    cand = np.flatnonzero(s.can_drop() & free_tabu)
    if cand.size:
        k = cand[np.argmin(s.gain[cand])]
        if -s.gain[k] > best_delta:
            best_delta, move = -s.gain[k], (int(k),)
    inside = np.flatnonzero(s.x & ~s.fixed & free_tabu)
    outside = np.flatnonzero(~s.x & ~s.fixed & free_tabu & (s.conflict_hits < 1.5))
    if inside.size and outside.size:
        if inside.size * outside.size <= SWAP_BLOCK:
            drops, adds = inside, outside
        else:
            side = max(8, int(np.sqrt(SWAP_BLOCK)) // 2)
            drops = np.union1d(_candidates(s.gain, inside, side, largest=False),
                               _candidates(s.gain / weight, inside, side, largest=False))
            adds = np.union1d(_candidates(s.gain, outside, side, largest=True),
                              _candidates(s.gain / weight, outside, side, largest=True))
        delta, ok = s.swap_block(drops, adds)
        delta = np.where(ok, delta, -np.inf)
        a, b = np.unravel_index(int(np.argmax(delta)), delta.shape)
        if delta[a, b] > best_delta:
            best_delta, move = delta[a, b], (int(drops[a]), int(adds[b]))
    return float(best_delta), move
