"""`solve`: one entry point from a canonical problem (or a scenario) to a verified `Result`."""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

import formulations
from optimizer.algorithms.bounds import trivial_bound
from optimizer.core.diagnose import infeasibility_reason
from optimizer.core.errors import FormulationError
from optimizer.core.problem import SelectionProblem
from optimizer.core.result import Result, Stage, Termination
from optimizer.core.verify import verify_solution
from optimizer.domain.report import PortfolioReport
from optimizer.domain.scenario import Scenario
from optimizer.engine.pipeline import solve_auto
from optimizer.engine.request import Request, start_vector
from optimizer.engine.single import solve_with
from optimizer.solvers import PIPELINE, SolverAdapter, get_solver


def solve(
    problem: SelectionProblem | Scenario,
    *,
    solver: str = "auto",
    formulation: str = "auto",
    time_limit: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
    seed: int = 0,
    warm_start: Sequence[float] | Collection[str] | np.ndarray | None = None,
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
    options: dict[str, Any] = dict(time_limit=time_limit, mip_gap=mip_gap, threads=threads, seed=seed,
                                   verbose=verbose, memory_limit=memory_limit)
    if isinstance(problem, Scenario):
        return _solve_scenario(problem, solver, formulation, warm_start, options)
    if not isinstance(problem, SelectionProblem):
        raise TypeError(f"solve() takes a SelectionProblem or a Scenario, got {type(problem).__name__}")
    request = Request.checked(**options)
    mip_only = formulation != "auto"  # a formulation was asked for: the pipeline's exact stage is that MIP
    adapter, choice = _solver_and_formulation(problem, solver, formulation)
    formulation = choice.name
    start, start_note = (None, "") if warm_start is None else start_vector(problem, warm_start)
    reason = infeasibility_reason(problem)
    if reason is not None:
        result = Result(Termination.INFEASIBLE, message=reason, solver=solver if adapter is None else adapter.name,
                        formulation=formulation)
    elif adapter is None:
        result = solve_auto(problem, request, formulation=choice, start=start, mip_only=mip_only)
        if result.x is not None:  # every stage was verified on its own; the final answer is checked again
            x, objective = verify_solution(problem, result.x, result.objective, source="auto")
            result = replace(result, x=x, objective=objective)
    else:
        result = solve_with(adapter, problem, formulation, request, start)
        if formulation != "none":
            result = replace(result, stages=(Stage("formulation", 0.0, {"formulation": formulation,
                                                                        "why": choice.reason}), *result.stages))
    return _finished(problem, result, start_note, request.notes)


def _solver_and_formulation(problem: SelectionProblem, solver: str,
                            formulation: str) -> tuple[SolverAdapter | None, formulations.Choice]:
    """The adapter to run (None: the pipeline) and the formulation of its model ("none": no model), with
    why it was chosen."""
    pipeline = solver == PIPELINE
    adapter = get_solver("highs" if pipeline else solver)  # the pipeline's MIP stage is HiGHS's
    none = formulations.Choice("none", "no model")
    if problem.n == 0 and adapter.formulations:  # nothing to decide: enumeration answers at once
        return get_solver("bruteforce"), none
    if not adapter.formulations:
        if formulation not in ("auto", "none"):
            raise FormulationError(f"solver {solver!r} works on the problem directly; use formulation='auto'")
        return adapter, none
    if formulation == "auto":
        return (None if pipeline else adapter), formulations.choose(problem, adapter.formulations)
    if formulation not in formulations.REGISTRY:
        raise FormulationError(f"unknown formulation {formulation!r}; known: auto, {', '.join(formulations.REGISTRY)}")
    elif formulation not in adapter.formulations:
        raise FormulationError(f"solver {solver!r} does not take formulation {formulation!r}; "
                               f"it takes: {', '.join(adapter.formulations)}")
    return (None if pipeline else adapter), formulations.Choice(formulation, "asked for")


def _finished(problem: SelectionProblem, result: Result, start_note: str, notes: tuple[str, ...]) -> Result:
    """The result as returned: a bound whenever the solver stopped early, and what was changed or ignored."""
    bound = result.bound
    if bound is None and result.termination in (Termination.TIME_LIMIT, Termination.INTERRUPTED):
        # the solver stopped before it had a bound (HiGHS in its root LP): the sum of the positive
        # terms is one all the same, so a stopped solve always says how far off it may be
        trivial = trivial_bound(problem)
        bound = trivial if result.objective is None else max(trivial, result.objective)
    stages = result.stages
    if start_note:
        stages = (Stage("warm start", 0.0, {"used": False, "reason": start_note}), *stages)
    message = "; ".join(s for s in (result.message, start_note, *notes) if s)
    return replace(result, bound=bound, stages=stages, message=message)


def _solve_scenario(scenario: Scenario, solver: str, formulation: str, warm_start, options: dict) -> Result:
    """Compile, solve the canonical problem, name the partners and attach the portfolio report."""
    t0 = time.perf_counter()
    compiled = scenario.compile()
    compile_seconds = time.perf_counter() - t0
    result = solve(compiled.problem, solver=solver, formulation=formulation, warm_start=warm_start, **options)
    selected = result.selected
    if result.x is not None:
        names = compiled.problem.names
        selected = tuple(names[i] for i in compiled.partner_items if result.x[i])
    result = replace(result, build_seconds=result.build_seconds + compile_seconds, selected=selected,
                     stages=(Stage("compile", compile_seconds), *result.stages), message=_in_partners(result.message))
    # the report re-solves for why_not through this same function, with these options
    report = PortfolioReport(compiled, result, dict(solver=solver, formulation=formulation, **options), resolve=solve)
    return replace(result, report=report)


def _in_partners(message: str) -> str:
    """A message of the canonical problem (rows, items) in the words of a scenario (limits, partners)."""
    for canonical, domain in ((" items", " partners"), ("row '", "limit '"),
                              ("size_min=", "the portfolio needs at least "), ("size_max=", "at most ")):
        message = message.replace(canonical, domain)
    return message
