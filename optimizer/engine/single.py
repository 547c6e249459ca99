"""One registered solver on one problem: build its model, run it, verify what it says.

Used by `solve` for a named solver and by the `auto` pipeline for its MIP stage. Nothing
the adapter claims is taken on trust: x is checked against every constraint, the objective
is recomputed from the canonical arrays, a linearization's claim must match its own
columns, and a bound below the verified portfolio is an error.
"""

from __future__ import annotations

import math
import time
import traceback
from typing import Any

import numpy as np

import formulations
from optimizer.core.errors import ResourceError, SolverUnavailableError, VerificationError
from optimizer.core.problem import SelectionProblem
from optimizer.core.result import Result, Termination
from optimizer.core.verify import objective_tolerance, verify_solution
from optimizer.engine import resources
from optimizer.engine.request import Request
from optimizer.solvers import SolveOptions, SolverAdapter
from optimizer.solvers.base import RawAnswer, model_too_large


def solve_with(adapter: SolverAdapter, problem: SelectionProblem, formulation: str, request: Request,
               start: np.ndarray | None) -> Result:
    """Solve `problem` with `adapter` (its model built in `formulation`, "none" for adapters that
    work on the problem itself), started from the feasible 0/1 vector `start` if given."""
    refusal = adapter.accepts(problem)      # the solver's own declaration, before anything is built
    if refusal is not None:
        return Result(Termination.ERROR, solver=adapter.name, formulation=formulation, message=refusal)
    if adapter.formulations:
        refused = resources.too_large(problem, formulation, adapter.name, request.memory_limit)
    else:                                   # a solver working on the problem itself may declare its memory
        need = adapter.memory_mb(problem)
        refused = None if need is None else resources.refusal(
            resources.BASE_MB + need, f"solver {adapter.name!r}'s arrays for this problem", request.memory_limit,
            "use solver='heuristic' or raise memory_limit")
    if refused:
        raise ResourceError(refused)
    t0 = time.perf_counter()
    model = formulations.build(formulation, problem) if adapter.formulations else None
    build_seconds = time.perf_counter() - t0
    too_large = model_too_large(adapter, model) if model is not None else None
    if too_large:
        raise SolverUnavailableError(too_large)
    integral = problem.has_integral_objective
    # the limit covers building too: the solver gets what is left of it
    left = None if request.time_limit is None else max(0.05, request.time_limit - build_seconds)
    options = SolveOptions(time_limit=left, mip_gap=0.0 if request.mip_gap is None else request.mip_gap,
                           abs_gap=(1.0 - 1e-6) if integral and request.mip_gap is None else None,
                           threads=request.threads, seed=request.seed, verbose=request.verbose,
                           warm_start=None if start is None else start if model is None else model.start_vector(start))
    base: dict[str, Any] = dict(solver=adapter.name, formulation=formulation, build_seconds=build_seconds)
    try:
        raw = adapter.solve(problem, model, options)
    except KeyboardInterrupt:
        return Result(Termination.INTERRUPTED, solve_seconds=time.perf_counter() - t0 - build_seconds,
                      message="interrupted by the user before the solver returned a solution", **base)
    except Exception as exc:
        return Result(Termination.ERROR, solve_seconds=time.perf_counter() - t0 - build_seconds,
                      message=f"{adapter.name} failed: {type(exc).__name__}: {exc}", log=traceback.format_exc(),
                      **base)
    return _verified(adapter.name, problem, model, formulation, raw, integral, request.mip_gap, build_seconds)


def _verified(name: str, problem: SelectionProblem, model, formulation: str, raw: RawAnswer, integral: bool,
              mip_gap: float | None, build_seconds: float) -> Result:
    """The Result of a raw answer that passed the independent checks (VerificationError otherwise)."""
    termination, message = raw.termination, raw.message
    x = objective = bound = None
    if raw.x is not None:
        claimed = raw.objective
        auxiliary = model is not None and model.num_col > model.n_items
        if auxiliary and raw.columns is not None and claimed is not None:
            # the solver's claim must match its own columns; x itself may be worth more than that
            # claim, since product columns need not be tight away from the optimum
            own = model.objective(raw.columns)
            if abs(own - claimed) > objective_tolerance(own):
                raise VerificationError(f"{name} reported objective {claimed!r} but its own column values "
                                        f"give {own!r} in the {formulation} model")
        x, objective = verify_solution(problem, raw.x, claimed, source=name, exact=not auxiliary)
    elif termination is Termination.OPTIMAL:
        termination, message = Termination.ERROR, f"{name} claimed optimality but returned no solution"
    if raw.bound is not None and termination is not Termination.INFEASIBLE:
        bound = raw.bound
        if integral:  # every portfolio has an integer value, so the bound can be rounded down
            bound = math.floor(bound + 1e-6)
        if objective is not None and bound < objective - objective_tolerance(objective):
            raise VerificationError(f"{name} reported bound {raw.bound!r} below the value {objective!r} of its "
                                    f"own verified solution")
        bound = max(bound, objective) if objective is not None else bound
    if termination is Termination.OPTIMAL and objective is not None and mip_gap is None and bound is None:
        bound = objective
    if termination is Termination.INFEASIBLE and not message:
        message = "the solver proved that no portfolio satisfies all constraints"
    selected = () if x is None else tuple(problem.names[i] for i in np.flatnonzero(x))
    return Result(termination, x=x, objective=objective, bound=bound, selected=selected, solver=name,
                  solver_version=raw.version, formulation=formulation,
                  build_seconds=build_seconds + raw.load_seconds, solve_seconds=raw.solve_seconds,
                  nodes=raw.nodes, message=message, log=raw.log)
