"""The concave relaxation's bound, by outer approximation: for problems whose pair terms hide a positive
semidefinite part S (`SelectionProblem.concave`: knowledge overlap and complexity in alliance scenarios).

With r_ij = q_ij + S_ij (the residual: synergy, ties, conflicts; zero for most pairs) and x_i^2 = x_i,

    f(x) = c'x + (1/2) diag(S)'x + sum_{i<j} r_ij x_i x_j + g(x),    g(x) = -(1/2) x'Sx  (concave).

The relaxation keeps g and linearizes the residual (formulations/standard.py: y <= x_i, x_j where
r > 0, y >= x_i + x_j - 1 where r < 0) over every constraint with 0 <= x <= 1. It is solved by
Kelley's cutting planes: g lies below each of its tangents, g(x) <= g(a) - (S a)'(x - a), so the
LP with a column theta <= the tangents at a_1..a_k is a relaxation, and its optimum is a bound
after EVERY iteration (a time limit still leaves a valid one). The next tangent is taken at the LP's
point; when theta there equals g, the LP optimum is the relaxation's optimum. On generated alliance
scenarios this bound is 0.8-5% above the optimum where the linear models' LP bounds are 30-130%
above (benchmarks/README.md, issue 15), in 10-30 LP solves.

HiGHS solves the LPs in this process (highspy; the tangent rows are added to the same model, so
each LP starts from the last basis). The bound lives here, beside the pipeline stage that uses it,
because it needs a model (formulations) and an LP solver, which optimizer/algorithms may not import.
"""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from formulations import standard
from optimizer.algorithms.bounds import PROOF_TOLERANCE
from optimizer.core.problem import SelectionProblem
from optimizer.core.result import Termination
from optimizer.core.verify import is_feasible

MAX_ITERATIONS = 200
#: relative gap between theta and g at the LP's point below which the LP optimum is the relaxation's
TOLERANCE = 1e-6


@dataclass(frozen=True)
class ConcaveBound:
    """The bound, and how it was found."""

    bound: float          # valid: never below the best portfolio's value
    iterations: int       # LP solves
    seconds: float
    converged: bool       # the relaxation was solved (else the time limit stopped the tangents)
    relaxation_x: np.ndarray   # the last LP point over the items (fractional)
    points: tuple[np.ndarray, ...] = ()   # where the tangents were taken (`concave_search` starts from them)


def residual_problem(problem: SelectionProblem, S: np.ndarray) -> SelectionProblem:
    """The problem with c + diag(S)/2 and the residual pair terms r = q + S (pairs where S > 0 but q has no
    entry included): its objective plus g(x) = -x'Sx/2 is the original objective at every 0/1 x."""
    n = problem.n
    iu, ju = np.triu_indices(n, 1)
    inside = S[iu, ju] != 0
    listed = np.zeros((n, n), bool)
    listed[problem.pair_i, problem.pair_j] = True
    extra = inside & ~listed[iu, ju]
    pi = np.concatenate([problem.pair_i, iu[extra]])
    pj = np.concatenate([problem.pair_j, ju[extra]])
    r = np.concatenate([problem.pair_q, np.zeros(int(extra.sum()))]) + S[pi, pj]
    keep = np.abs(r) > 1e-12 * max(1.0, float(np.abs(S).max()))
    order = np.lexsort((pj[keep], pi[keep]))
    return problem.replace(c=problem.c + 0.5 * np.diag(S), pair_i=pi[keep][order], pair_j=pj[keep][order],
                           pair_q=r[keep][order], concave=None)


def _quiet_highs():  # noqa: ANN202 - highspy.Highs, imported lazily
    """A highspy.Highs whose start-up banner does not reach our stdout (the command line's --json output is one
    JSON object and nothing else): HiGHS prints it from C++ when it is constructed."""
    import highspy

    sys.stdout.flush()
    saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    return h


class _Relaxation:
    """The residual's standard model plus a column theta <= every tangent of g added so far, in one HiGHS."""

    def __init__(self, problem: SelectionProblem) -> None:
        import highspy

        assert problem.concave is not None
        self.S = S = problem.concave.matrix()
        self.model = model = standard.build(residual_problem(problem, S))
        self.n, self.cols = problem.n, model.num_col
        self.h = h = _quiet_highs()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.cols + 1, model.num_row
        # maximize the linear part + theta (HiGHS minimizes); theta = g <= 0 at any x in [0, 1]^n (S is PSD)
        lp.col_cost_ = np.r_[-model.col_cost, -1.0]
        lp.col_lower_ = np.r_[model.col_lower, -highspy.kHighsInf]
        lp.col_upper_ = np.r_[model.col_upper, 0.0]
        lp.row_lower_, lp.row_upper_ = model.row_lower, model.row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_, lp.a_matrix_.index_ = model.row_start, model.row_index
        lp.a_matrix_.value_ = model.row_value
        lp.offset_ = -model.offset
        h.passModel(lp)
        self.index = np.r_[np.arange(self.n), self.cols].astype(np.int32)
        self.t0 = time.perf_counter()
        self.points: list[np.ndarray] = []
        self.stop = False
        self.deadline = math.inf      # of the current run
        self.integer = False          # whether the items are integer (the model is a MIP)
        # Ctrl-C while HiGHS runs in this process: our SIGINT handler (see `run`) sets `stop`, and HiGHS asks
        # this callback, from Python, whether to stop its MIP or LP (measured: within about a second); the
        # callback also holds the run's deadline, which HiGHS's own limit does not always (see `run`)
        h.setCallback(self._poll, None)
        for kind in ("kCallbackMipInterrupt", "kCallbackSimplexInterrupt", "kCallbackIpmInterrupt"):
            h.startCallback(getattr(highspy.cb.HighsCallbackType, kind))

    def _poll(self, kind: object, message: str, data_out: object, data_in: Any, user: object) -> None:
        if self.stop or time.perf_counter() > self.deadline:
            data_in.user_interrupt = True

    def tangent(self, a: np.ndarray) -> None:
        """theta <= g(a) - (S a)'(x - a) = (1/2) a'Sa - (S a)'x."""
        import highspy

        Sa = self.S @ a
        self.points.append(a)
        self.h.addRow(-highspy.kHighsInf, 0.5 * float(a @ Sa), self.n + 1, self.index, np.r_[Sa, 1.0])

    def drop_slack_tangents(self) -> None:
        """Remove the tangent rows slack at the last LP's optimum: Kelley's early tangents, taken far from it,
        only make each MIP's LPs larger (benchmarks/README.md: proofs faster, the same scenarios proven). Removing
        rows of a relaxation keeps it a relaxation, whatever the last run did."""
        base = self.model.num_row
        rows = np.asarray(self.h.getSolution().row_value)[base:]
        upper = np.asarray(self.h.getLp().row_upper_)[base:base + rows.size]
        slack = np.flatnonzero(upper - rows > 1e-7 * np.maximum(1.0, np.abs(upper)))
        if slack.size:
            self.h.deleteRows(slack.size, (slack + base).astype(np.int32))

    def g(self, x: np.ndarray) -> float:
        return -0.5 * float(x @ self.S @ x)

    def start(self, x: np.ndarray) -> None:
        """Give the next MIP the portfolio x (every column: the products and theta = g(x) follow from it)."""
        import highspy

        solution = highspy.HighsSolution()
        solution.col_value = list(np.r_[self.model.start_vector(x), self.g(x)])
        solution.value_valid = True
        self.h.setSolution(solution)

    def run(self, time_limit: float | None) -> bool:
        """Solve the model as it is now; False when HiGHS stopped without an optimum (out of time, or Ctrl-C:
        then `stop` is set)."""
        import highspy

        self.deadline = math.inf
        if time_limit is not None:
            left = time_limit - (time.perf_counter() - self.t0)
            if left <= 0:
                return False
            self.deadline = time.perf_counter() + left
            # measured with HiGHS 1.16: an LP's limit counts from the Highs object's first run, a MIP's from
            # its own start; and a MIP's root (presolve, cuts over the dense tangent rows) can overrun its limit
            # (4.0 s for 2 s at 246 items), so the callback checks the deadline too
            self.h.setOptionValue("time_limit", float(left if self.integer else self.h.getRunTime() + left))

        def interrupted(signum: int, frame: object) -> None:
            self.stop = True

        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, interrupted) if main else None
        try:
            self.h.run()
        finally:
            if main:
                signal.signal(signal.SIGINT, previous)
        return not self.stop and bool(self.h.getModelStatus() == highspy.HighsModelStatus.kOptimal)

    def kelley(self, time_limit: float | None, max_iterations: int) -> tuple[float, np.ndarray, int, bool]:
        """Tangents at the LP points until theta = g there: (bound, last point, LP solves, converged); a bound
        of -inf when the relaxation has no point (nor has the problem)."""
        import highspy

        best, x = math.inf, np.full(self.n, 0.5)       # the first tangent at the centre of the cube
        converged, k = False, 0
        for k in range(1, max_iterations + 1):
            self.tangent(x)
            if not self.run(time_limit):
                if not self.stop and self.h.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
                    return -math.inf, x, k, True        # no x in [0, 1]^n meets the constraints
                break                                   # out of time: the bounds found so far stand
            value = -self.h.getInfo().objective_function_value
            best = min(best, value + 1e-9 * max(1.0, abs(value)))   # the LP's tolerances, on the safe side
            sol = np.asarray(self.h.getSolution().col_value)
            x, theta = np.clip(sol[:self.n], 0.0, 1.0), sol[self.cols]
            if theta - self.g(x) <= TOLERANCE * max(1.0, abs(value)):
                converged = True
                break
        return best, x, k, converged


def concave_bound(problem: SelectionProblem, time_limit: float | None = None,
                  max_iterations: int = MAX_ITERATIONS) -> ConcaveBound | None:
    """The concave relaxation's bound for a problem with `concave` set (None without it, or when not even
    the first LP is solved in time)."""
    if problem.concave is None:
        return None
    relaxation = _Relaxation(problem)
    best, x, k, converged = relaxation.kelley(time_limit, max_iterations)
    if relaxation.stop:
        raise KeyboardInterrupt     # the pipeline returns what it has, as interrupted
    if not math.isfinite(best):
        return None
    return ConcaveBound(best, k, time.perf_counter() - relaxation.t0, converged, x, tuple(relaxation.points))


@dataclass(frozen=True)
class ConcaveSearch:
    """What the outer approximation found and proved."""

    termination: Termination   # OPTIMAL (the bound meets the best portfolio), TIME_LIMIT, INTERRUPTED, INFEASIBLE
    x: np.ndarray | None       # the best portfolio (0/1 over the items), the start's when nothing beat it
    objective: float           # its value, from the problem's own objective
    bound: float               # valid at any stop
    root_bound: float          # the concave relaxation's (Kelley's tangents at LP points)
    mips: int                  # MIPs solved (each one more tangent than the last)
    seconds: float
    points: tuple[np.ndarray, ...] = ()   # where its tangents were taken (a later run resumes from them)


def concave_search(problem: SelectionProblem, time_limit: float | None = None,
                   start: np.ndarray | None = None, tangents: Sequence[np.ndarray] = ()) -> ConcaveSearch | None:
    """Solve a problem with `concave` set exactly by outer approximation (None without it).

    The concave relaxation's tangents (Kelley, as in `concave_bound`), then the same model with the items
    integer: a MIP whose optimum bounds the problem (g lies below every tangent). At its portfolio x,
    theta = g(x) means x is optimal; otherwise the tangent at x cuts that point off and the MIP is solved
    again, until its bound meets the best portfolio found. Every MIP's bound is valid, so a time limit
    returns the best portfolio and the last bound. `start` (a feasible 0/1 vector) gives the first
    portfolio and its tangent; `tangents` (points, e.g. `concave_bound(problem).points`) spare the
    relaxation the LPs that found them.
    """
    import highspy

    if problem.concave is None:
        return None
    relaxation = _Relaxation(problem)
    h, n = relaxation.h, relaxation.n
    for point in tangents:
        relaxation.tangent(np.asarray(point, float))
    root, _, _, _ = relaxation.kelley(time_limit, MAX_ITERATIONS)
    relaxation.drop_slack_tangents()
    if root == -math.inf and not relaxation.stop:
        return ConcaveSearch(Termination.INFEASIBLE, None, -math.inf, -math.inf, root, 0,
                             time.perf_counter() - relaxation.t0)
    bound = root
    best, best_x = -math.inf, None
    if start is not None and is_feasible(problem, np.asarray(start, float)):
        best_x = (np.asarray(start) > 0.5).astype(np.int8)
        best = problem.objective(best_x)
        relaxation.tangent(best_x.astype(float))
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.full(n, 1, dtype=np.uint8))
    relaxation.integer = True
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.0)
    mips = 0
    termination = Termination.TIME_LIMIT
    seen: set[bytes] = set()
    while math.isfinite(bound) and not relaxation.stop:
        if best_x is not None and bound <= best + PROOF_TOLERANCE * max(1.0, abs(best)):
            termination = Termination.OPTIMAL
            break
        # no cutoff at the best value (HiGHS's objective_bound): measured slower, its MIPs then stop at
        # portfolios that only beat the cutoff and each adds a weaker tangent (n = 120: 26 MIPs, 60 s, open;
        # without: 2 MIPs, 2.8 s); the best portfolio as the MIP's start instead
        if best_x is not None:
            relaxation.start(best_x.astype(float))
        solved = relaxation.run(time_limit)
        mips += 1
        status = h.getModelStatus()
        info = h.getInfo()
        if status == highspy.HighsModelStatus.kInfeasible:
            # nothing beats the best portfolio (or, without one, nothing is feasible)
            termination = Termination.OPTIMAL if best_x is not None else Termination.INFEASIBLE
            bound = best if best_x is not None else -math.inf
            break
        if info.primal_solution_status == 2:      # a portfolio: take its true value, cut it off if theta > g
            sol = np.asarray(h.getSolution().col_value)
            x = (sol[:n] > 0.5).astype(np.int8)
            value = problem.objective(x)
            if value > best and is_feasible(problem, x.astype(float)):
                best, best_x = value, x
            if solved and x.tobytes() in seen:
                # its tangent is in, so the MIP's optimum is its value up to HiGHS's tolerances: nothing better
                termination, bound = Termination.OPTIMAL, best
                break
            seen.add(x.tobytes())
            relaxation.tangent(x.astype(float))
        mip_bound = -info.mip_dual_bound
        if math.isfinite(mip_bound):
            bound = min(bound, mip_bound + 1e-9 * max(1.0, abs(mip_bound)))
        if not solved:
            break
    if relaxation.stop:
        termination = Termination.INTERRUPTED
    if best_x is not None:
        bound = max(bound, best)
    return ConcaveSearch(termination, best_x, best, bound, root, mips, time.perf_counter() - relaxation.t0,
                         tuple(relaxation.points))
