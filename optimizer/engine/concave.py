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
import sys
import time
from dataclasses import dataclass

import numpy as np

from formulations import standard
from optimizer.core.problem import SelectionProblem

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


def concave_bound(problem: SelectionProblem, time_limit: float | None = None,
                  max_iterations: int = MAX_ITERATIONS) -> ConcaveBound | None:
    """The concave relaxation's bound for a problem with `concave` set (None without it, or when not even
    the first LP is solved in time)."""
    import highspy

    if problem.concave is None:
        return None
    t0 = time.perf_counter()
    S = problem.concave.matrix()
    model = standard.build(residual_problem(problem, S))
    n, cols = problem.n, model.num_col
    h = _quiet_highs()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = cols + 1, model.num_row
    # maximize the linear part + theta (HiGHS minimizes); theta = g <= 0 at any x in [0, 1]^n since S is PSD
    lp.col_cost_ = np.r_[-model.col_cost, -1.0]
    lp.col_lower_ = np.r_[model.col_lower, -highspy.kHighsInf]
    lp.col_upper_ = np.r_[model.col_upper, 0.0]
    lp.row_lower_, lp.row_upper_ = model.row_lower, model.row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = model.row_start, model.row_index, model.row_value
    lp.offset_ = -model.offset
    h.passModel(lp)
    if time_limit is not None:     # HiGHS's clock adds up its runs: one limit for the whole loop
        h.setOptionValue("time_limit", max(0.01, time_limit - (time.perf_counter() - t0)))
    theta_index = np.r_[np.arange(n), cols].astype(np.int32)
    best, x = math.inf, np.full(n, 0.5)       # the first tangent at the centre of the cube
    converged, k = False, 0
    for k in range(1, max_iterations + 1):
        Sx = S @ x
        # theta <= g(a) - (S a)'(x - a) = (1/2) a'Sa - (S a)'x
        h.addRow(-highspy.kHighsInf, 0.5 * float(x @ Sx), n + 1, theta_index, np.r_[Sx, 1.0])
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break                                   # out of time: the bounds found so far stand
        value = -h.getInfo().objective_function_value
        best = min(best, value + 1e-9 * max(1.0, abs(value)))   # the LP's tolerances, on the safe side
        sol = np.asarray(h.getSolution().col_value)
        x, theta = np.clip(sol[:n], 0.0, 1.0), sol[cols]
        if theta - (-0.5 * float(x @ S @ x)) <= TOLERANCE * max(1.0, abs(value)):
            converged = True
            break
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            break
    if not math.isfinite(best):
        return None
    return ConcaveBound(best, k, time.perf_counter() - t0, converged, x)
