"""Compiled functions of the branch and bound for the classic QKP: Caprara-Pisinger-Toth upper planes.

Item j's upper plane = c_j + sum_{i in S} q_ij + a continuous knapsack over its
shares p_ji of the free partners; the node bound = f(S) + a continuous knapsack
over the free items of those plane values. The search is organised the way
quadknap's description has it (Caprara, Pisinger & Toth 1999; our own code, not
theirs), and driven from Python by :mod:`optimizer.algorithms.branch_and_bound`:

* the split q_ij = p_ij + p_ji is optimised at the root by subgradient steps
  (Polyak steps towards the incumbent, the step halved after 10 steps without a
  better bound; `root_steps`) and then FROZEN for the whole tree, so every
  item's partners are sorted once, by p_ji / w_i (`freeze`);
* items are fixed and released in place: a status per item, link_j = c_j +
  sum_{i in S} q_ij updated in O(n) per fixing, a trail of fixings to undo;
* an explicit depth-first stack; each pending child keeps its parent's bound,
  so the largest bound on the stack (and the incumbent) bound whatever is
  left at any stop;
* reduction at every node (the rule of `bounds.fixed_bounds`) and pruning by
  the rule of `bounds.no_better`, integral objectives rounding down.

Beyond the classic QKP (`sided`, `signed` in the tree state): items that exclude
each other (conflicts, groups) keep an m x m 0/1 matrix and a count per item of
the items in S excluding it, and their pair values are zero (never earned
together); the rows other than the kept one ("side rows": more knapsack rows,
the size limit) are checked whenever an item joins S or the completion. In the
bound the side rows are dualized with multipliers >= 0, optimized at the root
with the split and frozen with it. A negative pair value gets no share; inside
F it is linearized, q x_i x_j <= theta q (x_i + x_j - 1) with theta in [0, 1]
optimized with the split and frozen with it: theta q joins each item's load
(`Tree.load`, over its free partners) and -theta q the bound's constant
(`spread`), both updated as items leave F; once an item is in S, its pair
values enter the links exactly. An exclusion is dualized the same way, as a
pair value -cap (theta cap (1 - x_i - x_j) >= 0 when they exclude each other):
its charge leaves the bound as soon as one of the two leaves F (frozen charges
that stayed once one item was out made trees 50x larger in an earlier try).
Negative gains or pair values turn off the shortcuts that only hold when
adding an item never hurts.

The arrays travel in three named tuples (numba compiles them as structures):
`Planes` (the frozen split, read-only in the tree), `Tree` (the search state,
with its scalars in one `TREE_STATE` record) and `Scratch` (work arrays a node
overwrites). numba cannot read the clock or see Ctrl-C, so `run` processes at
most K nodes and returns to Python with all its state in those arrays.

numba is imported lazily (`compile_kernel`): the package imports without it, and
`compiled_available` says why the kernel cannot run. The functions are written
at module level as plain numba-compatible Python (marked `_jit`) and compiled
with ``numba.njit(cache=True)`` on first use, so a second process loads them
from the cache instead of compiling again.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple, TypeVar

import numpy as np

BRANCH_FRACTIONAL = 0   # the fractional (break) item of the outer knapsack, "in" first
BRANCH_STATIC = 1       # the first free item in the root's order of plane value per weight, "in" first

#: the scalars of the tree search, one record (numba reads and writes its fields in place)
TREE_STATE = np.dtype([
    ("value", "f8"), ("used", "f8"),          # f(S) and the weight of S at the current node
    ("best", "f8"), ("capacity", "f8"), ("root_bound", "f8"),
    ("trail", "i8"), ("stack", "i8"),         # lengths of the trail and of the stack
    ("nodes", "i8"), ("have_best", "i8"), ("integral", "i8"), ("rule", "i8"),
    ("passes", "i8"), ("fixes", "i8"),        # bound evaluations, items fixed in
    ("signed", "i8"),                         # 1: some gain or pair value < 0 (adding an item can hurt)
    ("sided", "i8"),                          # 1: exclusions or side rows (an item may not fit beside S)
    ("lagrange", "f8"),                       # the multipliers' constant less the charges of S (see Planes)
    ("spread", "f8"),                         # -sum theta q over the linearized pairs inside F (>= 0)
])
#: the scalars of the root's subgradient, one record
ROOT_STATE = np.dtype([
    ("value", "f8"), ("room", "f8"),          # f of the forced-in items, capacity left beside them
    ("step", "f8"), ("best", "f8"), ("stall", "i8"), ("done", "i8"), ("steps", "i8"),
])


class Root(NamedTuple):
    """The root: the split share[a, b] = p_ab of q_ab = p_ab + p_ba, improved by subgradient steps."""

    q: np.ndarray             # m x m positive parts of the pair values (a negative one has no share)
    w: np.ndarray             # weights
    link: np.ndarray          # c_j + its pair values with the forced-in items
    share: np.ndarray         # the split being improved
    best_share: np.ndarray    # the split with the lowest bound so far
    inner: np.ndarray         # each item's row knapsack solution (the subgradient's parts)
    gain: np.ndarray          # each item's plane value
    order: np.ndarray         # scratch: items by plane value per weight
    key: np.ndarray           # scratch: sort keys
    state: np.ndarray         # one ROOT_STATE record
    side: np.ndarray          # R x m side rows and their limits beside the forced-in items,
    side_cap: np.ndarray      # dualized with multipliers mult >= 0
    mult: np.ndarray          # the multipliers being improved
    best_mult: np.ndarray     # those of the lowest bound so far (with best_share)
    penalty: np.ndarray       # per item, what the multipliers charge it: sum_r mult_r a_rj
    neg: np.ndarray           # m x m: the negative pair values and the exclusions' -cap (0 x 0: none),
    theta: np.ndarray         # linearized with weights theta in [0, 1]: q x_i x_j <= theta q (x_i + x_j - 1)
    best_theta: np.ndarray    # those of the lowest bound so far
    load: np.ndarray          # per item, sum_j theta_ij q_ij over its linearized pairs (what theta charges it)


class Planes(NamedTuple):
    """The frozen split: item j's partners with a positive share, sorted once by share per weight."""

    q: np.ndarray             # m x m pair values
    w: np.ndarray             # weights
    partner: np.ndarray       # partner[j, s]: j's s-th partner
    share: np.ndarray         # its share p_ji
    weight: np.ndarray        # its weight w_i
    partners: np.ndarray      # how many partners j has
    order: np.ndarray         # the static branching order (plane value per weight at the root)
    excl: np.ndarray          # m x m int8: 1 where two items exclude each other (a conflict, a group)
    side: np.ndarray          # R x m: the rows the bound leaves out (checked in the tree only)
    side_cap: np.ndarray      # their limits beside the forced-in items
    penalty: np.ndarray       # per item, the frozen multipliers' charge (Root.penalty); the bound at a node is
                              # f(S) + lagrange + spread + a knapsack over link_j - penalty_j + load_j + plane_j
                              # (lagrange and spread in the tree state, load in the tree)
    theta_q: np.ndarray       # m x m: the frozen theta_ij q_ij of the linearized pairs (Root.neg; 0 x 0: none)


class Tree(NamedTuple):
    """The depth-first search: fixings in place, a trail to undo them, the stack of pending children."""

    status: np.ndarray        # 0 free, 1 in S, 2 out
    link: np.ndarray          # c_j + sum_{i in S} q_ij
    trail: np.ndarray         # items in the order they were fixed
    stack_items: np.ndarray   # per pending child: trail length, item, direction (1 in, 0 out), depth
    stack_values: np.ndarray  # per pending child: parent's bound, f(S), weight of S
    best_x: np.ndarray        # the incumbent over the kernel's items
    state: np.ndarray         # one TREE_STATE record
    blocked: np.ndarray       # per item, how many items in S exclude it
    side_used: np.ndarray     # the side rows' use by S
    load: np.ndarray          # per item, sum of theta_q over its free partners


class Scratch(NamedTuple):
    """Work arrays a node overwrites."""

    free: np.ndarray          # the free items that fit
    gain: np.ndarray          # their plane values
    order: np.ndarray         # those with gain > 0 by gain per weight
    key: np.ndarray           # sort keys
    cum_weight: np.ndarray    # prefix sums of weight along `order`
    cum_value: np.ndarray     # prefix sums of gain along `order`
    position: np.ndarray      # each free item's place in `order`
    added: np.ndarray         # the greedy completion
    side_tmp: np.ndarray      # the side rows' use by S and the completion


_F = TypeVar("_F", bound=Callable[..., object])
_JIT: list[str] = []          # names of the functions `compile_kernel` compiles
_INLINE: set[str] = set()     # of those, the ones numba inlines into their callers (see `_jit_inline`)
_NUMBA_VERSION: str | None = None


def _jit(func: _F) -> _F:
    """Mark a module-level function for compilation by `compile_kernel` (numba is not imported here)."""
    _JIT.append(func.__name__)
    return func


def _jit_inline(func: _F) -> _F:
    """Like `_jit`, and inlined by numba where it is called: small functions called per item in the tree,
    whose named-tuple arguments would otherwise be passed by value on every call."""
    _INLINE.add(func.__name__)
    return _jit(func)


def compiled_available() -> tuple[bool, str]:
    """(True, "numba <version>") when the compiled kernel can run, else (False, why not)."""
    try:
        import numba
    except Exception as exc:  # ImportError, or a broken install (llvmlite mismatch raises others)
        return False, f"numba not importable ({type(exc).__name__}: {exc})"
    return True, f"numba {numba.__version__}"


def compile_kernel() -> str:
    """Replace the marked functions by their numba-compiled versions (once); returns numba's version."""
    global _NUMBA_VERSION
    if _NUMBA_VERSION is None:
        import numba

        space = globals()
        for name in _JIT:
            # the compiled functions call each other through these module globals
            space[name] = numba.njit(cache=True, error_model="numpy",
                                     inline="always" if name in _INLINE else "never")(space[name])
        _NUMBA_VERSION = str(numba.__version__)
    return _NUMBA_VERSION


# ----------------------------------------------------------------------------------------- shared

@_jit_inline
def hopeless(bound: float, best: float, integral: bool) -> bool:
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


# ----------------------------------------------------------------------------------------- root

@_jit
def root_evaluate(root: Root, share: np.ndarray, mult: np.ndarray, theta: np.ndarray) -> tuple[float, int, float]:
    """Bound of the root for one split, one set of multipliers and one theta (every item free), less f of the
    forced-in items: (value, break position, fraction); fills root.inner, root.penalty, root.load, root.gain."""
    w, inner, neg = root.w, root.inner, root.neg
    m = w.size
    room = root.state[0].room
    nside = root.side_cap.size
    constant = 0.0
    for j in range(m):
        root.penalty[j] = 0.0
    for r in range(nside):
        if mult[r] > 0:
            constant += mult[r] * root.side_cap[r]
            for j in range(m):
                root.penalty[j] += mult[r] * root.side[r, j]
    if neg.shape[0] > 0:
        # sum over pairs of theta q (x_a + x_b - 1): theta q to each item, -theta q to the constant
        for a in range(m):
            t = 0.0
            for b in range(m):
                if neg[a, b] < 0:
                    t += theta[a, b] * neg[a, b]
            root.load[a] = t
            constant -= 0.5 * t
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
        root.gain[a] = root.link[a] - root.penalty[a] + root.load[a] + tot
    val, cnt, k, frac = _lp(root.gain, w, np.arange(m), m, room, root.order, root.key)
    return val + constant, k, frac


@_jit
def root_steps(root: Root, incumbent: float, integral: bool, nsteps: int) -> None:
    """Up to `nsteps` subgradient steps on root.share, root.mult and root.theta (state in root.state); the
    best in root.best_share, root.best_mult and root.best_theta. Each of the three takes its own Polyak step
    (their subgradients differ in scale), divided by how many of them move."""
    st = root.state[0]
    share, q, inner, mult, neg, theta = root.share, root.q, root.inner, root.mult, root.neg, root.theta
    m = root.w.size
    nside = root.side_cap.size
    signed = neg.shape[0] > 0
    x = np.zeros(m)
    gmult = np.zeros(nside)
    for _ in range(nsteps):
        val, k, frac = root_evaluate(root, share, mult, theta)
        bound = st.value + val
        st.steps += 1
        if bound < st.best - 1e-9:
            st.best = bound
            root.best_share[:, :] = share
            root.best_mult[:] = mult
            if signed:
                root.best_theta[:, :] = theta
            st.stall = 0
        else:
            st.stall += 1
            if st.stall >= 10:
                st.step *= 0.5
                st.stall = 0
        if hopeless(st.best, incumbent, integral) or st.step < 1e-3:
            st.done = 1
            return
        aim = incumbent if incumbent > -np.inf else bound - max(1.0, 0.05 * abs(bound))
        x[:] = 0.0
        for t in range(k):
            x[root.order[t]] = 1.0
        if k < m and frac > 0:
            x[root.order[k]] = frac
        # d bound / d share[a, b] = x_a inner[a, b] - x_b inner[b, a]; share[b, a] moves the other way
        norm = 0.0
        for a in range(m):
            for b in range(a + 1, m):
                g = x[a] * inner[a, b] - x[b] * inner[b, a]
                norm += 2.0 * g * g
        # d bound / d mult = the slack of the dualized constraint at x; a multiplier at 0 whose slack is
        # positive cannot move (the projection), so it takes no part in the step
        mnorm = 0.0
        for r in range(nside):
            g = root.side_cap[r]
            for j in range(m):
                g -= root.side[r, j] * x[j]
            if mult[r] <= 0 and g >= 0:
                g = 0.0
            gmult[r] = g
            mnorm += g * g
        # d bound / d theta_ab = q_ab (x_a + x_b - 1), theta kept in [0, 1] (the projection, as above)
        tnorm = 0.0
        if signed:
            for a in range(m):
                for b in range(a + 1, m):
                    if neg[a, b] < 0:
                        g = _theta_slope(neg[a, b], x[a] + x[b], theta[a, b])
                        tnorm += g * g
        moving = int(norm > 1e-18) + int(mnorm > 1e-18) + int(tnorm > 1e-18)
        if moving == 0 or bound - aim <= 0:
            st.done = 1
            return
        both = 1.0 / moving
        if tnorm > 1e-18:
            t_step = both * st.step * (bound - aim) / tnorm
            for a in range(m):
                for b in range(a + 1, m):
                    if neg[a, b] < 0:
                        g = _theta_slope(neg[a, b], x[a] + x[b], theta[a, b])
                        if g != 0.0:
                            theta[a, b] = theta[b, a] = min(max(theta[a, b] - t_step * g, 0.0), 1.0)
        if norm > 1e-18:
            t_step = both * st.step * (bound - aim) / norm
            for a in range(m):
                for b in range(a + 1, m):
                    g = x[a] * inner[a, b] - x[b] * inner[b, a]
                    if g != 0.0:
                        s = min(max(share[a, b] - t_step * g, 0.0), q[a, b])
                        share[a, b] = s
                        share[b, a] = q[a, b] - s
        if mnorm > 1e-18:
            t_step = both * st.step * (bound - aim) / mnorm
            for r in range(nside):
                mult[r] = max(mult[r] - t_step * gmult[r], 0.0)


@_jit_inline
def _theta_slope(q: float, xsum: float, theta: float) -> float:
    """d bound / d theta of one negative pair at the outer solution, 0 where the projection on [0, 1] stops
    theta moving."""
    g = q * (xsum - 1.0)
    if (theta <= 0 and g > 0) or (theta >= 1 and g < 0):
        return 0.0
    return g


@_jit
def freeze(share: np.ndarray, planes: Planes) -> None:
    """Each item's partners with a positive share, sorted once by share per weight (best first)."""
    w = planes.w
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
            planes.partner[j, t] = i
            planes.share[j, t] = share[j, i]
            planes.weight[j, t] = w[i]
        planes.partners[j] = cnt


# ----------------------------------------------------------------------------------------- fixings

@_jit_inline
def _fix_in(j: int, planes: Planes, tree: Tree) -> None:
    """Put item j into S: its link joins the value, its pair values join every link."""
    st = tree.state[0]
    tree.status[j] = 1
    st.fixes += 1
    st.value += tree.link[j]
    st.used += planes.w[j]
    q, link = planes.q, tree.link
    if st.sided == 1:
        st.lagrange -= planes.penalty[j]
        excl, blocked = planes.excl, tree.blocked
        for k in range(link.size):
            link[k] += q[j, k]
            blocked[k] += excl[j, k]
        for r in range(planes.side_cap.size):
            tree.side_used[r] += planes.side[r, j]
    else:
        for k in range(link.size):
            link[k] += q[j, k]
    _leave_free(j, planes, tree)
    tree.trail[st.trail] = j
    st.trail += 1


@_jit_inline
def _fix_out(j: int, planes: Planes, tree: Tree) -> None:
    st = tree.state[0]
    tree.status[j] = 2
    _leave_free(j, planes, tree)
    tree.trail[st.trail] = j
    st.trail += 1


@_jit_inline
def _leave_free(j: int, planes: Planes, tree: Tree) -> None:
    """Item j leaves F: its negative pairs with free items leave the linearization (fixed in, link holds them
    exactly; fixed out, they are gone): their -theta q leaves the constant, their theta q the partners' loads."""
    tq = planes.theta_q
    if tq.shape[0] > 0:
        tree.state[0].spread += tree.load[j]
        for k in range(tree.load.size):
            tree.load[k] -= tq[k, j]


@_jit_inline
def _join_free(j: int, planes: Planes, tree: Tree) -> None:
    """Undo `_leave_free` (the trail is undone last in, first out, so the load of j is the one it left with)."""
    tq = planes.theta_q
    if tq.shape[0] > 0:
        for k in range(tree.load.size):
            tree.load[k] += tq[k, j]
        tree.state[0].spread -= tree.load[j]


@_jit_inline
def _undo(length: int, planes: Planes, tree: Tree) -> None:
    """Release the fixings after the first `length` of the trail (value and weight come from the stack)."""
    st = tree.state[0]
    q, link = planes.q, tree.link
    m = link.size
    while st.trail > length:
        st.trail -= 1
        j = tree.trail[st.trail]
        if tree.status[j] == 1:
            for k in range(m):
                link[k] -= q[j, k]
            if st.sided == 1:
                st.lagrange += planes.penalty[j]
                for k in range(m):
                    tree.blocked[k] -= planes.excl[j, k]
                for r in range(planes.side_cap.size):
                    tree.side_used[r] -= planes.side[r, j]
        _join_free(j, planes, tree)
        tree.status[j] = 0


@_jit_inline
def _offer(added: np.ndarray, na: int, planes: Planes, tree: Tree) -> None:
    """S plus added[:na]: keep it as the incumbent when it is better."""
    st = tree.state[0]
    q = planes.q
    val = st.value
    for a in range(na):
        j = added[a]
        val += tree.link[j]
        for b in range(a):
            val += q[j, added[b]]
    if st.have_best == 0 or val > st.best:
        st.best = val
        st.have_best = 1
        for k in range(tree.status.size):
            tree.best_x[k] = 1 if tree.status[k] == 1 else 0
        for a in range(na):
            tree.best_x[added[a]] = 1


# ----------------------------------------------------------------------------------------- a node

@_jit_inline
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


@_jit_inline
def _fits(j: int, room: float, planes: Planes, tree: Tree) -> bool:
    """Whether item j can join S: the kept row's room, no item of S excluding it, every side row."""
    if planes.w[j] > room + 1e-9:
        return False
    if tree.state[0].sided == 0:
        return True
    return tree.blocked[j] == 0 and _side_fits(j, tree.side_used, planes)


@_jit_inline
def _side_fits(j: int, used: np.ndarray, planes: Planes) -> bool:
    """Whether item j fits every side row beside the use `used`."""
    for r in range(planes.side_cap.size):
        if used[r] + planes.side[r, j] > planes.side_cap[r] + 1e-9:
            return False
    return True


@_jit_inline
def _joins(j: int, na: int, planes: Planes, tree: Tree, scratch: Scratch) -> bool:
    """Whether item j (fitting beside S) also fits beside the completion scratch.added[:na]: no exclusion
    with it, and the side rows' room left by it (scratch.side_tmp)."""
    for a in range(na):
        if planes.excl[j, scratch.added[a]] != 0:
            return False
    return _side_fits(j, scratch.side_tmp, planes)


@_jit_inline
def _free_items(planes: Planes, tree: Tree, scratch: Scratch, room: float) -> tuple[int, bool]:
    """Fix out the free items that cannot join S; list the others: (count, whether taking them all is
    best: none left, or c, q >= 0 with only the kept row and all of them fitting it)."""
    w = planes.w
    nf = 0
    wsum = 0.0
    for k in range(w.size):
        if tree.status[k] == 0:
            if not _fits(k, room, planes, tree):
                _fix_out(k, planes, tree)
            else:
                scratch.free[nf] = k
                nf += 1
                wsum += w[k]
    st = tree.state[0]
    simple = st.signed == 0 and st.sided == 0
    return nf, nf == 0 or (simple and wsum <= room + 1e-9)


@_jit_inline
def _plane_values(planes: Planes, tree: Tree, scratch: Scratch, nf: int, room: float) -> None:
    """Each free item's upper plane: its link plus a continuous knapsack over its free partners' shares."""
    for t in range(nf):
        j = scratch.free[t]
        rem = room - planes.w[j]
        tot = 0.0
        for s in range(planes.partners[j]):
            i = planes.partner[j, s]
            if tree.status[i] != 0:
                continue
            if planes.weight[j, s] <= rem + 1e-9:
                tot += planes.share[j, s]
                rem -= planes.weight[j, s]
            else:
                tot += planes.share[j, s] * max(rem, 0.0) / planes.weight[j, s]
                break
        scratch.gain[j] = tree.link[j] - planes.penalty[j] + tree.load[j] + tot


@_jit_inline
def _reduce(planes: Planes, tree: Tree, scratch: Scratch, nf: int, cnt: int, kb: int, lpv: float) -> int:
    """Fix each free item whose forced-in (or forced-out) bound cannot beat the incumbent, all bounds from
    this node's relaxation (bounds.fixed_bounds): 1 when something was fixed, 0 when not, -1 when every
    better portfolio needs forced items that do not fit together."""
    st = tree.state[0]
    integral = st.integral == 1
    value = st.value + st.lagrange + st.spread
    room = st.capacity - st.used
    w, gain, srt, free = planes.w, scratch.gain, scratch.order, scratch.free
    cw, cv, posn = scratch.cum_weight, scratch.cum_value, scratch.position
    cw[0] = 0.0
    cv[0] = 0.0
    for t in range(nf):
        posn[free[t]] = cnt
    for t in range(cnt):
        j = srt[t]
        cw[t + 1] = cw[t] + w[j]
        cv[t + 1] = cv[t] + gain[j]
        posn[j] = t
    changed = 0
    for t in range(nf):
        j = free[t]
        b_in = value + gain[j] + _greedy(cw, cv, srt, cnt, w, gain, room - w[j])
        if hopeless(b_in, st.best, integral):
            _fix_out(j, planes, tree)
            changed = 1
            continue
        if posn[j] <= kb and posn[j] < cnt:
            b_out = value + _greedy(cw, cv, srt, cnt, w, gain, room + w[j]) - gain[j]
        else:
            b_out = value + lpv
        if hopeless(b_out, st.best, integral):
            if not _fits(j, st.capacity - st.used, planes, tree):
                return -1
            _fix_in(j, planes, tree)
            changed = 1
    return changed


@_jit_inline
def _bound(pbound: float, planes: Planes, tree: Tree, scratch: Scratch) -> tuple[float, int, int, int, float]:
    """The node's bound after reduction has fixed all it can: (bound, free count, sorted count, break
    position, fraction); a free count of -1 when the node is done (pruned, infeasible or solved)."""
    st = tree.state[0]
    integral = st.integral == 1
    bound = pbound
    while True:
        room = st.capacity - st.used
        if room < -1e-9:
            return bound, -1, 0, 0, 0.0
        nf, all_fit = _free_items(planes, tree, scratch, room)
        if all_fit:
            # everything left fits: with c, q >= 0 taking it all is best
            _offer(scratch.free, nf, planes, tree)
            return bound, -1, 0, 0, 0.0
        st.passes += 1
        _plane_values(planes, tree, scratch, nf, room)
        lpv, cnt, kb, frac = _lp(scratch.gain, planes.w, scratch.free, nf, room, scratch.order, scratch.key)
        bound = min(bound, st.value + st.lagrange + st.spread + lpv)
        if st.nodes == 1 and bound < st.root_bound:
            st.root_bound = bound
        if hopeless(bound, st.best, integral):
            return bound, -1, 0, 0, 0.0
        changed = _reduce(planes, tree, scratch, nf, cnt, kb, lpv)
        if changed < 0:
            return bound, -1, 0, 0, 0.0
        if changed == 0:
            return bound, nf, cnt, kb, frac


@_jit_inline
def _complete(planes: Planes, tree: Tree, scratch: Scratch, nf: int, cnt: int) -> None:
    """Greedy completion by gain per weight, then whatever else fits; offered as an incumbent."""
    st = tree.state[0]
    w, gain, added = planes.w, scratch.gain, scratch.added
    rem = st.capacity - st.used
    sided, signed = st.sided == 1, st.signed == 1
    if sided:
        scratch.side_tmp[:] = tree.side_used
    na = 0
    ceiling = st.value + st.lagrange + st.spread    # the completion is feasible: the dualized terms are >= 0 at it
    for t in range(cnt):
        j = scratch.order[t]
        if w[j] > rem + 1e-9 or (sided and not _joins(j, na, planes, tree, scratch)):
            continue
        if signed:                  # only items that add value beside S and the completion so far
            more = tree.link[j]
            for a in range(na):
                more += planes.q[j, added[a]]
            if more <= 0:
                continue
        added[na] = j
        na += 1
        rem -= w[j]
        ceiling += gain[j]
        if sided:
            for r in range(planes.side_cap.size):
                scratch.side_tmp[r] += planes.side[r, j]
    for t in range(nf):
        j = scratch.free[t]
        if signed:                  # with negative terms an item that adds nothing can take value away
            break
        if gain[j] <= 0 and w[j] <= rem + 1e-9 and (not sided or _joins(j, na, planes, tree, scratch)):
            added[na] = j
            na += 1
            rem -= w[j]
            if sided:
                for r in range(planes.side_cap.size):
                    scratch.side_tmp[r] += planes.side[r, j]
    # f(S + A) <= f(S) + sum of A's gains (each plane covers its partners in A, which fit beside it):
    # the O(|A|^2) evaluation only when that can beat the incumbent
    if st.have_best == 0 or ceiling > st.best:
        _offer(added, na, planes, tree)


@_jit_inline
def _branch_item(planes: Planes, tree: Tree, scratch: Scratch, nf: int, cnt: int, kb: int, frac: float) -> int:
    """The item to branch on: static order, or the fractional item of the outer knapsack."""
    if tree.state[0].rule == BRANCH_STATIC:
        for t in range(planes.order.size):
            if tree.status[planes.order[t]] == 0:
                return planes.order[t]
    srt, w, gain, free = scratch.order, planes.w, scratch.gain, scratch.free
    if kb < cnt and 1e-9 < frac < 1 - 1e-9:
        return srt[kb]
    if kb > 0:
        a = srt[0]
        for t in range(1, kb):
            if w[srt[t]] > w[a]:
                a = srt[t]
        return a
    a = free[0]
    for t in range(1, nf):
        if gain[free[t]] > gain[a]:
            a = free[t]
    return a


@_jit_inline
def _push_children(tree: Tree, item: int, depth: int, bound: float) -> None:
    """Both children of `item`; they keep this node's bound; "in" is pushed last, so explored first."""
    st = tree.state[0]
    for direction in (0, 1):
        sp = st.stack
        tree.stack_items[sp, 0] = st.trail
        tree.stack_items[sp, 1] = item
        tree.stack_items[sp, 2] = direction
        tree.stack_items[sp, 3] = depth + 1
        tree.stack_values[sp, 0] = bound
        tree.stack_values[sp, 1] = st.value
        tree.stack_values[sp, 2] = st.used
        st.stack = sp + 1


@_jit_inline
def _node(depth: int, pbound: float, planes: Planes, tree: Tree, scratch: Scratch) -> None:
    """Bound, reduce, complete and branch the current node (its fixings are applied)."""
    bound, nf, cnt, kb, frac = _bound(pbound, planes, tree, scratch)
    if nf < 0:
        return
    _complete(planes, tree, scratch, nf, cnt)
    st = tree.state[0]
    if hopeless(bound, st.best, st.integral == 1):
        return
    _push_children(tree, _branch_item(planes, tree, scratch, nf, cnt, kb, frac), depth, bound)


@_jit
def run(max_nodes: int, planes: Planes, tree: Tree, scratch: Scratch) -> int:
    """Process up to max_nodes nodes of the depth-first search: 0 when the stack is empty, else 1."""
    st = tree.state[0]
    integral = st.integral == 1
    done = 0
    while done < max_nodes:
        sp = st.stack
        if sp == 0:
            return 0
        sp -= 1
        st.stack = sp
        pbound = tree.stack_values[sp, 0]
        if hopeless(pbound, st.best, integral):
            continue
        _undo(tree.stack_items[sp, 0], planes, tree)
        st.value = tree.stack_values[sp, 1]
        st.used = tree.stack_values[sp, 2]
        item = tree.stack_items[sp, 1]
        if item >= 0:
            if tree.stack_items[sp, 2] == 1:
                _fix_in(item, planes, tree)
            else:
                _fix_out(item, planes, tree)
        st.nodes += 1
        done += 1
        _node(tree.stack_items[sp, 3], pbound, planes, tree, scratch)
    return 0 if st.stack == 0 else 1
