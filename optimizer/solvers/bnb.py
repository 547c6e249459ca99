"""The `bnb` solver: Caprara-Pisinger-Toth branch and bound for quadratic knapsacks.

A short tabu search (from the warm start, if any) gives the incumbent, then
:mod:`optimizer.algorithms.branch_and_bound` proves it or finds better. No model, no
MIP solver: a numba-compiled kernel (unavailable, saying why, without numba). It takes
the classic QKP and more (several rows with nonnegative weights, a size limit,
conflicts, groups, negative terms, forced items); problems with covers, a minimum
size or negative row weights get an error result naming what is in the way;
`auto` and `highs` take those.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from optimizer.algorithms.branch_and_bound import applies, available, branch_and_bound, memory_mb
from optimizer.core.deadline import Deadline
from optimizer.core.result import Termination
from optimizer.core.version import OWN_SOLVER_VERSION
from optimizer.solvers.base import Adapter as SolverBase
from optimizer.solvers.base import Capabilities, RawAnswer, SolveOptions
from optimizer.solvers.heuristic import cut_start, incumbent_search

if TYPE_CHECKING:
    from formulations.model import MipModel
    from optimizer.core.problem import SelectionProblem

class Adapter(SolverBase):
    """Depth-first branch and bound with Lagrangian upper planes and reduction at every node."""

    name = "bnb"
    capabilities = Capabilities(model=False)

    def accepts(self, problem: SelectionProblem) -> str | None:
        """What `branch_and_bound.applies` takes: no covers, no minimum size, nonnegative rows."""
        why = applies(problem)
        return None if why is None else f"solver 'bnb' cannot take this problem: {why}; use solver 'auto' or 'highs'"

    def memory_mb(self, problem: SelectionProblem) -> float | None:
        """The search's dense arrays over the items not forced in or out."""
        return memory_mb(problem)

    def availability(self) -> tuple[bool, str]:
        """Available where its compiled kernel is (numba); it refuses problems `applies` does not take."""
        ok, reason = available()
        if not ok:
            return False, f"the compiled branch and bound cannot run here: {reason}"
        return True, "branch and bound with Lagrangian upper planes (compiled kernel), no covers or minimum size"

    def solve(self, problem: SelectionProblem, model: MipModel | None, options: SolveOptions) -> RawAnswer:
        """Search for a start, then branch and bound; never raises on limits."""
        t0 = time.perf_counter()
        clock = Deadline(options.time_limit)
        run = incumbent_search(problem, clock, options.seed, options.warm_start, cut_start(problem, clock))
        log = [f"search: {run.objective:.10g} after {run.seconds:.2f} s ({run.iterations} moves from the {run.start} "
               f"start)"]
        start = run.x if run.x is not None else options.warm_start
        found = branch_and_bound(problem, incumbent=start, time_limit=clock.left_or_none())
        log.append(f"branch and bound: {found.termination.value}, {found.nodes} nodes, "
                   f"root bound {found.root_bound:.10g}, "
                   f"{found.seconds:.2f} s ({found.note})")
        answer = RawAnswer(found.termination, nodes=found.nodes, solve_seconds=time.perf_counter() - t0,
                           log="\n".join(log), version=OWN_SOLVER_VERSION, extra={"root_bound": found.root_bound})
        if found.x is not None:
            answer.x, answer.objective = found.x.astype(float), found.objective
        if math.isfinite(found.bound):
            answer.bound = found.bound
        if found.termination is Termination.INFEASIBLE:
            answer.message = "the forced-in items break a constraint (a row, the size limit, a conflict or a group)"
        elif found.termination is Termination.INTERRUPTED:
            answer.message = "interrupted by the user"
        return answer
