"""Branch and bound for the classic quadratic knapsack, bounded by Lagrangian upper planes at every node.

The exact method of Caprara, Pisinger & Toth (1999). At a node some
items are fixed in (set S), some out, the rest free (F). Each positive pair
value inside F is split between its two items, q_ij = p_ij + p_ji with
p >= 0; item j's best partner gain given x_j = 1 is a continuous knapsack
over its shares p_ji with the room left once j is in; the node bound is f(S)
plus a continuous knapsack over F of

    gain_j = c_j + sum_{i in S} q_ij + partners_j.

It is valid for every split: the split is optimized at the root by subgradient
steps and kept below it. With the same gains every free item gets a bound with
it forced in and one with it forced out; an item that cannot beat the
incumbent either way is fixed (reduction at every node, not only at the root).
Depth-first, in a static order by root plane value per weight, "in" first.

It applies beyond the classic QKP (see `applies`): any number of knapsack rows
with nonnegative weights and limits, a size limit, conflicts, groups, negative
gains and pair values, items forced in or out. The bound keeps one row (the
tightest) in the knapsacks and leaves the others to the tree, which checks
them whenever an item joins; items that exclude each other (conflicts, group
mates) get no pair value between them; negative pair values get no share but
are linearized, q x_i x_j <= theta q (x_i + x_j - 1) with theta in [0, 1]
optimized with the split (at convergence the sign-aware RLT LP's bound), and
exclusions are dualized the same way, theta cap (1 - x_i - x_j) >= 0.
Minimum sizes and covers (at least one of a set) are not taken. The partner
lists take n^2 entries (`MAX_ITEMS`).

`branch_and_bound` sets the search up and drives the compiled functions of
:mod:`optimizer.algorithms.qkp_kernel` (the split frozen after the root, items fixed in
place: microseconds per node) in chunks, reading the clock and Ctrl-C between them. numba
is a declared dependency; where it cannot be imported the search is unavailable
(`available()` says why) and the pipeline proves with HiGHS instead. The numpy search
the kernel replaced lives on as a test oracle (tests/optimizer/algorithms/).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np

from optimizer.algorithms import qkp_kernel as kernel
from optimizer.core.deadline import SHARES
from optimizer.core.problem import SelectionProblem
from optimizer.core.result import Termination
from optimizer.core.verify import is_feasible

MAX_ITEMS = 1000        # the kernel's partner lists: n^2 entries over the items not forced in or out
#: m x m arrays of 8 bytes the search keeps over its m free items: the pair values, the split and its best,
#: the rows' solutions, and per item its partners, their shares and weights in sorted order
KERNEL_MATRICES = 7
#: more with negative pair values or exclusions (both linearized): their charges, theta and its best at the
#: root, theta q in the tree
NEGATIVE_MATRICES = 4
ROOT_STEPS = 300        # subgradient steps at the root
CHUNK_SECONDS = 0.02    # aim for a chunk of nodes; between chunks Python checks the clock and Ctrl-C
FIRST_CHUNK = 64        # nodes in the first chunk, before any timing is known
MAX_CHUNK = 1 << 22
# measured (12 generated instances n = 100-200, 10 s each, one run): static 26.0 s in all, fractional 37.0 s;
# static needs far fewer nodes where the tree is large (100_75_2: 359 vs 4,665; 150_75_3: 231 vs 7,937;
# 200_100_1 proven in 2.0 s vs open at 10 s) and its nodes are cheaper (fewer reduction passes and fixings)
DEFAULT_BRANCHING = kernel.BRANCH_STATIC


MAX_SIDE_ROWS = 16      # rows checked beside the kept one (each costs O(1) per item fit test)


def applies(problem: SelectionProblem) -> str | None:
    """None when the branch and bound can solve `problem`, else why not (one sentence)."""
    if np.any(problem.A < 0) or np.any(problem.b < 0):
        return "its knapsack rows must have nonnegative weights and limits"
    if problem.size_min > 0:
        return "a minimum portfolio size is not supported"
    if problem.covers:
        return "covers (at least one item of a set) are not supported"
    rows = problem.A.shape[0] + int(problem.size_max < problem.n)
    if rows > 1 + MAX_SIDE_ROWS:
        return f"{rows} rows (knapsack rows and the size limit) are above its limit of {1 + MAX_SIDE_ROWS}"
    free = problem.n_free
    if free > MAX_ITEMS:
        return f"{free} items not forced in or out is above its dense-matrix limit of {MAX_ITEMS}"
    return None


def is_classic(problem: SelectionProblem) -> bool:
    """The classic QKP, items forced in or out allowed: one nonnegative knapsack row, c >= 0, q >= 0, nothing
    else. Where `auto` prefers this search to HiGHS (measured on the wider kinds it takes, it is not always
    ahead: benchmarks/timing/kernel_reach.py)."""
    return bool(applies(problem) is None and problem.A.shape[0] == 1 and problem.size_max >= problem.n
                and not problem.conflicts.size and not problem.groups
                and np.all(problem.c >= 0) and np.all(problem.pair_q >= 0))


def memory_mb(problem: SelectionProblem) -> float:
    """Memory (MB) of the search's dense arrays for `problem`'s items not forced in or out."""
    m = problem.n_free
    # one byte per pair for the exclusions, whenever something beside the kept row constrains
    sided = problem.conflicts.size or problem.groups or problem.A.shape[0] + int(problem.size_max < problem.n) > 1
    exclusions = 1.0 if sided else 0.0
    linearized = np.any(problem.pair_q < 0) or problem.conflicts.size or problem.groups
    matrices = KERNEL_MATRICES + (NEGATIVE_MATRICES if linearized else 0)
    return (matrices * 8.0 + exclusions) * m * m / 2**20


def _rows(problem: SelectionProblem) -> tuple[np.ndarray, np.ndarray]:
    """The problem's rows as (weights R x n, limits R): the knapsack rows and the size limit, the tightest
    (smallest limit per total weight) first: the bound keeps that one, the tree checks the others. With no
    row at all, one of zero weights."""
    weights = [np.asarray(problem.A, float)]
    limits = [np.asarray(problem.b, float)]
    if problem.size_max < problem.n:
        weights.append(np.ones((1, problem.n)))
        limits.append(np.array([float(problem.size_max)]))
    A, b = np.vstack(weights), np.concatenate(limits)
    if A.shape[0] == 0:
        return np.zeros((1, problem.n)), np.zeros(1)
    order = np.argsort(b / np.maximum(A.sum(axis=1), 1e-12), kind="stable")
    return A[order], b[order]


def _exclusions(problem: SelectionProblem) -> np.ndarray:
    """The pairs of items that cannot both be chosen (conflicts, two members of a group), k x 2."""
    pairs = [np.asarray(problem.conflicts, np.int64).reshape(-1, 2)]
    for group in problem.groups:
        g = np.asarray(group, np.int64)
        a, b = np.triu_indices(g.size, 1)
        pairs.append(np.column_stack([g[a], g[b]]))
    return np.vstack(pairs)


@dataclass
class Outcome:
    """What the search found and proved."""

    termination: Termination    # OPTIMAL, TIME_LIMIT, INTERRUPTED or INFEASIBLE
    x: np.ndarray | None        # 0/1 int8 over all items, or None when no portfolio was found
    objective: float            # recomputed from the problem's data (the kernel sums incrementally)
    bound: float                # valid at any stop
    root_bound: float
    nodes: int
    seconds: float
    note: str = ""              # what the search says about its run
    root_seconds: float = 0.0   # of `seconds`, the root's subgradient steps
    chunks: int = 0             # calls of the tree kernel
    passes: int = 0             # bound evaluations in the tree (a node re-evaluates after fixing items)
    fixed_in: int = 0           # items fixed in (each costs O(n), and O(n) again to undo)
    relaxation: str = ""        # the bound, in words (Result.stages says which one ran)


def available() -> tuple[bool, str]:
    """Whether the search can run here (its compiled kernel needs numba), and why not."""
    return kernel.compiled_available()


@dataclass
class _Setup:
    """The kernel's items (the free ones that can join the forced-in ones) and what the fixings give."""

    problem: SelectionProblem
    chosen: np.ndarray          # forced in, over all items
    free: np.ndarray            # indices of the kernel's items
    q: np.ndarray               # their pair values, dense (zero between items that exclude each other)
    w: np.ndarray               # their weights in the kept row
    link: np.ndarray            # c_j + pair values with the forced-in items
    value: float                # f of the forced-in items
    used: float
    capacity: float
    excl: np.ndarray            # m x m int8 (0 x 0 when only the kept row constrains)
    side: np.ndarray            # R x m: the other rows
    side_cap: np.ndarray        # their limits beside the forced-in items
    best: float = -math.inf     # a valid start's value
    best_x: np.ndarray | None = None

    @property
    def signed(self) -> bool:
        """Whether adding an item can lower the value (a negative gain or pair value)."""
        return bool(np.any(self.q < 0) or np.any(self.link < 0))

    @property
    def sided(self) -> bool:
        """Whether an item may fail to join S for another reason than the kept row."""
        return bool(self.excl.size or self.side.shape[0])

    def relaxation(self) -> str:
        """The node bound in words: what it keeps, dualizes and linearizes."""
        parts = ["Caprara-Pisinger-Toth upper planes on the tightest row"]
        if self.side.shape[0]:
            parts.append(f"{self.side.shape[0]} more row(s) dualized")
        if self.excl.size and self.excl.any():
            parts.append(f"{int(self.excl.sum()) // 2} exclusion pair(s) dualized")
        if self.q.size and self.q.min() < 0:
            parts.append("negative pair values linearized (theta)")
        return "; ".join(parts)

    def full_x(self, xk: np.ndarray) -> np.ndarray:
        out = self.chosen.astype(np.int8)
        out[self.free] = xk
        return out


def _setup(problem: SelectionProblem, incumbent: np.ndarray | None) -> _Setup | None:
    """The search's items and start; None when the forced-in items alone break a constraint."""
    n = problem.n
    rows, limits = _rows(problem)
    chosen = np.zeros(n, bool)
    chosen[problem.forced_in] = True
    excluded = np.zeros(n, bool)
    excluded[problem.forced_out] = True
    used = rows[:, chosen].sum(axis=1)
    pairs = _exclusions(problem)
    if np.any(used > limits + 1e-9) or np.any(chosen[pairs[:, 0]] & chosen[pairs[:, 1]]):
        return None
    # an item excluded by a forced-in one, or too heavy for some row beside them, never joins
    excluded[pairs[chosen[pairs[:, 1]], 0]] = True
    excluded[pairs[chosen[pairs[:, 0]], 1]] = True
    fits = np.all(rows <= (limits - used)[:, None] + 1e-9, axis=0)
    free = np.flatnonzero(~chosen & ~excluded & fits)
    m = free.size
    # the dense matrix covers the free items only: a problem of 10,000 items with a small free core fits
    where = np.full(n, -1)
    where[free] = np.arange(m)
    pi, pj, pq = problem.pair_i, problem.pair_j, problem.pair_q.astype(float)
    fi, fj = where[pi], where[pj]
    both = (fi >= 0) & (fj >= 0)
    q = np.zeros((m, m))
    q[fi[both], fj[both]] = pq[both]
    q[fj[both], fi[both]] = pq[both]
    ei, ej = where[pairs[:, 0]], where[pairs[:, 1]]
    inside = (ei >= 0) & (ej >= 0)
    sided = bool(inside.any()) or rows.shape[0] > 1      # the kernel reads excl whenever it is sided
    excl = np.zeros((m, m) if sided else (0, 0), np.int8)
    if inside.any():
        excl[ei[inside], ej[inside]] = excl[ej[inside], ei[inside]] = 1
        q[excl == 1] = 0.0          # never earned together: leaving it out tightens the planes
    c = problem.c.astype(float)
    # link_j = c_j + its pair values with the forced-in items
    link = c[free] + np.bincount(fi[(fi >= 0) & chosen[pj]], pq[(fi >= 0) & chosen[pj]], m) \
        + np.bincount(fj[(fj >= 0) & chosen[pi]], pq[(fj >= 0) & chosen[pi]], m)
    setup = _Setup(problem, chosen, free, q, np.ascontiguousarray(rows[0, free]), link,
                   float(c[chosen].sum() + pq[chosen[pi] & chosen[pj]].sum()), float(used[0]), float(limits[0]),
                   excl, np.ascontiguousarray(rows[1:][:, free]), limits[1:] - used[1:])
    if incumbent is not None:
        start = np.asarray(incumbent) > 0.5
        # a start that breaks a constraint would prune with a value no portfolio has
        if start.shape == (n,) and is_feasible(problem, start.astype(float)) \
                and not start[~chosen & ~np.isin(np.arange(n), free)].any():
            setup.best, setup.best_x = problem.objective(start), start[free].astype(np.int8)
    return setup


def _root(setup: _Setup, integral: bool, root_steps: int, deadline: float,
          root_deadline: float) -> tuple[Termination, kernel.Root]:
    """Subgradient steps on the split, a few per call so the clock is read in between; OPTIMAL means
    "go on with the tree" (the root finished, or its share of the time is spent: any split is valid)."""
    m = setup.free.size
    state = np.zeros(1, kernel.ROOT_STATE)
    state[0] = (setup.value, setup.capacity - setup.used, 2.0, math.inf, 0, 0, 0)
    positive = np.maximum(setup.q, 0.0)         # a negative pair value gets no share: it is linearized
    share = positive / 2.0
    pairs = np.minimum(setup.q, 0.0) if setup.q.size and setup.q.min() < 0 else np.zeros((0, 0))
    negative = pairs
    if setup.excl.size and setup.excl.any():
        # x_a + x_b <= 1 dualized the same way, as a pair value -cap linearized: theta cap (1 - x_a - x_b) >= 0;
        # cap = the smaller of the two items' largest gains (a larger charge only makes the LP drop one)
        top = np.maximum(setup.link + positive.sum(axis=1), 0.0)
        negative = np.where(setup.excl == 1, -np.minimum.outer(top, top), pairs if pairs.size else 0.0)
    theta = np.zeros_like(negative)
    if negative.size and setup.best_x is not None:
        # exact at the start: theta = 1 where both are in it, 0 elsewhere (q (x_a + x_b - 1) = 0 with one in)
        theta = np.outer(setup.best_x, setup.best_x).astype(float)
    root = kernel.Root(positive, setup.w, setup.link, share, share.copy(), np.zeros((m, m)), np.zeros(m),
                       np.zeros(m, np.int64), np.zeros(m), state, setup.side, setup.side_cap,
                       np.zeros(setup.side_cap.size), np.zeros(setup.side_cap.size), np.zeros(m),
                       negative, theta, np.zeros_like(theta), np.zeros(m))
    # the exclusions' theta joins in a second phase, from the best of the first: optimized together from the
    # start, the rest converged worse (every kind at once, n = 60: root bound 5,799 against 4,961 without)
    phases = [root._replace(neg=pairs), root] if negative is not pairs else [root]
    chunk_steps = 1
    try:
        for k, phase in enumerate(phases):
            limit = (k + 1) * root_steps
            if k:
                if kernel.hopeless(float(state[0]["best"]), setup.best, integral):
                    break
                root.share[:], root.mult[:], root.theta[:] = root.best_share, root.best_mult, root.best_theta
                state[0]["step"], state[0]["stall"], state[0]["done"] = 2.0, 0, 0
            while state[0]["done"] == 0 and state[0]["steps"] < limit:
                steps = int(min(chunk_steps, limit - state[0]["steps"]))
                t = time.perf_counter()
                kernel.root_steps(phase, setup.best, integral, steps)
                chunk_steps = max(1, int(steps * CHUNK_SECONDS / max(time.perf_counter() - t, 1e-6)))
                now = time.perf_counter()
                if now > deadline and state[0]["done"] == 0 and state[0]["steps"] < limit:
                    return Termination.TIME_LIMIT, root
                if now > root_deadline:
                    return Termination.OPTIMAL, root
    except KeyboardInterrupt:
        return Termination.INTERRUPTED, root
    return Termination.OPTIMAL, root


def _tree_arrays(setup: _Setup, root: kernel.Root, integral: bool,
                 branching: int) -> tuple[kernel.Planes, kernel.Tree, kernel.Scratch]:
    """The frozen split's sorted partner lists, the tree state with the root on the stack, the scratch."""
    m = setup.free.size
    w = setup.w
    # the static branching order: plane value per weight at the root; the multipliers' charges frozen
    kernel.root_evaluate(root, root.best_share, root.best_mult, root.best_theta)
    theta_q = root.best_theta * root.neg
    planes = kernel.Planes(setup.q, w, np.zeros((m, m), np.int64), np.zeros((m, m)), np.zeros((m, m)),
                           np.zeros(m, np.int64), np.zeros(m, np.int64), setup.excl, setup.side, setup.side_cap,
                           root.penalty.copy(), theta_q)
    kernel.freeze(root.best_share, planes)
    lagrange = float(root.best_mult @ setup.side_cap)
    spread = -float(theta_q.sum()) / 2.0      # every item is free at the root
    # (without the negative pairs' charges, which steer the search away from items the root's solution pairs:
    # on generated mixed-sign QKPs n = 40-80, 1.5-2.6x fewer nodes and better incumbents with it left out)
    value = root.gain - root.load
    order = np.argsort(-np.where(w > 0, value / np.where(w > 0, w, 1.0), np.inf), kind="stable")
    planes.order[:] = order
    depth_cap = m + 2                      # each level adds at most one pending entry to the stack
    stack_items = np.zeros((2 * depth_cap, 4), np.int64)
    stack_values = np.zeros((2 * depth_cap, 3))
    stack_items[0] = (0, -1, 0, 0)         # the root: nothing to fix
    stack_values[0] = (math.inf, setup.value, setup.used)
    state = np.zeros(1, kernel.TREE_STATE)
    state[0] = (setup.value, setup.used, setup.best, setup.capacity, root.state[0]["best"], 0, 1, 0,
                int(setup.best_x is not None), int(integral), int(branching), 0, 0, int(setup.signed),
                int(setup.sided), lagrange, spread)
    best_x = setup.best_x if setup.best_x is not None else np.zeros(m, np.int8)
    tree = kernel.Tree(np.zeros(m, np.int8), setup.link.copy(), np.zeros(m, np.int64), stack_items, stack_values,
                       best_x, state, np.zeros(m, np.int64), np.zeros(setup.side_cap.size), root.load.copy())
    scratch = kernel.Scratch(np.zeros(m, np.int64), root.gain, root.order, root.key, np.zeros(m + 1),
                             np.zeros(m + 1), np.zeros(m, np.int64), np.zeros(m, np.int64),
                             np.zeros(setup.side_cap.size))
    return planes, tree, scratch


def _run_chunk(max_nodes: int, arrays: tuple[kernel.Planes, kernel.Tree, kernel.Scratch]) -> int:
    """One chunk of the tree (a seam for tests that interrupt the search)."""
    return int(kernel.run(max_nodes, *arrays))


def _search(arrays: tuple[kernel.Planes, kernel.Tree, kernel.Scratch], deadline: float) -> tuple[Termination, int]:
    """Chunks of the tree until it is done, the clock runs out or Ctrl-C: (termination, chunks run)."""
    state = arrays[1].state
    size = FIRST_CHUNK
    chunks = 0
    try:
        while True:
            if time.perf_counter() > deadline:
                return Termination.TIME_LIMIT, chunks
            t = time.perf_counter()
            before = int(state[0]["nodes"])
            more = _run_chunk(size, arrays)
            chunks += 1
            if not more:
                return Termination.OPTIMAL, chunks
            done = max(1, int(state[0]["nodes"]) - before)
            size = int(min(MAX_CHUNK, max(16, done * CHUNK_SECONDS / max(time.perf_counter() - t, 1e-6))))
    except KeyboardInterrupt:
        return Termination.INTERRUPTED, chunks


def branch_and_bound(problem: SelectionProblem, *, incumbent: np.ndarray | None = None,
                     time_limit: float | None = None, integral: bool | None = None,
                     branching: int = DEFAULT_BRANCHING, root_steps: int = ROOT_STEPS) -> Outcome:
    """Solve `problem` (see `applies`) to optimality, or until `time_limit` seconds.

    `incumbent` (a feasible 0/1 vector) starts the search with its value.
    The returned bound is valid at any stop: the largest bound of the nodes
    still open, or the incumbent's value when none is left. Needs numba
    (`available()`); a RuntimeError says why when it cannot be imported.
    """
    why = applies(problem)
    if why is not None:
        raise ValueError(f"branch and bound does not apply: {why}")
    ok, reason = kernel.compiled_available()
    if not ok:
        raise RuntimeError(f"the branch and bound needs its compiled kernel: {reason}")
    t0 = time.perf_counter()
    note = f"compiled kernel (numba {kernel.compile_kernel()})"
    deadline = math.inf if time_limit is None else t0 + time_limit
    integral = problem.has_integral_objective if integral is None else bool(integral)
    setup = _setup(problem, incumbent)
    if setup is None:
        return Outcome(Termination.INFEASIBLE, None, -math.inf, -math.inf, -math.inf, 0, time.perf_counter() - t0,
                       note)
    if setup.free.size == 0:
        return _outcome(problem, Termination.OPTIMAL, setup.chosen.astype(np.int8), math.inf, math.inf, 0, t0, note)
    root_deadline = math.inf if time_limit is None else t0 + SHARES["root"] * time_limit
    status, root = _root(setup, integral, root_steps, deadline, root_deadline)
    root_seconds = time.perf_counter() - t0
    root_bound = float(root.state[0]["best"])
    if status is not Termination.OPTIMAL:
        x = setup.full_x(setup.best_x) if setup.best_x is not None else None
        found = _outcome(problem, status, x, max(setup.best, root_bound), root_bound, 0, t0, note)
        return replace(found, root_seconds=root_seconds, relaxation=setup.relaxation())
    arrays = _tree_arrays(setup, root, integral, branching)
    del root
    status, chunks = _search(arrays, deadline)
    tree = arrays[1]
    st = tree.state[0]
    nodes = int(st["nodes"])
    root_bound = float(st["root_bound"]) if nodes else root_bound
    if not math.isfinite(root_bound):    # the root was solved outright (everything fit)
        root_bound = float(st["best"])
    x = setup.full_x(tree.best_x) if st["have_best"] else None
    open_bound = float(tree.stack_values[:st["stack"], 0].max()) if st["stack"] else -math.inf
    bound = open_bound if status is not Termination.OPTIMAL else -math.inf
    found = _outcome(problem, status, x, bound, root_bound, nodes, t0, note)
    return replace(found, root_seconds=root_seconds, chunks=chunks, passes=int(st["passes"]),
                   fixed_in=int(st["fixes"]), relaxation=setup.relaxation())


def _outcome(problem: SelectionProblem, status: Termination, x: np.ndarray | None, bound: float,
             root_bound: float, nodes: int, t0: float, note: str) -> Outcome:
    """The objective recomputed exactly from the problem's data; the bound never below it."""
    seconds = time.perf_counter() - t0
    if x is None:
        return Outcome(status, None, -math.inf, bound, root_bound, nodes, seconds, note)
    objective = problem.objective(x)
    bound = objective if status is Termination.OPTIMAL else max(bound, objective)
    root_bound = objective if not math.isfinite(root_bound) else root_bound
    return Outcome(status, x.astype(np.int8), objective, bound, root_bound, nodes, seconds, note)


def warm_up() -> str:
    """Compile the kernel now (numba writes its cache beside its module), so that the first solve of
    every later process loads it in under a second instead of compiling for about 11 s. `make`'s
    install step runs it; without numba it says why and does nothing."""
    ok, why = kernel.compiled_available()
    if not ok:
        return f"kernel not compiled: {why}"
    t0 = time.perf_counter()
    # a classic QKP with a real tree, so that every kernel function is compiled
    tiny = SelectionProblem(c=np.array([4.0, 3.0, 3.0, 2.0, 1.0]), pair_i=np.array([0, 1, 2]),
                            pair_j=np.array([1, 2, 3]), pair_q=np.array([2.0, 1.0, 3.0]),
                            A=np.array([[3.0, 2.0, 2.0, 2.0, 1.0]]), b=np.array([5.0]))
    branch_and_bound(tiny)
    return f"kernel compiled and cached in {time.perf_counter() - t0:.1f} s"
