"""Resource guard: estimate a formulation's memory before building it, and refuse clearly
instead of being killed by the operating system.

The estimate counts the model's columns, rows and nonzeros from n and the pair
list (no model is built) and multiplies by bytes per entity measured here
(benchmarks/memory_estimates.py, benchmarks/README.md): HiGHS's memory grows
with the columns (copies, presolve, LP and MIP data), the arrays with the
nonzeros, and Pyomo builds a Python object per term. The limit is `memory_limit` (MB) of
`optimizer.engine.solve`, else the ALLIANCE_MEMORY_LIMIT_MB environment variable, else
75% of this machine's physical memory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from optimizer.core.problem import SelectionProblem

#: Bytes per column once the model is in HiGHS (measured: its copies, presolve, LP and MIP data
#: per column dominate; 2.4 KB per column at n = 300..2000, benchmarks/memory_estimates.py).
BYTES_PER_COLUMN = 2500.0
#: Bytes per nonzero of the array model and the solver's matrix copies.
ARRAY_BYTES_PER_NONZERO = 60.0
#: Bytes per nonzero of a Pyomo model (a Python object per term, then the solver's own copy).
PYOMO_BYTES_PER_NONZERO = 2200.0
#: The interpreter with numpy, HiGHS and Pyomo loaded.
BASE_MB = 250.0


@dataclass(frozen=True)
class ModelSize:
    """Columns, rows and nonzeros a formulation would have."""

    columns: int
    rows: int
    nonzeros: int


def model_size(problem: SelectionProblem, formulation: str) -> ModelSize:
    """Size of `formulation` for `problem`, counted without building it (upper estimates)."""
    n = problem.n
    q = problem.pair_q[problem.pair_q != 0]
    pos, neg = int(np.count_nonzero(q > 0)), int(q.size - np.count_nonzero(q > 0))
    m = problem.A.shape[0]
    structural_rows = m + 2 + (0 if problem.conflicts is None else len(problem.conflicts)) \
        + len(problem.groups) + len(problem.covers)
    structural_nz = m * n + 2 * n + 2 * (0 if problem.conflicts is None else len(problem.conflicts)) \
        + sum(len(g) for g in problem.groups) + sum(len(c) for c in problem.covers)
    if formulation in ("standard", "rlt"):
        cols, rows, nz = n + q.size, structural_rows + 2 * pos + neg, structural_nz + 4 * pos + 3 * neg
        if formulation == "rlt":
            knapsacks = m + 1  # every nonnegative row and the size limit may be multiplied by each x_i
            rows += knapsacks * n
            nz += knapsacks * (2 * pos + n)
        return ModelSize(cols, rows, nz)
    if formulation == "glover":
        return ModelSize(2 * n, structural_rows + 2 * n, structural_nz + 4 * n + q.size)
    if formulation == "miqp":
        return ModelSize(n, structural_rows, structural_nz + q.size)
    raise KeyError(f"unknown formulation {formulation!r}")


def estimate_mb(problem: SelectionProblem, formulation: str, solver: str) -> float:
    """Peak memory (MB) of building `formulation` and solving it with `solver`, estimated."""
    size = model_size(problem, formulation)
    per_nz = ARRAY_BYTES_PER_NONZERO + (PYOMO_BYTES_PER_NONZERO if solver.startswith("pyomo") else 0.0)
    return BASE_MB + (size.columns * BYTES_PER_COLUMN + size.nonzeros * per_nz) / 2**20


def default_limit_mb() -> float:
    """ALLIANCE_MEMORY_LIMIT_MB, else 75% of the physical memory."""
    env = os.environ.get("ALLIANCE_MEMORY_LIMIT_MB")
    if env:
        try:
            value = float(env)
        except ValueError:
            raise ValueError(f"ALLIANCE_MEMORY_LIMIT_MB={env!r} is not a number of MB") from None
        if value > 0:
            return value
    try:
        return 0.75 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    except (ValueError, OSError, AttributeError):  # no sysconf: no guard rather than a wrong one
        return float("inf")


def too_large(problem: SelectionProblem, formulation: str, solver: str, limit_mb: float | None) -> str | None:
    """A message when the estimate exceeds the limit (None when it fits)."""
    limit = default_limit_mb() if limit_mb is None else float(limit_mb)
    need = estimate_mb(problem, formulation, solver)
    if need <= limit:
        return None
    size = model_size(problem, formulation)
    return (f"the {formulation} model of this problem ({problem.n} items, {problem.n_pairs} pairs: "
            f"{size.columns:,} columns, {size.nonzeros:,} nonzeros) needs about {need:,.0f} MB with {solver}, "
            f"above the memory limit of {limit:,.0f} MB; use solver='heuristic' (no model), "
            f"formulation='glover' (one column per item), or raise memory_limit")


#: seconds per nonzero to build an array model and load it into HiGHS (measured: about 1.5 s
#: for the 2M nonzeros of the standard model at n = 1000, full density, plus HiGHS's copy)
BUILD_SECONDS_PER_NONZERO = 1.5e-6


def build_seconds(problem: SelectionProblem, formulation: str) -> float:
    """Seconds to build `formulation` and load it into HiGHS, estimated from its size."""
    return model_size(problem, formulation).nonzeros * BUILD_SECONDS_PER_NONZERO
