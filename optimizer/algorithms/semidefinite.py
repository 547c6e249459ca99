"""The semidefinite relaxation's bound (Shor's lifting with the products' bounds: the doubly nonnegative
relaxation), solved by SCS, with a bound that stays valid whatever the solver's accuracy.

With z = (1, x) and Y = z z' (Y_00 = 1, Y_0i = x_i, Y_ij = x_i x_j), every feasible 0/1 portfolio gives a
Y that

    is positive semidefinite,               Y_ii = Y_0i                 (x_i^2 = x_i),
    max(0, x_i + x_j - 1) <= Y_ij <= min(x_i, x_j),                    Y_ij = 0 for pairs that exclude
    each other (conflicts, two items of a group),  a'x <= beta for every row (budget and other rows, the
    size range, groups, covers),  x_i = 1 for forced-in items,

and the objective is linear in Y: f = c'x + sum_p q_p Y_{i_p j_p}. Dropping rank one leaves a conic
program, solved by SCS (a first-order conic solver; `accuracy` is its eps). On generated alliance
scenarios its optimum lies within 0.0002% of the best portfolio on 19 of 29 at 60-150 candidates (0.004-2.5%
on the others) and 0.17% above at 300 (seed 1), where the concave relaxation (optimizer.engine.concave)
stands 1-30% and 60% above (benchmarks/README.md, "The semidefinite bound").
Products of the rows with x_j and 1 - x_j (the RLT rows) moved the bound by 1e-4 and made each iteration
4-8 times slower (dense rows in SCS's linear system), so they are left out.

The bound is computed here, not taken from SCS: for any multipliers y (free on the equations, >= 0 on the
inequalities, negative entries of the latter set to 0) weak duality gives, for every Y above,

    f(Y) <= b'y - <W, Y>,    W = -C + sum_k y_k A_k    (the slack; C the objective as a matrix),

and <W, Y> >= T min(0, lambda_min(W)) over positive semidefinite Y with trace at most T = 1 + size_max
(the trace of z z' is 1 + |x|). So `bound` = b'y - T min(0, lambda_min(W)) holds at any y: after a time
limit, at low accuracy, or when SCS reports a failure.

The same inequality proves a portfolio optimal when the relaxation is tight: for a portfolio z,
f(z) <= b'y - z'Wz, and z'Wz >= min(lambda_1, 0) |z|^2 + lambda_2 d(z)^2, with d(z) the distance from z to
W's first eigenvector's line. Every 0/1 z other than the incumbent z* lies at distance at least
sqrt(s / (1 + s)) from z*'s line (s = |x*| >= 1; one item removed is the closest), hence at least that
minus |z| sin(angle between the line and z*) from the eigenvector's: `others` bounds every portfolio but
the incumbent, and `others` <= f(z*) proves z* optimal.

It also fixes items. With W' = W - min(0, lambda_min) I (positive semidefinite), f(z) <= bound - z'W'z, so
the portfolios that differ from the incumbent at item k are worth at most bound - min z'W'z over the box
{z_0 = 1, z_k = 1 - x*_k, forced items at 1, the rest in [0, 1]}: a convex QP per item, all of them solved at
once by an accelerated projected gradient (one (n + 1)-square matrix times an (n + 1) x n block per step),
whose value is bounded from below at any iterate by convexity (q(z) >= q(z_t) + grad q(z_t)'(z - z_t), least
over the box). Where that bound is below the incumbent's value the item keeps the incumbent's choice. After
250 SCS iterations on 150 candidates with levels (246-254 items, relaxations 0.3-0.6% above the incumbent) it
fixed 64-221 items; at 300 candidates (0.24% above) 2 (benchmarks/README.md).
"""

from __future__ import annotations

import math
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from optimizer.algorithms.bounds import PROOF_TOLERANCE, fixings
from optimizer.core.problem import SelectionProblem

#: SCS's eps (absolute and relative): measured at 150-300 candidates, 1e-6 puts the bound within 1e-7 of
#: the optimum where the relaxation is tight, in 1.1-1.5 times the iterations of 1e-5 (benchmarks/README.md)
ACCURACY = 1e-6
#: SCS's iterations at most: converged runs on generated scenarios took 275-2,950 (one 9,100: SCS's slow tail,
#: the bound no better after the first 2,000); the bound is valid wherever it stops
MAX_ITERATIONS = 5000
#: above this many items (after the fixings) the stage does not run: SCS's linear system grows as n^2
#: pairs and each iteration takes an eigendecomposition of an (n + 1)-square matrix
MAX_ITEMS = 700
#: more accurate runs, each from where the last stopped, when SCS converged within CLOSE of the incumbent
#: without proving it (SCS's accuracy bounds its residuals, not the bound: 2.3e-6 above the optimum at 1e-6)
REFINEMENTS = 2
CLOSE = 1e-4
#: the item bounds' projected gradient: at most this many steps, a look at the bounds every CHECK, and a stop
#: once STALL looks fixed nothing more (150 candidates with levels: 0.2-0.3 s, the fixings settled by step 150)
QP_STEPS = 300
QP_CHECK = 10
QP_STALL = 5
#: the share of the time limit kept for the item bounds after SCS's rounds, until they are measured (then twice
#: their time: 0.1-0.3 s at 250-500 items, where a round of SCS takes 3.5-15 s)
QP_SHARE = 0.1
#: the share of the free items whose fixing starts SCS again on what is left
REBUILD = 0.25
#: SCS's setup (its factorization, which its own time limit does not count) per nonzero of the constraint
#: matrix, before the first measured one: 1.2-1.4e-6 s at 60-300 candidates, with a margin
SETUP_PER_NONZERO = 2e-6
#: up to this many items SCS runs without its Anderson acceleration and from scale 1 (0.1 by default): on 100-150
#: candidates (150-256 items) that proved all 20 generated scenarios within 10 s against 19 (150 levels seed 5:
#: 6.9 s, converged in 4.6 s against 9 s), but at 300 candidates with levels (498-514 items) it left the bound
#: after 60 s 0.86-1.30% above the best portfolio against 0.50-1.16% (benchmarks/README.md)
PLAIN_ITEMS = 300
#: SCS's iterations between two looks at the bound: the rounds, each started from the last, took as many
#: iterations in all as one run (150 candidates: 425-600 against 475-575)
CHUNK = 250
_ROOT2 = math.sqrt(2.0)
_INTERRUPTED = -5      # SCS's status value when Ctrl-C stopped it


@dataclass(frozen=True)
class SemidefiniteBound:
    """The bound, a bound on every portfolio but the incumbent, and how they were found."""

    bound: float          # valid: never below the best portfolio's value
    others: float         # valid for every feasible portfolio other than the incumbent (= bound without one)
    seconds: float
    iterations: int
    status: str           # SCS's, for the record: the bound does not depend on it
    # per item, bounds on the portfolios with it (bound_in) and without it (bound_out), from the best dual: the
    # side the incumbent does not take is bounded by the box QP (module docstring), the other side by `bound`;
    # None without an incumbent
    bound_in: np.ndarray | None = None
    bound_out: np.ndarray | None = None


def available() -> tuple[bool, str]:
    """(True, "scs <version>") when the bound can run here, else (False, why not)."""
    try:
        import scs
    except Exception as exc:   # ImportError, or a broken install
        return False, f"scs not importable ({type(exc).__name__}: {exc}); pip install scs"
    return True, f"scs {scs.__version__}"


def _entry(a: np.ndarray, b: np.ndarray, N: int) -> tuple[np.ndarray, np.ndarray]:
    """Where Y[a, b] sits in SCS's vector of a symmetric N x N matrix (the lower triangle column by column,
    off-diagonal entries times sqrt 2), and the factor that turns that entry back into Y[a, b]."""
    hi, lo = np.maximum(a, b), np.minimum(a, b)
    return lo * N - lo * (lo - 1) // 2 + (hi - lo), np.where(hi == lo, 1.0, 1.0 / _ROOT2)


class _Rows:
    """Constraint rows sum_t coef_t Y[a_t, b_t] (<= or ==) rhs, collected as triplets."""

    def __init__(self, N: int) -> None:
        self.N, self.count = N, 0
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.rhs: list[np.ndarray] = []

    def add(self, row: np.ndarray, a: np.ndarray, b: np.ndarray, coef: np.ndarray, rhs: np.ndarray) -> None:
        """Terms coef * Y[a, b] of rows numbered from 0 in `row`; one right-hand side per row."""
        k, scale = _entry(np.asarray(a), np.asarray(b), self.N)
        self.parts.append((np.asarray(row) + self.count, k, np.asarray(coef, dtype=float) * scale))
        rhs = np.atleast_1d(np.asarray(rhs, dtype=float))
        self.rhs.append(rhs)
        self.count += rhs.size

    def matrix(self, columns: int) -> tuple[Any, np.ndarray]:
        import scipy.sparse as sp  # SCS's own dependency

        if not self.parts:
            return sp.csc_matrix((0, columns)), np.zeros(0)
        r, k, v = (np.concatenate(p) for p in zip(*self.parts, strict=True))
        return sp.csc_matrix((v, (r, k)), shape=(self.count, columns)), np.concatenate(self.rhs)


def _linear_rows(p: SelectionProblem, keep: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """Every row a'x <= beta over the kept items: the rows, the size range, groups and covers."""
    m = keep.size
    rows = [(p.A[k, keep], float(p.b[k])) for k in range(p.A.shape[0])]
    if p.size_max < m:
        rows.append((np.ones(m), float(p.size_max)))
    if p.size_min > 0:
        rows.append((-np.ones(m), -float(p.size_min)))
    local = np.full(p.n, -1)
    local[keep] = np.arange(m)
    for sets, sign, beta in ((p.groups, 1.0, 1.0), (p.covers, -1.0, -1.0)):
        for members in sets:
            w = np.zeros(m)
            inside = local[np.asarray(members)]
            w[inside[inside >= 0]] = sign
            rows.append((w, beta))
    return rows


def _program(p: SelectionProblem, keep: np.ndarray) -> tuple[Any, np.ndarray, Any, np.ndarray, np.ndarray, int]:
    """SCS's data for the relaxation over the kept items: (equations, rhs, inequalities, rhs, cost, N)."""
    m = keep.size
    N = m + 1
    items = np.arange(m) + 1          # Y's index of each kept item (0 is the constant)
    zero = np.zeros(m, dtype=np.int64)
    local = np.full(p.n, -1)
    local[keep] = items
    eq, le = _Rows(N), _Rows(N)
    eq.add(np.array([0]), np.array([0]), np.array([0]), np.ones(1), np.ones(1))
    eq.add(np.r_[np.arange(m), np.arange(m)], np.r_[items, items], np.r_[items, zero],
           np.r_[np.ones(m), -np.ones(m)], np.zeros(m))
    excluded = [np.asarray(p.conflicts).reshape(-1, 2)]
    for members in p.groups:
        g = np.asarray(members)
        gi, gj = np.triu_indices(g.size, 1)
        excluded.append(np.c_[g[gi], g[gj]])
    pairs = local[np.concatenate(excluded)]
    pairs = pairs[(pairs >= 0).all(axis=1)]
    eq.add(np.arange(len(pairs)), pairs[:, 0], pairs[:, 1], np.ones(len(pairs)), np.zeros(len(pairs)))
    forced = local[p.forced_in]
    eq.add(np.arange(forced.size), forced, np.zeros(forced.size, dtype=np.int64), np.ones(forced.size),
           np.ones(forced.size))
    iu, ju = np.triu_indices(m, 1)
    a, b, k = iu + 1, ju + 1, np.arange(iu.size)
    z, one = np.zeros(iu.size, dtype=np.int64), np.ones(iu.size)
    le.add(k, a, b, -one, np.zeros(iu.size))                                          # Y_ij >= 0
    le.add(np.r_[k, k], np.r_[a, a], np.r_[b, z], np.r_[one, -one], np.zeros(iu.size))  # Y_ij <= x_i
    le.add(np.r_[k, k], np.r_[a, b], np.r_[b, z], np.r_[one, -one], np.zeros(iu.size))  # Y_ij <= x_j
    le.add(np.r_[k, k, k], np.r_[a, b, a], np.r_[z, z, b], np.r_[one, one, -one], one)  # x_i + x_j - 1 <= Y_ij
    for w, beta in _linear_rows(p, keep):
        nz = np.flatnonzero(w)
        le.add(np.zeros(nz.size, dtype=np.int64), nz + 1, np.zeros(nz.size, dtype=np.int64), w[nz], np.array([beta]))
    columns = N * (N + 1) // 2
    cost = np.zeros(columns)          # SCS minimizes: the objective's negative
    k0, s0 = _entry(items, zero, N)
    np.add.at(cost, k0, -p.c[keep] * s0)
    inside = (local[p.pair_i] >= 0) & (local[p.pair_j] >= 0)
    kp, sp_ = _entry(local[p.pair_i[inside]], local[p.pair_j[inside]], N)
    np.add.at(cost, kp, -p.pair_q[inside] * sp_)
    A_eq, b_eq = eq.matrix(columns)
    A_le, b_le = le.matrix(columns)
    return A_eq, b_eq, A_le, b_le, cost, N


def _slack_matrix(w: np.ndarray, N: int) -> np.ndarray:
    """The symmetric matrix whose SCS vector is w (inner products are preserved: <W, Y> = w'vec(Y))."""
    W = np.zeros((N, N))
    rows, cols = np.tril_indices(N)
    k, scale = _entry(rows, cols, N)
    W[rows, cols] = w[k] * scale
    W[cols, rows] = w[k] * scale
    return W


def _others(W: np.ndarray, bound: float, lam: np.ndarray, vec: np.ndarray, x: np.ndarray, trace: float) -> float:
    """The bound on every portfolio but x (module docstring): bound - lambda_2 d^2, d the least distance
    from another 0/1 point to the first eigenvector's line."""
    z = np.r_[1.0, x]
    s = float(x.sum())
    if s < 1 or lam[1] <= 0:
        return bound
    unit = z / np.linalg.norm(z)
    sin = float(np.linalg.norm(unit - (vec @ unit) * vec))     # not sqrt(1 - cos^2): exact near 0
    d = math.sqrt(s / (1.0 + s)) - math.sqrt(trace) * sin
    return bound - float(lam[1]) * max(0.0, d) ** 2


def semidefinite_bound(problem: SelectionProblem, *, incumbent: np.ndarray | None = None,
                       time_limit: float | None = None, accuracy: float = ACCURACY,
                       abandon: float | None = None, search_items: int | None = None) -> SemidefiniteBound | None:
    """The relaxation's bound on `problem` (None when scs is not installed: `available()` says why).

    SCS runs in rounds of CHUNK iterations, each from where the last stopped, and the bound is taken
    after each. With `incumbent` (a feasible 0/1 vector), `others` bounds every other portfolio, and the
    rounds stop once either proves the incumbent optimal; where SCS converges close to the incumbent
    without proving it, it goes on at a tenth of the accuracy (at most REFINEMENTS times: SCS's accuracy is
    its residuals', not the bound's). With `abandon` too, they stop once SCS's own estimates put the
    relaxation more than `abandon` (relative) above the incumbent, and the bound agrees: it will not
    prove it, and a search that may has the time instead (with `search_items`, only once the fixings leave
    fewer free items than that: the search cannot take more). After each round the items' bounds fix what they
    can; once they fix REBUILD of the free items, SCS starts again on what is left (smaller and tighter)."""
    if not available()[0]:
        return None
    lifting = _Lifting(problem, incumbent, time_limit, accuracy, abandon, search_items)
    current: SelectionProblem | None = problem
    while current is not None:
        current = lifting.solve(current)
    return lifting.result()


class _Lifting:
    """One run of `semidefinite_bound`: what it found so far, over every problem it solved (the given one and
    the ones its own fixings left; a bound on one of those is a bound on the given problem once the incumbent's
    value is added: the portfolios the fixings exclude are worth at most that)."""

    def __init__(self, problem: SelectionProblem, incumbent: np.ndarray | None, time_limit: float | None,
                 accuracy: float, abandon: float | None, search_items: int | None) -> None:
        self.t0 = time.perf_counter()
        self.problem, self.time_limit, self.accuracy, self.abandon = problem, time_limit, accuracy, abandon
        self.search_items = search_items
        x = None if incumbent is None else np.asarray(incumbent, dtype=float)
        if x is not None and (problem.n < 2 or x[problem.forced_out].any()):
            x = None                                   # outside what the relaxation covers
        self.x = x
        self.target = -math.inf if x is None else problem.objective(x)
        self.floor = -math.inf        # a bound on the portfolios the lifting's own fixings exclude (<= target)
        self.bound = self.others = math.inf
        self.iterations, self.refinements, self.status = 0, 0, "not run"
        self.bound_in: np.ndarray | None = None
        self.bound_out: np.ndarray | None = None
        # SCS's rounds stop early enough to leave the item bounds after them their time
        self.reserve = 0.0 if time_limit is None or x is None else QP_SHARE * time_limit

    def left(self, limit: float | None) -> float | None:
        return None if limit is None else limit - (time.perf_counter() - self.t0)

    def proven(self) -> bool:
        scale = max(1.0, abs(self.target))
        return self.x is not None and (self.others <= self.target
                                       or self.bound <= self.target + PROOF_TOLERANCE * scale)

    def solve(self, problem: SelectionProblem) -> SelectionProblem | None:
        """SCS's rounds on `problem` (the given one with the lifting's fixings so far): the problem with more
        fixings when they call for a new start, else None."""
        import scipy.sparse as sp

        keep = np.setdiff1d(np.arange(problem.n), problem.forced_out)
        if any(not np.isin(cv, keep).any() for cv in problem.covers) or keep.size < problem.size_min:
            self.bound = self.others = max(-math.inf, self.floor)    # nothing feasible is left
            self.status = "infeasible fixings"
            return None
        program = _program(problem, keep)
        A_eq, b_eq, A_le, b_le, cost, N = program
        data = {"A": sp.vstack([A_eq, A_le, -sp.identity(cost.size, format="csc")], format="csc"),
                "b": np.r_[b_eq, b_le, np.zeros(cost.size)], "c": cost}
        cone = {"z": A_eq.shape[0], "l": A_le.shape[0], "s": [N]}
        x = self.x if N > 2 else None
        accuracy, solver, solution, solver_accuracy, round_seconds = self.accuracy, None, None, 0.0, 0.0
        setup_seconds = SETUP_PER_NONZERO * data["A"].nnz
        while self.iterations < MAX_ITERATIONS:
            left = self.left(None if self.time_limit is None else self.time_limit - self.reserve)
            if left is not None and left <= setup_seconds:
                break
            if solver is None or solver_accuracy != accuracy or (left is not None and round_seconds > left):
                # a new solver (its setup, which SCS's time limit does not count, took 0.7 s at 300 items) only
                # for a new accuracy or a last, shorter round
                started = time.perf_counter()
                solver = _solver(data, cone, accuracy, None if left is None else left - setup_seconds)
                solver_accuracy, setup_seconds = accuracy, time.perf_counter() - started
            started = time.perf_counter()
            solution = solver.solve() if solution is None else solver.solve(True, solution["x"], solution["y"],
                                                                              solution["s"])
            round_seconds = time.perf_counter() - started
            info = solution["info"]
            if info["status_val"] == _INTERRUPTED:
                raise KeyboardInterrupt
            self.iterations, self.status = self.iterations + int(info["iter"]), str(info["status"])
            certificate = _dual_bound(problem, keep, program, solution["y"], x)
            self.bound = min(self.bound, max(certificate.bound, self.floor))
            self.others = min(self.others, max(certificate.others, self.floor))
            if x is None:
                if self.status == "solved":
                    break
                continue
            if self.proven():
                break
            fixed = self.fix(problem, keep, certificate)
            if fixed is not None:
                return fixed
            scale = max(1.0, abs(self.target))
            if self.status == "solved":
                if self.bound > self.target + CLOSE * scale or self.refinements == REFINEMENTS:
                    break
                accuracy, self.refinements = accuracy / 10, self.refinements + 1
                continue
            estimate = min(-float(info["pobj"]), -float(info["dobj"]))
            searchable = self.search_items is None or problem.n_free < self.search_items
            if self.abandon is not None and searchable and estimate - self.target > self.abandon * scale \
                    and self.bound - estimate < 0.5 * (estimate - self.target):
                self.status = "abandoned: the relaxation lies above the incumbent"
                break
        return None

    def fix(self, problem: SelectionProblem, keep: np.ndarray, certificate: _Certificate) -> SelectionProblem | None:
        """The items' bounds from `certificate`, kept with the earlier ones; `problem` with the items they fix
        when those are at least REBUILD of its free items, else None."""
        assert self.x is not None
        started = time.perf_counter()
        bound_in, bound_out = _item_bounds(problem, keep, certificate, self.x, self.target,
                                           self.left(self.time_limit))
        self.reserve = 2.0 * (time.perf_counter() - started)
        bound_in, bound_out = np.maximum(bound_in, self.floor), np.maximum(bound_out, self.floor)
        if self.bound_in is None or self.bound_out is None:
            self.bound_in, self.bound_out = bound_in, bound_out
        else:
            self.bound_in, self.bound_out = np.minimum(self.bound_in, bound_in), np.minimum(self.bound_out, bound_out)
        fix_in, fix_out = fixings(self.bound_in, self.bound_out, self.target, False, problem.forced_in,
                                  problem.forced_out)
        if fix_in.size + fix_out.size == 0 or fix_in.size + fix_out.size < REBUILD * problem.n_free:
            return None
        # what the portfolios these fixings exclude are worth at most (the incumbent's value or less)
        self.floor = max(self.floor, float(np.max(np.r_[self.bound_in[fix_out], self.bound_out[fix_in]])))
        return problem.with_fixed(fix_in, fix_out)

    def result(self) -> SemidefiniteBound:
        return SemidefiniteBound(self.bound, min(self.others, self.bound), time.perf_counter() - self.t0,
                                 self.iterations, self.status, None if self.proven() else self.bound_in,
                                 None if self.proven() else self.bound_out)


def _solver(data: dict[str, Any], cone: dict[str, Any], accuracy: float, left: float | None) -> Any:
    """An SCS solver that runs CHUNK iterations per call, each call within `left` seconds."""
    import scs

    # alpha (SCS's relaxation, 1.5 by default): 1.8 took 20-30% fewer iterations on 5 of 6 hard scenarios
    settings: dict[str, Any] = {"eps_abs": accuracy, "eps_rel": accuracy, "verbose": False, "max_iters": CHUNK,
                                "alpha": 1.8}
    if cone["s"][0] <= PLAIN_ITEMS:
        settings.update(acceleration_lookback=0, scale=1.0)
    if left is not None:
        settings["time_limit_secs"] = max(left, 1e-3)
    # SCS's setup installs its own SIGINT handler and drops what it caught (measured: a Ctrl-C there was lost and
    # the solve ran on); held back in this thread meanwhile, the signal reaches Python's handler once SCS has put
    # it back, unless the system hands it to another thread (a multithreaded BLAS's): then it is lost still, and
    # a second Ctrl-C stops the solve (the page's cancel sends one, optimizer/app/jobs.py)
    main = threading.current_thread() is threading.main_thread()
    if main:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        return scs.SCS(data, cone, **settings)
    finally:
        if main:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@dataclass(frozen=True)
class _Certificate:
    """What one dual y gives: the bound, the bound on every portfolio but the incumbent, and the shifted
    slack W' = W - min(0, lambda_min) I (positive semidefinite; f(z) <= bound - z'W'z for every feasible
    0/1 z)."""

    bound: float
    others: float
    slack: np.ndarray


def _dual_bound(problem: SelectionProblem, keep: np.ndarray, program: tuple[Any, ...], y: np.ndarray,
                x: np.ndarray | None) -> _Certificate:
    """The certificate of SCS's dual y (module docstring)."""
    A_eq, b_eq, A_le, b_le, cost, N = program
    y = np.nan_to_num(np.asarray(y, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)
    y_eq, y_le = y[:A_eq.shape[0]], np.maximum(y[A_eq.shape[0]:A_eq.shape[0] + A_le.shape[0]], 0.0)
    W = _slack_matrix(cost + A_eq.T @ y_eq + A_le.T @ y_le, N)
    lam, vectors = np.linalg.eigh(W)
    # below the smallest eigenvalue by more than eigh's rounding (|W| times machine precision), so that W' is
    # positive semidefinite in fact, not only up to rounding
    shift = min(0.0, float(lam[0])) - 1e-12 * N * max(1.0, float(np.abs(lam).max()))
    trace = 1.0 + min(problem.size_max, keep.size)
    bound = float(b_eq @ y_eq + b_le @ y_le) - trace * shift
    bound += 1e-9 * max(1.0, abs(bound))        # the rounding of the sums above
    others = bound if x is None else _others(W, bound, lam, vectors[:, 0], x[keep], trace)
    W[np.diag_indices(N)] -= shift
    return _Certificate(bound, others, W)


def _item_bounds(problem: SelectionProblem, keep: np.ndarray, certificate: _Certificate, x: np.ndarray,
                 target: float, time_limit: float | None) -> tuple[np.ndarray, np.ndarray]:
    """(bound_in, bound_out) per item of `problem` (module docstring): for each kept item k, the least of
    z'W'z over the box with z_k = 1 - x_k, bounded from below at the projected gradient's iterates."""
    t0 = time.perf_counter()
    W, m = certificate.slack, keep.size
    lower = np.zeros(m + 1)
    lower[0] = 1.0
    lower[np.searchsorted(keep, problem.forced_in) + 1] = 1.0
    lower, upper = np.repeat(lower[:, None], m, axis=1), np.ones((m + 1, m))
    items = np.arange(m)
    flipped = 1.0 - x[keep]
    lower[items + 1, items] = upper[items + 1, items] = flipped        # column k: the box of item k flipped
    z = np.clip(np.r_[1.0, x[keep]][:, None], lower, upper)
    step = 1.0 / (2.0 * max(float(np.linalg.eigvalsh(W)[-1]), 1e-12))
    least = np.zeros(m)                       # W' is positive semidefinite: z'W'z >= 0
    moving, t, fixed, stalled = z, 1.0, -1, 0
    for k in range(1, QP_STEPS + 1):
        grad = 2.0 * (W @ moving)
        new = np.clip(moving - step * grad, lower, upper)
        t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
        moving, z, t = new + ((t - 1.0) / t_next) * (new - z), new, t_next
        if k % QP_CHECK and k < QP_STEPS:
            continue
        Wz = W @ z
        grad = 2.0 * Wz
        # convexity: the least of q over the box is at least q(z) + the least of grad'(w - z) there
        below = np.einsum("ij,ij->j", z, Wz) + np.minimum(grad * (lower - z), grad * (upper - z)).sum(axis=0)
        least = np.maximum(least, below)
        count = int(np.count_nonzero(certificate.bound - least <= target))
        stalled = stalled + 1 if count == fixed else 0
        fixed = count
        if stalled >= QP_STALL or (time_limit is not None and time.perf_counter() - t0 > time_limit):
            break
    flip_bound = certificate.bound - least * (1.0 - 1e-9) - 1e-9 * max(1.0, abs(certificate.bound))
    bound_in, bound_out = np.full(problem.n, -math.inf), np.full(problem.n, certificate.bound)
    bound_in[keep] = np.where(flipped == 1.0, flip_bound, certificate.bound)
    bound_out[keep] = np.where(flipped == 0.0, flip_bound, certificate.bound)
    bound_out[problem.forced_in] = -math.inf
    return bound_in, bound_out
