"""The heuristic solver: tabu search for the portfolio, the Lagrangian bound for its quality.

No formulation and no MIP solver, so it scales to 10,000 items and millions
of pairs. Where q >= 0 and one knapsack row (`breakpoints.applies`), the
breakpoints of the budget price (parametric minimum cuts) give the search its
start and a bound of their own, often within 0.01% of each other on large
sparse problems. When the greedy construction cannot start (rows of mixed sign
that only several items added together can satisfy), HiGHS finds a first
feasible portfolio on the items alone (pair terms dropped: a model of n columns)
and the search goes on from there.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import TYPE_CHECKING

from optimizer.algorithms import branch_and_bound as bb
from optimizer.algorithms import breakpoints
from optimizer.algorithms.bounds import best_bound, no_better
from optimizer.algorithms.tabu import SearchResult, tabu_search
from optimizer.core.deadline import Deadline, search_seconds
from optimizer.core.result import Termination
from optimizer.core.version import OWN_SOLVER_VERSION
from optimizer.solvers.base import Adapter as SolverBase
from optimizer.solvers.base import Capabilities, RawAnswer, SolveOptions
from optimizer.solvers.highs import first_feasible

if TYPE_CHECKING:
    import numpy as np

    from formulations.model import MipModel
    from optimizer.core.problem import SelectionProblem

SEARCH_ROUNDS = 10     # perturbations without improvement before the search hands over to an exact stage
#: the core between the breakpoints goes to the branch and bound up to this many items (measured on the
#: collaboration instances at n = 10,000: cores of 25-90 items solve in 0.1-2 s, one of 772 did not in 5 s)
CORE_ITEMS = 400


def cut_start(problem: SelectionProblem, clock: Deadline) -> breakpoints.BreakpointStart | None:
    """The breakpoints' start and bound (optimizer.algorithms.breakpoints) where they apply and PyMaxflow
    is here, else None (the search then starts from the greedy). Where the items between the two
    breakpoints are few (`CORE_ITEMS`, and under half the problem), the branch and bound solves that core
    within the search's share of the time and its portfolio replaces the greedy fill when better."""
    if breakpoints.applies(problem) is not None or not breakpoints.available()[0]:
        return None
    cut = breakpoints.breakpoint_start(problem, time_limit=clock.budget("search", unlimited=math.inf))
    if cut is None or cut.optimal:
        return cut
    core = cut.core(problem)
    free = core.n_free
    if not 0 < free <= min(CORE_ITEMS, problem.n // 2) or bb.applies(core) is not None or not bb.available()[0]:
        return cut
    found = bb.branch_and_bound(core, time_limit=clock.budget("search", unlimited=search_seconds(free)))
    if found.termination is Termination.INTERRUPTED:   # the search caught Ctrl-C; the caller answers it
        raise KeyboardInterrupt
    note = (f"{cut.note}; the {free} items between them solved by branch and bound "
            f"({found.termination.value}, {found.nodes} nodes, {found.seconds:.2f} s)")
    if found.x is not None and found.objective > cut.objective:
        return dataclasses.replace(cut, x=found.x, objective=found.objective, note=note)
    return dataclasses.replace(cut, note=note)


def _target(problem: SelectionProblem, cut: breakpoints.BreakpointStart | None) -> float | None:
    """The value at which a search from the cut may stop: the cut's bound (rounded down for integral data)."""
    if cut is None:
        return None
    return math.floor(cut.bound + 1e-6) if problem.has_integral_objective else cut.bound


def incumbent_search(problem: SelectionProblem, clock: Deadline, seed: int, start: np.ndarray | None = None,
                     cut: breakpoints.BreakpointStart | None = None) -> SearchResult:
    """The heuristic stage every exact method starts from (the `auto` pipeline, the `bnb` solver): tabu
    search from `start` (else the breakpoints' `cut`, else the greedy) for the clock's 'search' share,
    HiGHS as the repair when the greedy cannot start."""
    budget = clock.budget("search", unlimited=search_seconds(problem.n))
    from_cut = start is None and cut is not None
    run = tabu_search(problem, time_limit=budget, seed=seed, max_rounds=SEARCH_ROUNDS, target=_target(problem, cut),
                      start=cut.x if from_cut and cut is not None else start, repair=first_feasible)
    return dataclasses.replace(run, start="breakpoints") if from_cut else run


class Adapter(SolverBase):
    """Greedy + tabu search with perturbations; deterministic for a given seed."""

    name = "heuristic"
    capabilities = Capabilities(model=False)

    def availability(self) -> tuple[bool, str]:
        """Always available (numpy only)."""
        return True, "tabu search over add/drop/swap moves (numpy)"

    def solve(self, problem: SelectionProblem, model: MipModel | None, options: SolveOptions) -> RawAnswer:
        """Search, then bound; optimal only when the bound meets the portfolio's value."""
        t0 = time.perf_counter()
        clock = Deadline(options.time_limit)
        limit = options.time_limit
        bound_share = clock.share("bound")      # kept for the bound after the search
        search_limit = math.inf if bound_share is None else clock.left() - bound_share
        log = []
        cut = cut_start(problem, clock)
        if cut is not None:
            log.append(f"breakpoints: {cut.objective:.10g}, bound {cut.bound:.10g}, {cut.cuts} cuts, "
                       f"{cut.seconds:.2f} s ({cut.note})")
        run = tabu_search(problem, time_limit=search_limit, seed=options.seed, repair=first_feasible,
                          start=None if cut is None else cut.x, target=_target(problem, cut))
        if cut is not None:
            run = dataclasses.replace(run, start="breakpoints")
        if run.termination is Termination.INFEASIBLE:
            return RawAnswer(Termination.INFEASIBLE, solve_seconds=time.perf_counter() - t0, version=OWN_SOLVER_VERSION,
                             log="HiGHS proved that no portfolio meets the constraints",
                             message="no portfolio satisfies all constraints (proved by HiGHS on the items alone)")
        log.append(f"search: {run.iterations} moves, {run.rounds} perturbations, best after {run.best_at:.3f} s, "
                   f"stopped: {run.note}; start: {run.start}")
        seconds = time.perf_counter() - t0
        if run.x is None:
            termination = Termination.TIME_LIMIT if limit is not None and seconds >= search_limit else Termination.ERROR
            return RawAnswer(termination, solve_seconds=seconds, log="\n".join(log), version=OWN_SOLVER_VERSION,
                             message="no feasible portfolio found; try solver='highs', which can prove infeasibility")
        bound, method = (math.inf, "") if cut is None else (cut.bound, "the breakpoints' cut (budget price)")
        if not no_better(bound, run.objective, problem.has_integral_objective):
            lag_bound, lag_method, _ = best_bound(problem, run.objective, clock.left_or_none())
            if lag_bound < bound:
                bound, method = lag_bound, lag_method
        log.append(f"bound {bound:.10g} from {method}")
        proven = bool(no_better(bound, run.objective, problem.has_integral_objective))
        if proven:
            termination = Termination.OPTIMAL
        elif run.termination in (Termination.TIME_LIMIT, Termination.INTERRUPTED):
            termination = run.termination
        else:
            termination = Termination.FEASIBLE
        return RawAnswer(termination, x=run.x.astype(float), objective=run.objective, bound=bound,
                         nodes=0, solve_seconds=time.perf_counter() - t0, log="\n".join(log),
                         version=OWN_SOLVER_VERSION,
                         message="" if proven else f"heuristic portfolio; bound from {method}",
                         extra={"iterations": run.iterations, "rounds": run.rounds, "best_at": run.best_at,
                                "bound_method": method})
