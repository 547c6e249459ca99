"""The `auto` solver, the default: the pipeline of :mod:`optimizer.engine.pipeline` as a registry entry.

Listing it here gives every list of solvers (`alliance solvers`, the `--solver` help, the
unknown-solver message) its default from the one registry. `optimizer.solve(solver="auto")`
runs the pipeline directly; this adapter only answers the questions asked of every
registered solver (is it usable here, which formulations does it take) and, called on its
own, runs that same `solve`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from optimizer.solvers.base import RawAnswer, SolveOptions

if TYPE_CHECKING:
    from formulations.model import MipModel
    from optimizer.core.problem import SelectionProblem

#: what the pipeline does, for help texts and `alliance solvers`
DESCRIPTION = ("heuristic, Lagrangian bound and variable fixing, then branch and bound (classic QKPs) "
               "or HiGHS on what is left")


class Adapter:
    """The pipeline: heuristic incumbent, bound and reduction, then an exact stage."""

    name = "auto"

    # HiGHS is imported only when asked about: the help text reads DESCRIPTION on every command
    @property
    def formulations(self) -> tuple[str, ...]:
        """The formulations of its HiGHS stage."""
        from optimizer.solvers import highs

        return highs.Adapter.formulations

    def availability(self) -> tuple[bool, str]:
        """Usable where HiGHS is: every problem that is not a classic QKP ends in its MIP stage."""
        from optimizer.solvers import highs

        ok, why = highs.Adapter().availability()
        return (True, f"{DESCRIPTION} ({why})") if ok else (False, why)

    def solve(self, problem: "SelectionProblem", model: "MipModel | None", options: SolveOptions) -> RawAnswer:
        """Run the pipeline through :func:`optimizer.engine.solve` (it builds its own model of the reduced
        problem, so `model` only tells which formulation its MIP stage uses)."""
        from optimizer.engine.solve import solve

        start = None if options.warm_start is None else options.warm_start[: problem.n]
        result = solve(problem, solver="auto", formulation=model.formulation if model is not None else "auto",
                       time_limit=options.time_limit, mip_gap=options.mip_gap, threads=options.threads,
                       seed=options.seed, warm_start=start, verbose=options.verbose)
        return RawAnswer(result.termination, x=result.x, objective=result.objective, bound=result.bound,
                         nodes=result.nodes, solve_seconds=result.total_seconds, log=result.log,
                         message=result.message, version=result.solver_version, extra={"stages": result.stages})
