"""Exact enumeration of every portfolio, vectorized in blocks: the test oracle.

Fixed items are set first, so the 2^k enumeration runs over the k free items
only (k <= MAX_FREE_ITEMS). Ties go to the first portfolio in enumeration order,
so the answer is deterministic.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from optimizer.core.result import Termination
from optimizer.core.version import OWN_SOLVER_VERSION
from optimizer.solvers.base import Adapter as SolverBase
from optimizer.solvers.base import Capabilities, RawAnswer, SolveOptions

if TYPE_CHECKING:
    from formulations.model import MipModel
    from optimizer.core.problem import SelectionProblem

MAX_FREE_ITEMS = 20
BLOCK = 1 << 15


def feasible_mask(problem: SelectionProblem, X: np.ndarray) -> np.ndarray:
    """Which rows of the 0/1 matrix X (one portfolio per row) satisfy every constraint."""
    ok = np.all(X @ problem.A.T <= problem.b + 1e-9, axis=1)
    size = X.sum(axis=1)
    ok &= (size >= problem.size_min) & (size <= problem.size_max)
    if problem.conflicts.size:
        ok &= ~np.any((X[:, problem.conflicts[:, 0]] + X[:, problem.conflicts[:, 1]]) > 1, axis=1)
    for g in problem.groups:
        ok &= X[:, g].sum(axis=1) <= 1
    for cov in problem.covers:
        ok &= X[:, cov].sum(axis=1) >= 1
    return ok


class Adapter(SolverBase):
    """Enumerates all 2^k assignments of the k free items."""

    name = "bruteforce"
    capabilities = Capabilities(model=False)

    def accepts(self, problem: SelectionProblem) -> str | None:
        """At most MAX_FREE_ITEMS items neither forced in nor out."""
        k = problem.n - np.union1d(problem.forced_in, problem.forced_out).size
        if k > MAX_FREE_ITEMS:
            return (f"bruteforce enumerates 2^k portfolios and takes at most {MAX_FREE_ITEMS} free items; this "
                    f"problem has {k}. Use solver 'highs' instead")
        return None

    def availability(self) -> tuple[bool, str]:
        """Always available (numpy only); limited to small problems."""
        return True, f"exact enumeration, at most {MAX_FREE_ITEMS} free items"

    def solve(self, problem: SelectionProblem, model: MipModel | None, options: SolveOptions) -> RawAnswer:
        """Enumerate in blocks, keep the best feasible portfolio."""
        free = np.setdiff1d(np.arange(problem.n), np.union1d(problem.forced_in, problem.forced_out))
        k = free.size
        t0 = time.perf_counter()
        base = np.zeros(problem.n, dtype=np.float64)
        base[problem.forced_in] = 1.0
        bits = np.arange(k, dtype=np.int64)
        best_value, best_x, total = -np.inf, None, 1 << k
        deadline = None if options.time_limit is None else t0 + options.time_limit
        for start in range(0, total, BLOCK):
            if deadline is not None and time.perf_counter() > deadline:
                return RawAnswer(Termination.TIME_LIMIT, x=best_x, objective=None if best_x is None else best_value,
                                 solve_seconds=time.perf_counter() - t0, version=OWN_SOLVER_VERSION,
                                 message=f"enumerated {start} of {total} portfolios")
            codes = np.arange(start, min(start + BLOCK, total), dtype=np.int64)
            X = np.repeat(base[None, :], codes.size, axis=0)
            X[:, free] = (codes[:, None] >> bits) & 1
            ok = feasible_mask(problem, X)
            if not ok.any():
                continue
            values = problem.objectives(X[ok])
            top = int(np.argmax(values))
            if values[top] > best_value:
                best_value, best_x = float(values[top]), X[ok][top].copy()
        seconds = time.perf_counter() - t0
        if best_x is None:
            return RawAnswer(Termination.INFEASIBLE, solve_seconds=seconds, version=OWN_SOLVER_VERSION,
                             log=f"enumerated {total} portfolios, none feasible")
        return RawAnswer(Termination.OPTIMAL, x=best_x, objective=best_value, bound=best_value,
                         solve_seconds=seconds, version=OWN_SOLVER_VERSION, nodes=0,
                         log=f"enumerated {total} portfolios over {k} free items")
