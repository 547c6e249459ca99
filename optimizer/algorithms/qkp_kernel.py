"""Compiled branch and bound for the classic QKP: Caprara-Pisinger-Toth upper planes at O(n) to O(n^2) per node.

The same bound as :mod:`optimizer.algorithms.branch_and_bound` (item j's
upper plane = c_j + sum_{i in S} q_ij + a continuous knapsack over its shares
p_ji of the free partners; node bound = f(S) + a continuous knapsack over the
free items of those gains), organised the way quadknap's description has it
(Caprara, Pisinger & Toth 1999; our own code, not theirs):

* the split q_ij = p_ij + p_ji is optimised at the root by subgradient steps
  (the numpy `tighten` rule: Polyak steps towards the incumbent, the step
  halved after 10 steps without a better bound) and then FROZEN for the whole
  tree, so every item's partners are sorted once, by p_ji / w_i;
* items are fixed and released in place: a status per item, link_j = c_j +
  sum_{i in S} q_ij updated in O(n) per fixing, a trail of fixings to undo;
* an explicit depth-first stack; each pending child keeps its parent's bound,
  so the largest bound on the stack (and the incumbent) bound whatever is
  left at any stop;
* reduction at every node (the rule of `bounds.fixed_bounds`) and pruning by
  the rule of `bounds.no_better`, integral objectives rounding down.

numba cannot read the clock or see Ctrl-C, so the tree runs in chunks of at
most K nodes (K adapted so that a chunk takes about CHUNK_SECONDS) and returns
to Python between chunks with all its state in arrays.

numba is imported lazily (`_compile`): the package imports without it, and
`compiled_available` says why the kernel cannot run. The kernel functions are
written at module level as plain numba-compatible Python (marked `_jit`) and
compiled with ``numba.njit(cache=True)`` on first use, so a second process
loads them from the cache instead of compiling again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from optimizer.core.deadline import SHARES
from optimizer.core.problem import SelectionProblem
from optimizer.core.result import Termination

ROOT_STEPS = 300        # subgradient steps at the root
CHUNK_SECONDS = 0.02    # aim for a chunk of nodes; between chunks Python checks the clock and Ctrl-C
FIRST_CHUNK = 64        # nodes in the first chunk, before any timing is known
MAX_CHUNK = 1 << 22
BRANCH_FRACTIONAL = 0   # the fractional (break) item of the outer knapsack, "in" first
BRANCH_STATIC = 1       # the first free item in the root's order of plane value per weight, "in" first
# measured (12 generated instances n = 100-200, 10 s each, one run): static 26.0 s in all, fractional 37.0 s;
# static needs far fewer nodes where the tree is large (100_75_2: 359 vs 4,665; 150_75_3: 231 vs 7,937;
# 200_100_1 proven in 2.0 s vs open at 10 s) and its nodes are cheaper (fewer reduction passes and fixings)
DEFAULT_BRANCHING = BRANCH_STATIC

# scalar state kept in two small arrays (numba functions cannot share Python scalars)
F_VALUE, F_USED, F_BEST, F_CAP, F_ROOT = range(5)               # float64 state
I_TRAIL, I_STACK, I_NODES, I_HAVE_BEST, I_INTEGRAL, I_RULE, I_PASSES, I_FIXES = range(8)   # int64 state
# root subgradient state
R_STEP, R_STALL, R_BEST, R_DONE, R_STEPS = range(5)

_F = TypeVar("_F", bound=Callable[..., object])
_JIT: list[str] = []          # names of the functions `_compile` compiles
_NUMBA_VERSION: str | None = None


def _jit(func: _F) -> _F:
    """Mark a module-level function for compilation by `_compile` (numba is not imported here)."""
    _JIT.append(func.__name__)
    return func


def compiled_available() -> tuple[bool, str]:
    """(True, "numba <version>") when the compiled kernel can run, else (False, why not)."""
    try:
        import numba
    except Exception as exc:  # ImportError, or a broken install (llvmlite mismatch raises others)
        return False, f"numba not importable ({type(exc).__name__}: {exc})"
    return True, f"numba {numba.__version__}"


def _compile() -> str:
    """Replace the marked functions by their numba-compiled versions (once); returns numba's version."""
    global _NUMBA_VERSION
    if _NUMBA_VERSION is None:
        import numba

        space = globals()
        for name in _JIT:
            # the compiled functions call each other through these module globals
            space[name] = numba.njit(cache=True)(space[name])
        _NUMBA_VERSION = str(numba.__version__)
    return _NUMBA_VERSION


# ----------------------------------------------------------------------------------------- kernel

@_jit
def _hopeless(bound: float, best: float, integral: bool) -> bool:
    """The rule of bounds.no_better for one bound."""
    if best == -np.inf:
        return False
    if integral:
        return math.floor(bound + 1e-6) <= best + 1e-9
    return bound <= best + 1e-9 * max(1.0, abs(best))


@_jit
def _lp(gain: np.ndarray, w: np.ndarray, items: np.ndarray, nitems: int, room: float,
        srt: np.ndarray, key: np.ndarray) -> tuple[float, int, int, float]:
    """Continuous knapsack over items[:nitems] with value gain: (value, count sorted, break position, fraction).

    srt[:count] gets the items with gain > 0 by gain per weight, best first;
    the first `break position` are taken whole, the next by `fraction`.
    """
    cnt = 0
    for t in range(nitems):
        j = items[t]
        if gain[j] > 0:
            srt[cnt] = j
            key[cnt] = -gain[j] / w[j] if w[j] > 0 else -np.inf
            cnt += 1
    perm = np.argsort(key[:cnt], kind="mergesort")
    tmp = srt[:cnt].copy()
    for t in range(cnt):
        srt[t] = tmp[perm[t]]
    rem = room
    val = 0.0
    k = cnt
    frac = 0.0
    for t in range(cnt):
        j = srt[t]
        if w[j] <= rem + 1e-9:
            val += gain[j]
            rem -= w[j]
        else:
            k = t
            frac = max(rem, 0.0) / w[j]
            val += gain[j] * frac
            break
    return val, cnt, k, frac


@_jit
def _root_evaluate(share: np.ndarray, w: np.ndarray, link: np.ndarray, room: float, inner: np.ndarray,
                   gain: np.ndarray, items: np.ndarray, srt: np.ndarray, key: np.ndarray) -> tuple[float, int, float]:
    """Bound of the root for one split (every item free): (value, break position, fraction); fills inner, gain."""
    m = w.size
    ratio = np.empty(m)
    cand = np.empty(m, dtype=np.int64)
    for a in range(m):
        cnt = 0
        for b in range(m):
            inner[a, b] = 0.0
            s = share[a, b]
            if s > 0:               # only partners with a share: at density d, d * m of them
                cand[cnt] = b
                ratio[cnt] = -s / w[b] if w[b] > 0 else -np.inf
                cnt += 1
        order = np.argsort(ratio[:cnt])
        rem = room - w[a]
        tot = 0.0
        for t in range(cnt):
            b = cand[order[t]]
            s = share[a, b]
            if w[b] <= rem + 1e-9:
                inner[a, b] = 1.0
                tot += s
                rem -= w[b]
            else:
                f = max(rem, 0.0) / w[b]
                inner[a, b] = f
                tot += s * f
                break
        gain[a] = link[a] + tot
    val, cnt, k, frac = _lp(gain, w, items, m, room, srt, key)
    return val, k, frac


@_jit
def _root_steps(share: np.ndarray, best_share: np.ndarray, q: np.ndarray, w: np.ndarray, link: np.ndarray,
                value: float, room: float, incumbent: float, integral: bool, rs: np.ndarray, nsteps: int,
                inner: np.ndarray, gain: np.ndarray, items: np.ndarray, srt: np.ndarray, key: np.ndarray) -> None:
    """Up to `nsteps` subgradient steps on the split (state in rs); the best split so far in best_share."""
    m = w.size
    x = np.zeros(m)
    for _ in range(nsteps):
        val, k, frac = _root_evaluate(share, w, link, room, inner, gain, items, srt, key)
        bound = value + val
        rs[R_STEPS] += 1
        if bound < rs[R_BEST] - 1e-9:
            rs[R_BEST] = bound
            best_share[:, :] = share
            rs[R_STALL] = 0
        else:
            rs[R_STALL] += 1
            if rs[R_STALL] >= 10:
                rs[R_STEP] *= 0.5
                rs[R_STALL] = 0
        if _hopeless(rs[R_BEST], incumbent, integral) or rs[R_STEP] < 1e-3:
            rs[R_DONE] = 1
            return
        aim = incumbent if incumbent > -np.inf else bound - max(1.0, 0.05 * abs(bound))
        x[:] = 0.0
        for t in range(k):
            x[srt[t]] = 1.0
        if k < m and frac > 0:
            x[srt[k]] = frac
        # d bound / d share[a, b] = x_a inner[a, b] - x_b inner[b, a]; share[b, a] moves the other way
        norm = 0.0
        for a in range(m):
            for b in range(a + 1, m):
                g = x[a] * inner[a, b] - x[b] * inner[b, a]
                norm += 2.0 * g * g
        if norm <= 1e-18 or bound - aim <= 0:
            rs[R_DONE] = 1
            return
        t_step = rs[R_STEP] * (bound - aim) / norm
        for a in range(m):
            for b in range(a + 1, m):
                g = x[a] * inner[a, b] - x[b] * inner[b, a]
                if g != 0.0:
                    s = min(max(share[a, b] - t_step * g, 0.0), q[a, b])
                    share[a, b] = s
                    share[b, a] = q[a, b] - s


@_jit
def _freeze(share: np.ndarray, w: np.ndarray, pidx: np.ndarray, pv: np.ndarray, pw: np.ndarray,
            pcnt: np.ndarray) -> None:
    """Each item's partners with a positive share, sorted once by share per weight (best first)."""
    m = w.size
    key = np.empty(m)
    cand = np.empty(m, dtype=np.int64)
    for j in range(m):
        cnt = 0
        for i in range(m):
            s = share[j, i]
            if s > 0:
                cand[cnt] = i
                key[cnt] = -s / w[i] if w[i] > 0 else -np.inf
                cnt += 1
        perm = np.argsort(key[:cnt], kind="mergesort")
        for t in range(cnt):
            i = cand[perm[t]]
            pidx[j, t] = i
            pv[j, t] = share[j, i]
            pw[j, t] = w[i]
        pcnt[j] = cnt


@_jit
def _fix_in(j: int, q: np.ndarray, w: np.ndarray, status: np.ndarray, link: np.ndarray, trail: np.ndarray,
            fs: np.ndarray, ist: np.ndarray) -> None:
    """Put item j into S: its link joins the value, its pair values join every link."""
    status[j] = 1
    ist[I_FIXES] += 1
    fs[F_VALUE] += link[j]
    fs[F_USED] += w[j]
    for k in range(w.size):
        link[k] += q[j, k]
    trail[ist[I_TRAIL]] = j
    ist[I_TRAIL] += 1


@_jit
def _fix_out(j: int, status: np.ndarray, trail: np.ndarray, ist: np.ndarray) -> None:
    status[j] = 2
    trail[ist[I_TRAIL]] = j
    ist[I_TRAIL] += 1


@_jit
def _undo(length: int, q: np.ndarray, status: np.ndarray, link: np.ndarray, trail: np.ndarray,
          ist: np.ndarray) -> None:
    """Release the fixings after the first `length` of the trail (value and weight come from the stack)."""
    m = link.size
    while ist[I_TRAIL] > length:
        ist[I_TRAIL] -= 1
        j = trail[ist[I_TRAIL]]
        if status[j] == 1:
            for k in range(m):
                link[k] -= q[j, k]
        status[j] = 0


@_jit
def _greedy(cw: np.ndarray, cv: np.ndarray, srt: np.ndarray, cnt: int, w: np.ndarray, gain: np.ndarray,
            capacity: float) -> float:
    """Continuous knapsack value of the sorted order at one capacity (prefix sums, binary search)."""
    if capacity < -1e-9:
        return -np.inf
    lo, hi = 0, cnt              # largest k with cw[k] <= capacity (+ tolerance)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if cw[mid] <= capacity + 1e-9:
            lo = mid
        else:
            hi = mid - 1
    val = cv[lo]
    if lo < cnt:
        j = srt[lo]
        if w[j] > 0:
            val += gain[j] * min(1.0, max(capacity - cw[lo], 0.0) / w[j])
    return val


@_jit
def _offer(added: np.ndarray, na: int, q: np.ndarray, link: np.ndarray, status: np.ndarray,
           best_x: np.ndarray, fs: np.ndarray, ist: np.ndarray) -> None:
    """S plus added[:na]: keep it as the incumbent when it is better."""
    val = fs[F_VALUE]
    for a in range(na):
        j = added[a]
        val += link[j]
        for b in range(a):
            val += q[j, added[b]]
    if ist[I_HAVE_BEST] == 0 or val > fs[F_BEST]:
        fs[F_BEST] = val
        ist[I_HAVE_BEST] = 1
        for k in range(status.size):
            best_x[k] = 1 if status[k] == 1 else 0
        for a in range(na):
            best_x[added[a]] = 1


@_jit
def _node(depth: int, pbound: float, q: np.ndarray, w: np.ndarray, pidx: np.ndarray, pv: np.ndarray,
          pw: np.ndarray, pcnt: np.ndarray, status: np.ndarray, link: np.ndarray, trail: np.ndarray,
          stack_i: np.ndarray, stack_f: np.ndarray, best_x: np.ndarray, static_order: np.ndarray,
          fs: np.ndarray, ist: np.ndarray, free: np.ndarray, gain: np.ndarray, srt: np.ndarray, key: np.ndarray,
          cw: np.ndarray, cv: np.ndarray, posn: np.ndarray, added: np.ndarray) -> None:
    """Bound, reduce, complete and branch the current node (its fixings are applied)."""
    m = w.size
    integral = ist[I_INTEGRAL] == 1
    cap = fs[F_CAP]
    bound = pbound
    while True:
        value = fs[F_VALUE]
        room = cap - fs[F_USED]
        if room < -1e-9:
            return
        nf = 0
        wsum = 0.0
        for k in range(m):
            if status[k] == 0:
                if w[k] > room + 1e-9:
                    _fix_out(k, status, trail, ist)
                else:
                    free[nf] = k
                    nf += 1
                    wsum += w[k]
        if nf == 0 or wsum <= room + 1e-9:
            # everything left fits: with c, q >= 0 taking it all is best
            _offer(free, nf, q, link, status, best_x, fs, ist)
            return
        ist[I_PASSES] += 1
        for t in range(nf):
            j = free[t]
            rem = room - w[j]
            tot = 0.0
            for s in range(pcnt[j]):
                i = pidx[j, s]
                if status[i] != 0:
                    continue
                if pw[j, s] <= rem + 1e-9:
                    tot += pv[j, s]
                    rem -= pw[j, s]
                else:
                    tot += pv[j, s] * max(rem, 0.0) / pw[j, s]
                    break
            gain[j] = link[j] + tot
        lpv, cnt, kb, frac = _lp(gain, w, free, nf, room, srt, key)
        bound = min(bound, value + lpv)
        if ist[I_NODES] == 1 and bound < fs[F_ROOT]:
            fs[F_ROOT] = bound
        if _hopeless(bound, fs[F_BEST], integral):
            return
        # reduction: bounds with each free item forced in / out (bounds.fixed_bounds), all from this relaxation
        cw[0] = 0.0
        cv[0] = 0.0
        for t in range(nf):
            posn[free[t]] = cnt
        for t in range(cnt):
            j = srt[t]
            cw[t + 1] = cw[t] + w[j]
            cv[t + 1] = cv[t] + gain[j]
            posn[j] = t
        changed = False
        for t in range(nf):
            j = free[t]
            b_in = value + gain[j] + _greedy(cw, cv, srt, cnt, w, gain, room - w[j])
            if _hopeless(b_in, fs[F_BEST], integral):
                _fix_out(j, status, trail, ist)
                changed = True
                continue
            if posn[j] <= kb and posn[j] < cnt:
                b_out = value + _greedy(cw, cv, srt, cnt, w, gain, room + w[j]) - gain[j]
            else:
                b_out = value + lpv
            if _hopeless(b_out, fs[F_BEST], integral):
                if fs[F_USED] + w[j] > cap + 1e-9:
                    return      # every better portfolio needs all the forced items: none fits
                _fix_in(j, q, w, status, link, trail, fs, ist)
                changed = True
        if not changed:
            break
    # greedy completion by gain per weight, then whatever else fits
    rem = room
    na = 0
    ceiling = value
    for t in range(cnt):
        j = srt[t]
        if w[j] <= rem + 1e-9:
            added[na] = j
            na += 1
            rem -= w[j]
            ceiling += gain[j]
    for t in range(nf):
        j = free[t]
        if gain[j] <= 0 and w[j] <= rem + 1e-9:
            added[na] = j
            na += 1
            rem -= w[j]
    # f(S + A) <= f(S) + sum of A's gains (each plane covers its partners in A, which fit beside it):
    # the O(|A|^2) evaluation only when that can beat the incumbent
    if ist[I_HAVE_BEST] == 0 or ceiling > fs[F_BEST]:
        _offer(added, na, q, link, status, best_x, fs, ist)
    if _hopeless(bound, fs[F_BEST], integral):
        return
    a = -1
    if ist[I_RULE] == 1:
        for t in range(m):
            if status[static_order[t]] == 0:
                a = static_order[t]
                break
    else:
        if kb < cnt and 1e-9 < frac < 1 - 1e-9:
            a = srt[kb]
        elif kb > 0:
            a = srt[0]
            for t in range(1, kb):
                if w[srt[t]] > w[a]:
                    a = srt[t]
        else:
            a = free[0]
            for t in range(1, nf):
                if gain[free[t]] > gain[a]:
                    a = free[t]
    # children keep this node's bound; "in" is pushed last, so explored first
    for direction in (0, 1):
        sp = ist[I_STACK]
        stack_i[sp, 0] = ist[I_TRAIL]
        stack_i[sp, 1] = a
        stack_i[sp, 2] = direction
        stack_i[sp, 3] = depth + 1
        stack_f[sp, 0] = bound
        stack_f[sp, 1] = fs[F_VALUE]
        stack_f[sp, 2] = fs[F_USED]
        ist[I_STACK] = sp + 1


@_jit
def _run(max_nodes: int, q: np.ndarray, w: np.ndarray, pidx: np.ndarray, pv: np.ndarray, pw: np.ndarray,
         pcnt: np.ndarray, status: np.ndarray, link: np.ndarray, trail: np.ndarray, stack_i: np.ndarray,
         stack_f: np.ndarray, best_x: np.ndarray, static_order: np.ndarray, fs: np.ndarray, ist: np.ndarray,
         free: np.ndarray, gain: np.ndarray, srt: np.ndarray, key: np.ndarray, cw: np.ndarray, cv: np.ndarray,
         posn: np.ndarray, added: np.ndarray) -> int:
    """Process up to max_nodes nodes of the depth-first search: 0 when the stack is empty, else 1."""
    integral = ist[I_INTEGRAL] == 1
    done = 0
    while done < max_nodes:
        sp = ist[I_STACK]
        if sp == 0:
            return 0
        sp -= 1
        ist[I_STACK] = sp
        pbound = stack_f[sp, 0]
        if _hopeless(pbound, fs[F_BEST], integral):
            continue
        _undo(stack_i[sp, 0], q, status, link, trail, ist)
        fs[F_VALUE] = stack_f[sp, 1]
        fs[F_USED] = stack_f[sp, 2]
        item = stack_i[sp, 1]
        if item >= 0:
            if stack_i[sp, 2] == 1:
                _fix_in(item, q, w, status, link, trail, fs, ist)
            else:
                _fix_out(item, status, trail, ist)
        ist[I_NODES] += 1
        done += 1
        _node(stack_i[sp, 3], pbound, q, w, pidx, pv, pw, pcnt, status, link, trail, stack_i, stack_f, best_x,
              static_order, fs, ist, free, gain, srt, key, cw, cv, posn, added)
    return 0 if ist[I_STACK] == 0 else 1


# ----------------------------------------------------------------------------------------- driver

@dataclass
class KernelRun:
    """What the compiled search found and proved (the objective is recomputed by the caller)."""

    termination: Termination
    x: np.ndarray | None        # 0/1 int8 over all items, or None when no portfolio was found
    bound: float
    root_bound: float
    nodes: int
    seconds: float
    note: str
    root_seconds: float = 0.0   # of `seconds`, the root's subgradient steps
    chunks: int = 0             # calls of the tree kernel
    passes: int = 0             # bound evaluations in the tree (a node re-evaluates after fixing items)
    fixed_in: int = 0           # items fixed in (each costs O(n), and O(n) again to undo)


def _run_chunk(max_nodes: int, arrays: tuple[np.ndarray, ...]) -> int:
    """One chunk of the tree (a seam for tests that interrupt the search)."""
    return int(_run(max_nodes, *arrays))


def solve_compiled(problem: SelectionProblem, *, incumbent: np.ndarray | None = None,
                   time_limit: float | None = None, integral: bool | None = None,
                   branching: int = DEFAULT_BRANCHING, root_steps: int = ROOT_STEPS) -> KernelRun:
    """Depth-first branch and bound of a classic QKP (the caller checks `branch_and_bound.applies`).

    Raises ImportError when numba is missing (see `compiled_available`).
    """
    t0 = time.perf_counter()
    version = _compile()
    note = f"compiled kernel (numba {version})"
    deadline = math.inf if time_limit is None else t0 + time_limit
    root_deadline = math.inf if time_limit is None else t0 + SHARES["root"] * time_limit
    if integral is None:
        integral = problem.has_integral_objective
    n = problem.n
    w_all = problem.A[0].astype(float)
    cap = float(problem.b[0])
    chosen = np.zeros(n, bool)
    chosen[problem.forced_in] = True
    excluded = np.zeros(n, bool)
    excluded[problem.forced_out] = True
    used0 = float(w_all[chosen].sum())
    if used0 > cap + 1e-9:
        return KernelRun(Termination.INFEASIBLE, None, -math.inf, -math.inf, 0, time.perf_counter() - t0, note)
    # the kernel's items: the free ones that fit next to the forced-in ones
    free = np.flatnonzero(~chosen & ~excluded & (w_all <= cap - used0 + 1e-9))
    fixed = np.flatnonzero(chosen)
    m = free.size
    q_all = np.zeros((n, n))
    q_all[problem.pair_i, problem.pair_j] = problem.pair_q
    q_all[problem.pair_j, problem.pair_i] = problem.pair_q
    c = problem.c.astype(float)
    value0 = float(c[fixed].sum() + q_all[np.ix_(fixed, fixed)].sum() / 2.0)
    best = -math.inf
    best_x = np.zeros(m, np.int8)
    have_best = 0
    if incumbent is not None:
        start = np.asarray(incumbent) > 0.5
        # a start that breaks the row or the fixings would prune with a value no portfolio has
        if start.shape == (n,) and w_all @ start <= cap + 1e-9 and start[chosen].all() \
                and not start[excluded].any() and not start[~chosen & ~np.isin(np.arange(n), free)].any():
            best, have_best = problem.objective(start), 1
            best_x = start[free].astype(np.int8)

    def full_x(xk: np.ndarray) -> np.ndarray:
        out = chosen.astype(np.int8)
        out[free] = xk
        return out

    if m == 0:
        only = chosen.astype(np.int8)
        value = problem.objective(only)
        return KernelRun(Termination.OPTIMAL, only, value, value, 0, time.perf_counter() - t0, note)
    q = np.ascontiguousarray(q_all[np.ix_(free, free)])
    w = np.ascontiguousarray(w_all[free])
    link = c[free] + q_all[np.ix_(free, fixed)].sum(axis=1)
    room = cap - used0
    items = np.arange(m, dtype=np.int64)
    srt = np.zeros(m, np.int64)
    key = np.zeros(m)
    gain = np.zeros(m)
    inner = np.zeros((m, m))
    share = q / 2.0
    best_share = share.copy()
    rs = np.array([2.0, 0.0, math.inf, 0.0, 0.0])
    status = Termination.OPTIMAL
    chunk_steps = 1
    try:
        # the root: subgradient on the split, a few steps per call so the clock is read in between
        while rs[R_DONE] == 0 and rs[R_STEPS] < root_steps:
            steps = int(min(chunk_steps, root_steps - rs[R_STEPS]))
            t = time.perf_counter()
            _root_steps(share, best_share, q, w, link, value0, room, best, bool(integral), rs, steps,
                        inner, gain, items, srt, key)
            dt = time.perf_counter() - t
            chunk_steps = max(1, int(steps * CHUNK_SECONDS / max(dt, 1e-6)))
            now = time.perf_counter()
            if now > deadline and rs[R_DONE] == 0 and rs[R_STEPS] < root_steps:
                status = Termination.TIME_LIMIT
                break
            if now > root_deadline:   # the split so far is valid: the tree gets the rest of the time
                break
    except KeyboardInterrupt:
        status = Termination.INTERRUPTED
    root_seconds = time.perf_counter() - t0
    root_bound = float(rs[R_BEST])
    if status is not Termination.OPTIMAL:
        bound = max(best, root_bound)
        x = full_x(best_x) if have_best else None
        return KernelRun(status, x, bound, root_bound, 0, time.perf_counter() - t0, note, root_seconds)
    del share
    pidx = np.zeros((m, m), np.int64)
    pv = np.zeros((m, m))
    pw = np.zeros((m, m))
    pcnt = np.zeros(m, np.int64)
    _freeze(best_share, w, pidx, pv, pw, pcnt)
    # the static order (plane value per weight at the root), for BRANCH_STATIC
    _root_evaluate(best_share, w, link, room, inner, gain, items, srt, key)
    static_order = np.argsort(-np.where(w > 0, gain / np.where(w > 0, w, 1.0), np.inf), kind="stable")
    del best_share, inner
    node_status = np.zeros(m, np.int8)
    trail = np.zeros(m, np.int64)
    depth_cap = m + 2                      # each level adds at most one pending entry to the stack
    stack_i = np.zeros((2 * depth_cap, 4), np.int64)
    stack_f = np.zeros((2 * depth_cap, 3))
    stack_i[0] = (0, -1, 0, 0)             # the root: nothing to fix
    stack_f[0] = (math.inf, value0, used0)
    fs = np.array([value0, used0, best, cap, root_bound])
    ist = np.array([0, 1, 0, have_best, int(bool(integral)), int(branching), 0, 0], np.int64)
    arrays = (q, w, pidx, pv, pw, pcnt, node_status, link, trail, stack_i, stack_f, best_x,
              static_order.astype(np.int64), fs, ist, np.zeros(m, np.int64), gain, srt, key,
              np.zeros(m + 1), np.zeros(m + 1), np.zeros(m, np.int64), np.zeros(m, np.int64))
    size = FIRST_CHUNK
    chunks = 0
    try:
        while True:
            if time.perf_counter() > deadline:
                status = Termination.TIME_LIMIT
                break
            t = time.perf_counter()
            before = int(ist[I_NODES])
            more = _run_chunk(size, arrays)
            chunks += 1
            if not more:
                break
            dt = time.perf_counter() - t
            done = max(1, int(ist[I_NODES]) - before)
            size = int(min(MAX_CHUNK, max(16, done * CHUNK_SECONDS / max(dt, 1e-6))))
    except KeyboardInterrupt:
        status = Termination.INTERRUPTED
    seconds = time.perf_counter() - t0
    nodes = int(ist[I_NODES])
    root_bound = float(fs[F_ROOT]) if nodes else root_bound
    if not math.isfinite(root_bound):    # the root was solved outright (everything fit)
        root_bound = float(fs[F_BEST])
    x = full_x(best_x) if ist[I_HAVE_BEST] else None
    best = float(fs[F_BEST]) if ist[I_HAVE_BEST] else -math.inf
    stats = (root_seconds, chunks, int(ist[I_PASSES]), int(ist[I_FIXES]))
    if status is Termination.OPTIMAL:
        return KernelRun(status, x, best, root_bound, nodes, seconds, note, *stats)
    open_bound = float(stack_f[:ist[I_STACK], 0].max()) if ist[I_STACK] else -math.inf
    return KernelRun(status, x, max(best, open_bound), root_bound, nodes, seconds, note, *stats)


def warm_up() -> str:
    """Compile the kernel now (numba writes its cache beside this module), so that the first solve of
    every later process loads it in under a second instead of compiling for about 11 s. `make`'s
    install step runs it; without numba it says why and does nothing."""
    ok, why = compiled_available()
    if not ok:
        return f"kernel not compiled: {why}"
    from optimizer.core.problem import SelectionProblem as Problem

    t0 = time.perf_counter()
    # a classic QKP with a real tree, so that every kernel function is compiled
    tiny = Problem(c=np.array([4.0, 3.0, 3.0, 2.0, 1.0]), pair_i=np.array([0, 1, 2]), pair_j=np.array([1, 2, 3]),
                   pair_q=np.array([2.0, 1.0, 3.0]), A=np.array([[3.0, 2.0, 2.0, 2.0, 1.0]]), b=np.array([5.0]))
    solve_compiled(tiny)
    return f"kernel compiled and cached in {time.perf_counter() - t0:.1f} s"
