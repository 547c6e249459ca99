"""Resource guard: estimate a formulation's memory before building it, and refuse clearly
instead of being killed by the operating system.

The estimate takes the model's columns, rows and nonzeros as each formulation
declares them (formulations/<name>.py `size`: no model is built) and multiplies by bytes per entity measured here
(benchmarks/timing/memory_estimates.py, benchmarks/README.md): HiGHS's memory grows
with the columns (copies, presolve, LP and MIP data), the arrays with the
nonzeros, and Pyomo builds a Python object per term. The limit is `memory_limit` (MB) of
`optimizer.engine.solve`, else the ALLIANCE_MEMORY_LIMIT_MB environment variable, else
75% of this machine's physical memory.
"""

from __future__ import annotations

import os

import formulations
from formulations.common import ModelSize
from optimizer.algorithms import branch_and_bound
from optimizer.core.problem import SelectionProblem
from optimizer.solvers import solver_capabilities

#: Bytes per column once the model is in HiGHS (measured: its copies, presolve, LP and MIP data
#: per column dominate; 2.4 KB per column at n = 300..2000, benchmarks/timing/memory_estimates.py).
BYTES_PER_COLUMN = 2500.0
#: Bytes per nonzero of the array model and the solver's matrix copies.
ARRAY_BYTES_PER_NONZERO = 60.0
#: The interpreter with numpy, HiGHS and Pyomo loaded.
BASE_MB = 250.0


def model_size(problem: SelectionProblem, formulation: str) -> ModelSize:
    """Size of `formulation` for `problem`, as the formulation declares it (no model is built)."""
    return formulations.size(formulation, problem)


def estimate_mb(problem: SelectionProblem, formulation: str, solver: str) -> float:
    """Peak memory (MB) of building `formulation` and solving it with `solver`, estimated."""
    size = model_size(problem, formulation)
    per_nz = ARRAY_BYTES_PER_NONZERO + solver_capabilities(solver).bytes_per_nonzero
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


def refusal(need_mb: float, what: str, limit_mb: float | None, advice: str) -> str | None:
    """A message when `need_mb` exceeds the limit (`limit_mb`, else the default), None when it fits."""
    limit = default_limit_mb() if limit_mb is None else float(limit_mb)
    if need_mb <= limit:
        return None
    return f"{what} need about {need_mb:,.0f} MB, above the memory limit of {limit:,.0f} MB; {advice}"


def search_too_large(problem: SelectionProblem, limit_mb: float | None) -> str | None:
    """A message when the branch and bound's dense arrays (`branch_and_bound.memory_mb`) exceed the limit."""
    free = problem.n_free
    return refusal(BASE_MB + branch_and_bound.memory_mb(problem), f"the branch and bound's arrays for {free:,} "
                   f"free items", limit_mb, "use solver='heuristic' (no dense arrays) or raise memory_limit")


#: seconds per nonzero to build an array model and load it into HiGHS (measured: about 1.5 s
#: for the 2M nonzeros of the standard model at n = 1000, full density, plus HiGHS's copy)
BUILD_SECONDS_PER_NONZERO = 1.5e-6


def build_seconds(problem: SelectionProblem, formulation: str) -> float:
    """Seconds to build `formulation` and load it into HiGHS, estimated from its size."""
    return model_size(problem, formulation).nonzeros * BUILD_SECONDS_PER_NONZERO
