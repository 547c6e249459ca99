"""`solve`: one entry point from a canonical problem to a verified `Result`."""

from __future__ import annotations

import difflib
import math
import time
import traceback
from typing import Collection, Sequence

import numpy as np

import formulations
from optimizer.algorithms.bounds import trivial_bound
from optimizer.core.checks import check_seed, is_int, is_real, machine_cores
from optimizer.core.diagnose import infeasibility_reason
from optimizer.engine import resources
from optimizer.core.errors import FormulationError, ProblemError, ResourceError, SolverUnavailableError, VerificationError
from optimizer.engine.pipeline import solve_auto
from optimizer.core.problem import SelectionProblem
from optimizer.domain.report import PortfolioReport
from optimizer.core.result import Result, Termination
from optimizer.domain.scenario import Scenario
from optimizer.solvers import SolveOptions, get_solver
from optimizer.solvers.base import model_too_large
from optimizer.core.verify import objective_tolerance, to_binary, verify_solution, violations


def _check_options(time_limit, mip_gap, threads, seed) -> None:
    if time_limit is not None and not (is_real(time_limit) and time_limit > 0):
        raise ValueError(f"time_limit must be a positive number of seconds or None, got {time_limit!r}")
    if mip_gap is not None and not (is_real(mip_gap) and 0 <= mip_gap < 1):
        raise ValueError(f"mip_gap must be a relative gap in [0, 1) or None, got {mip_gap!r}")
    if threads is not None and not (is_int(threads) and threads >= 1):
        raise ValueError(f"threads must be a whole number >= 1 or None, got {threads!r}")
    check_seed(seed)


def _thread_count(threads: int | None) -> tuple[int | None, str]:
    """Threads capped at the cores there are (HiGHS would start every one it is given), and a note saying so."""
    cores = machine_cores()
    if threads is None or threads <= cores:
        return threads, ""
    return cores, f"threads={threads} capped at {cores}, the cores this machine gives this process"


def _start_vector(problem: SelectionProblem, warm_start: Sequence[float] | Collection[str] | np.ndarray) -> np.ndarray:
    """A warm start as one 0/1 value per item, from such a vector or from the names of the chosen items."""
    if isinstance(warm_start, str):
        warm_start = [warm_start]
    values = list(warm_start) if not isinstance(warm_start, np.ndarray) else None
    if values is not None and values and all(isinstance(v, str) for v in values):
        where = {name: i for i, name in enumerate(problem.names)}
        unknown = [v for v in values if v not in where]
        if unknown:
            close = difflib.get_close_matches(unknown[0], problem.names, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ProblemError(f"warm_start names {unknown[0]!r}, which is not an item of the problem{hint} "
                               f"(give item names such as {problem.names[0]!r}, or one 0/1 value per item)")
        x = np.zeros(problem.n)
        x[[where[v] for v in values]] = 1.0
        return x
    try:
        ws = np.asarray(warm_start, dtype=float)
    except (TypeError, ValueError):
        raise ProblemError(f"warm_start must be one 0/1 value per item ({problem.n} values) or the names of the "
                           f"chosen items, got {warm_start!r}") from None
    if ws.shape != (problem.n,):
        raise ProblemError(f"warm_start has shape {ws.shape}, expected ({problem.n},): one 0/1 value per item "
                           f"(or the names of the chosen items)")
    return ws


def solve(
    problem: SelectionProblem | Scenario,
    *,
    solver: str = "auto",
    formulation: str = "auto",
    time_limit: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
    seed: int = 0,
    warm_start: Sequence[float] | np.ndarray | None = None,
    verbose: bool = False,
    memory_limit: float | None = None,
) -> Result:
    """Solve `problem` and return a verified :class:`Result`.

    The answer is checked independently of the solver (constraints and
    objective recomputed from the canonical arrays); a mismatch raises
    :class:`~optimizer.core.errors.VerificationError`. Limits never raise: a time
    limit returns the incumbent and the bound. `mip_gap=None` asks for proven
    optimality. `warm_start` is a 0/1 vector over the items or the names of the chosen
    items; one that breaks a constraint is ignored, and `Result.stages` and the message
    say so. `threads` above the cores this process may use is capped at that count.

    `solver="auto"` (the default) runs the pipeline of :mod:`optimizer.engine.pipeline`:
    heuristic incumbent, Lagrangian bound and variable fixing, then branch and
    bound (classic QKPs) or HiGHS on what is left; `Result.stages` says what each
    stage did. Any registered solver name ("highs", "heuristic", "bnb",
    "pyomo:<name>", "bruteforce") runs that solver alone.

    `memory_limit` (MB; default: ALLIANCE_MEMORY_LIMIT_MB or 75% of the physical memory)
    guards the model: a formulation estimated above it raises
    :class:`~optimizer.core.errors.ResourceError` before anything is built (the `auto`
    pipeline skips its exact stage instead and returns the heuristic portfolio).

    A :class:`Scenario` is compiled first; its result names partners in
    `selected` and carries a :class:`~optimizer.domain.report.PortfolioReport` in
    `report`.
    """
    if isinstance(problem, Scenario):
        options = dict(solver=solver, formulation=formulation, time_limit=time_limit, mip_gap=mip_gap,
                       threads=threads, seed=seed, verbose=verbose, memory_limit=memory_limit)
        t0 = time.perf_counter()
        compiled = problem.compile()
        compile_seconds = time.perf_counter() - t0
        result = solve(compiled.problem, warm_start=warm_start, **options)
        result.build_seconds += compile_seconds
        result.stages.insert(0, {"stage": "compile", "seconds": compile_seconds})
        if result.x is not None:
            names = compiled.problem.names
            result.selected = tuple(names[i] for i in compiled.partner_items if result.x[i])
        result.report = PortfolioReport(compiled, result, options)
        return result
    if not isinstance(problem, SelectionProblem):
        raise TypeError(f"solve() takes a SelectionProblem or a Scenario, got {type(problem).__name__}")
    _check_options(time_limit, mip_gap, threads, seed)
    threads, threads_note = _thread_count(threads)
    if memory_limit is not None and not (is_real(memory_limit) and memory_limit > 0):
        raise ValueError(f"memory_limit must be a positive number of MB or None, got {memory_limit!r}")
    pipeline = solver == "auto"
    chosen_formulation = formulation != "auto"  # then the pipeline's exact stage must be that MIP
    adapter = get_solver("highs" if pipeline else solver)
    if problem.n == 0 and adapter.formulations:  # nothing to decide: enumeration answers at once
        adapter, formulation, pipeline = get_solver("bruteforce"), "auto", False
    if adapter.formulations:
        if formulation == "auto":
            formulation = formulations.choose(problem, adapter.formulations)
        elif formulation not in formulations.REGISTRY:
            raise FormulationError(f"unknown formulation {formulation!r}; known: auto, {', '.join(formulations.REGISTRY)}")
        elif formulation not in adapter.formulations:
            raise FormulationError(f"solver {solver!r} does not take formulation {formulation!r}; "
                                   f"it takes: {', '.join(adapter.formulations)}")
    else:
        if formulation not in ("auto", "none"):
            raise FormulationError(f"solver {solver!r} works on the problem directly; use formulation='auto'")
        formulation = "none"

    start = None
    start_note = ""
    if warm_start is not None:
        ws = _start_vector(problem, warm_start)
        try:
            start = to_binary(problem, ws).astype(float)
        except Exception as exc:
            raise ProblemError(f"warm_start: {exc}") from None
        broken = violations(problem, start)
        if broken:
            start_note = "warm start ignored, it is infeasible: " + "; ".join(broken)
            start = None
    notes = [n for n in (start_note, threads_note) if n]

    base = dict(solver="auto" if pipeline else adapter.name, formulation=formulation)
    reason = infeasibility_reason(problem)
    if reason is not None:
        return Result(Termination.INFEASIBLE, message=reason, **base)

    integral = problem.has_integral_objective
    if pipeline:
        result = solve_auto(problem, formulation=formulation, time_limit=time_limit, mip_gap=mip_gap,
                            threads=threads, seed=seed, warm_start=start, verbose=verbose, integral=integral,
                            memory_limit=memory_limit, mip_only=chosen_formulation)
        if result.x is not None:  # stages were verified on their own; the final answer is checked again
            result.x, result.objective = verify_solution(problem, result.x, result.objective, source="auto")
    else:
        result = _solve_alone(problem, adapter, formulation, start, integral, time_limit=time_limit,
                              mip_gap=mip_gap, threads=threads, seed=seed, verbose=verbose,
                              memory_limit=memory_limit)
    if result.bound is None and result.termination in (Termination.TIME_LIMIT, Termination.INTERRUPTED):
        # the solver stopped before it had a bound (HiGHS in its root LP): the sum of the positive
        # terms is one all the same, so a stopped solve always says how far off it may be
        trivial = trivial_bound(problem)
        result.bound = trivial if result.objective is None else max(trivial, result.objective)
    if start_note:
        result.stages.insert(0, {"stage": "warm start", "used": False, "reason": start_note})
    if notes:
        result.message = "; ".join(s for s in (result.message, *notes) if s)
    return result


def _solve_alone(problem: SelectionProblem, adapter, formulation: str, start: np.ndarray | None, integral: bool, *,
                 time_limit: float | None, mip_gap: float | None, threads: int | None, seed: int, verbose: bool,
                 memory_limit: float | None) -> Result:
    """One registered solver on `problem`, its answer verified."""
    base = dict(solver=adapter.name, formulation=formulation)
    if adapter.formulations:
        refused = resources.too_large(problem, formulation, adapter.name, memory_limit)
        if refused:
            raise ResourceError(refused)
    t0 = time.perf_counter()
    model = formulations.build(formulation, problem) if adapter.formulations else None
    build_seconds = time.perf_counter() - t0
    too_large = model_too_large(adapter, model) if model is not None else None
    if too_large:
        raise SolverUnavailableError(too_large)
    # the limit covers building too: the solver gets what is left of it
    left = None if time_limit is None else max(0.05, time_limit - build_seconds)
    options = SolveOptions(time_limit=left, mip_gap=0.0 if mip_gap is None else float(mip_gap),
                           abs_gap=(1.0 - 1e-6) if integral and mip_gap is None else None,
                           threads=threads, seed=seed, verbose=verbose,
                           warm_start=None if start is None else start if model is None else model.start_vector(start))
    try:
        raw = adapter.solve(problem, model, options)
    except KeyboardInterrupt:
        return Result(Termination.INTERRUPTED, build_seconds=build_seconds,
                      solve_seconds=time.perf_counter() - t0 - build_seconds,
                      message="interrupted by the user before the solver returned a solution", **base)
    except Exception as exc:
        return Result(Termination.ERROR, build_seconds=build_seconds,
                      solve_seconds=time.perf_counter() - t0 - build_seconds,
                      message=f"{adapter.name} failed: {type(exc).__name__}: {exc}",
                      log=traceback.format_exc(), **base)

    result = Result(raw.termination, solver=adapter.name, solver_version=raw.version, formulation=formulation,
                    build_seconds=build_seconds + raw.load_seconds, solve_seconds=raw.solve_seconds,
                    nodes=raw.nodes, message=raw.message, log=raw.log)
    if raw.x is not None:
        claimed = raw.objective
        auxiliary = model is not None and model.num_col > model.n_items
        if auxiliary and raw.columns is not None and claimed is not None:
            # the solver's claim must match its own columns; x itself may be worth more than that
            # claim, since product columns need not be tight away from the optimum
            own = model.objective(raw.columns)
            if abs(own - claimed) > objective_tolerance(own):
                raise VerificationError(f"{adapter.name} reported objective {claimed!r} but its own column values "
                                        f"give {own!r} in the {formulation} model")
        result.x, result.objective = verify_solution(problem, raw.x, claimed, source=adapter.name,
                                                     exact=not auxiliary)
        result.selected = tuple(problem.names[i] for i in np.flatnonzero(result.x))
    elif raw.termination is Termination.OPTIMAL:
        result.termination = Termination.ERROR
        result.message = f"{adapter.name} claimed optimality but returned no solution"
    if raw.bound is not None and result.termination is not Termination.INFEASIBLE:
        bound = raw.bound
        if integral:  # every portfolio has an integer value, so the bound can be rounded down
            bound = math.floor(bound + 1e-6)
        if result.objective is not None and bound < result.objective - objective_tolerance(result.objective):
            raise VerificationError(f"{adapter.name} reported bound {raw.bound!r} below the value "
                                    f"{result.objective!r} of its own verified solution")
        result.bound = max(bound, result.objective) if result.objective is not None else bound
    if result.termination is Termination.OPTIMAL and result.objective is not None and mip_gap is None:
        result.bound = result.objective if result.bound is None else result.bound
    if result.termination is Termination.INFEASIBLE and not result.message:
        result.message = "the solver proved that no portfolio satisfies all constraints"
    return result
