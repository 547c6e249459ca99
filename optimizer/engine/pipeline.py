"""The `auto` solver: heuristic incumbent, bound and reduction, then the exact MIP on what is left.

Stages, each recorded in `Result.stages` with its time and what it found:

1. heuristic: tabu search (optimizer.algorithms.tabu) gives an incumbent;
2. bound: the Lagrangian upper-plane bound (optimizer.algorithms.bounds) with the
   incumbent; an item whose forced-in bound cannot beat the incumbent is fixed
   out, one whose forced-out bound cannot is fixed in. If the bound meets the
   incumbent, it is optimal and the MIP is skipped;
3. branch-and-bound: for a classic QKP (optimizer.algorithms.branch_and_bound.applies) of
   at most BNB_ITEMS items, unless a formulation or a mip_gap was asked for, the
   Caprara-Pisinger-Toth search on the reduced problem proves the optimum;
   otherwise
   mip: HiGHS on the reduced problem, started from the incumbent. Its bound
   covers the portfolios the fixings keep; the others are worth at most the
   incumbent, so the overall bound is max(incumbent, MIP bound), and never
   above the Lagrangian bound.

When the MIP cannot run (too many pairs for a model that fits, or no time
left) the heuristic portfolio is returned with the Lagrangian bound.
"""

from __future__ import annotations

import math
import time

import numpy as np

from optimizer.engine import resources
from optimizer.algorithms.bounds import lagrangian_bound, no_better, trivial_bound
from optimizer.algorithms.branch_and_bound import applies, branch_and_bound
from optimizer.algorithms.tabu import tabu_search
from optimizer.core.problem import SelectionProblem
from optimizer.core.result import Result, Termination, relative_gap

HEURISTIC_SHARE = 0.1     # of the time limit, for the heuristic stage
HEURISTIC_ROUNDS = 10     # perturbations without improvement before the heuristic hands over
BOUND_ITERATIONS = 300
REDUCTION_ROUNDS = 4      # bound, fix, bound again on what is left
MIP_PAIR_LIMIT = 2_000_000  # above this many pairs the linearized model no longer fits comfortably
BNB_ITEMS = 600           # classic QKPs up to this size go to the branch and bound instead of the MIP


def solve_auto(problem: SelectionProblem, *, formulation: str, time_limit: float | None, mip_gap: float | None,
               threads: int | None, seed: int, warm_start: np.ndarray | None, verbose: bool,
               integral: bool, memory_limit: float | None = None, mip_only: bool = False) -> Result:
    """Run the pipeline; `problem` has passed the cheap infeasibility diagnosis already."""

    t0 = time.perf_counter()
    deadline = math.inf if time_limit is None else t0 + time_limit
    stages: list[dict] = []
    budget = (2.0 + problem.n / 100.0) if time_limit is None else HEURISTIC_SHARE * time_limit
    run = tabu_search(problem, time_limit=budget, seed=seed, max_rounds=HEURISTIC_ROUNDS, start=warm_start)
    if run.x is None and warm_start is None:
        stages.append({"stage": "heuristic", "seconds": run.seconds, "found": "no feasible start"})
        incumbent, value = None, -math.inf
    else:
        incumbent, value = run.x, run.objective
        stages.append({"stage": "heuristic", "seconds": run.seconds, "objective": value, "moves": run.iterations,
                       "best_after": run.best_at, "stopped_by": run.stopped})

    def finish(termination: Termination, x, obj, best_bound, message: str = "", mip: Result | None = None) -> Result:
        result = Result(termination, solver="auto", formulation=mip.formulation if mip else "none",
                        solver_version=mip.solver_version if mip else "", message=message,
                        build_seconds=mip.build_seconds if mip else 0.0, nodes=mip.nodes if mip else None)
        result.solve_seconds = time.perf_counter() - t0 - result.build_seconds
        if x is not None:
            result.x, result.objective = np.asarray(x, dtype=np.int8), float(obj)
            result.selected = tuple(problem.names[i] for i in np.flatnonzero(result.x))
        if best_bound is not None:
            result.bound = max(best_bound, obj) if x is not None else best_bound
        result.stages = stages
        # every stage in the log, not only HiGHS's: a run that ended in the branch and bound or the
        # heuristic still says what it did (the harness keeps this log with --keep-logs)
        lines = ["auto pipeline: " + ", ".join(f"{k}={v}" for k, v in stage.items()) for stage in stages]
        result.log = "\n".join(lines) + ("\n\n" + mip.log if mip is not None and mip.log else "") + "\n"
        return result

    if run.stopped == "interrupted":  # Ctrl-C: the user wants the portfolio found so far, now
        return finish(Termination.INTERRUPTED, incumbent, value, trivial_bound(problem), "interrupted by the user")
    try:
        return _exact(problem, incumbent, value, formulation=formulation, time_limit=time_limit, mip_gap=mip_gap,
                      threads=threads, seed=seed, verbose=verbose, integral=integral, memory_limit=memory_limit,
                      deadline=deadline, stages=stages, finish=finish, mip_only=mip_only)
    except KeyboardInterrupt:
        return finish(Termination.INTERRUPTED, incumbent, value if incumbent is not None else None,
                      trivial_bound(problem), "interrupted by the user")


def _exact(problem: SelectionProblem, incumbent, value: float, *, formulation: str, time_limit: float | None,
           mip_gap: float | None, threads: int | None, seed: int, verbose: bool, integral: bool,
           memory_limit: float | None, deadline: float, stages: list[dict], finish, mip_only: bool = False) -> Result:
    """Bound and fixing, then HiGHS on what is left."""
    from optimizer.engine.solve import solve  # the MIP stage is an ordinary verified solve

    t1 = time.perf_counter()
    left = deadline - t1
    bound_limit = None if time_limit is None else max(0.0, HEURISTIC_SHARE * left)
    lag = lagrangian_bound(problem, value, iterations=BOUND_ITERATIONS, time_limit=bound_limit)
    bound, method = trivial_bound(problem), "the sum of all positive terms"
    if lag is not None and lag.bound < bound:
        bound, method = lag.bound, lag.method
    fix_in = fix_out = np.zeros(0, dtype=np.int64)
    rounds = 0
    while lag is not None and incumbent is not None and rounds < REDUCTION_ROUNDS:
        # fixings tighten the next bound, which may fix more: repeat while it pays
        rounds += 1
        new_out = np.setdiff1d(np.flatnonzero(no_better(lag.bound_in, value, integral)),
                               np.union1d(problem.forced_out, fix_out))
        new_in = np.setdiff1d(np.flatnonzero(no_better(lag.bound_out, value, integral)),
                              np.union1d(problem.forced_in, fix_in))
        fix_out, fix_in = np.union1d(fix_out, new_out), np.union1d(fix_in, new_in)
        if not (new_in.size or new_out.size) or np.intersect1d(fix_in, fix_out).size \
                or np.intersect1d(fix_in, problem.forced_out).size or np.intersect1d(fix_out, problem.forced_in).size:
            break
        if time_limit is not None and time.perf_counter() - t1 > HEURISTIC_SHARE * left:
            break
        reduced = problem.replace(forced_in=np.union1d(problem.forced_in, fix_in),
                                  forced_out=np.union1d(problem.forced_out, fix_out))
        lag = lagrangian_bound(reduced, value, iterations=BOUND_ITERATIONS, time_limit=bound_limit)
        if lag is not None:  # portfolios the fixings exclude are worth at most the incumbent
            bound = min(bound, max(lag.bound, value))
    stages.append({"stage": "bound", "seconds": time.perf_counter() - t1, "bound": float(bound), "method": method,
                   "fixed_in": int(fix_in.size), "fixed_out": int(fix_out.size), "rounds": rounds})

    contradiction = (np.intersect1d(fix_in, fix_out).size or np.intersect1d(fix_in, problem.forced_out).size
                     or np.intersect1d(fix_out, problem.forced_in).size)
    if incumbent is not None and (bool(no_better(bound, value, integral)) or contradiction):
        return finish(Termination.OPTIMAL, incumbent, value, value, "the bound proves the heuristic portfolio optimal")
    if incumbent is not None and mip_gap is not None and relative_gap(value, bound) <= mip_gap:
        return finish(Termination.OPTIMAL, incumbent, value, bound, f"within mip_gap={mip_gap} by the {method} bound")
    reduced = problem
    if fix_in.size or fix_out.size:
        reduced = problem.replace(forced_in=np.union1d(problem.forced_in, fix_in),
                                  forced_out=np.union1d(problem.forced_out, fix_out))
    start = None
    if incumbent is not None and np.all(incumbent[fix_in] == 1) and np.all(incumbent[fix_out] == 0):
        start = incumbent
    if not mip_only and mip_gap is None and problem.n <= BNB_ITEMS and applies(reduced) is None:
        return _branch_and_bound(reduced, start, incumbent, value, bound, deadline, stages, finish)
    out_of_time = deadline - time.perf_counter() <= 0.05
    skip = "no time left for the exact stage" if out_of_time else None
    if problem.n_pairs > MIP_PAIR_LIMIT:
        skip = f"{problem.n_pairs} pairs are too many for the exact stage (limit {MIP_PAIR_LIMIT})"
    skip = skip or resources.too_large(problem, formulation, "highs", memory_limit)
    if skip is None and time_limit is not None:
        build = resources.build_seconds(problem, formulation)
        if build > 0.5 * (deadline - time.perf_counter()):  # the model would eat the time it needs to help
            out_of_time = True
            skip = (f"building the {formulation} model takes about {build:.1f} s, more than half the time left; "
                    f"give a longer time limit for the exact stage")
    if skip is not None:
        stages.append({"stage": "mip", "seconds": 0.0, "skipped": skip})
        left = deadline - time.perf_counter() - 0.1
        if incumbent is not None and time_limit is not None and left > 0.5:
            # no exact stage: the time it would have had goes to the search
            more = tabu_search(problem, time_limit=left, seed=seed + 1, start=incumbent)
            stages.append({"stage": "heuristic", "seconds": more.seconds, "objective": more.objective,
                           "moves": more.iterations, "stopped_by": more.stopped})
            if more.x is not None and more.objective > value:
                incumbent, value = more.x, more.objective
            if more.stopped == "interrupted":
                return finish(Termination.INTERRUPTED, incumbent, value, bound, "interrupted by the user")
        # stopped by the clock, or by size (then the heuristic portfolio is all there is: feasible, unproven)
        termination = Termination.TIME_LIMIT if out_of_time else Termination.FEASIBLE
        if incumbent is None:
            termination = Termination.TIME_LIMIT if out_of_time else Termination.ERROR
        return finish(termination, incumbent, value, bound, f"heuristic portfolio, bound from {method}; {skip}")

    remaining = None if time_limit is None else max(0.05, deadline - time.perf_counter())
    mip = solve(reduced, solver="highs", formulation=formulation, time_limit=remaining, mip_gap=mip_gap,
                threads=threads, seed=seed, warm_start=start, verbose=verbose, memory_limit=memory_limit)
    stages.append({"stage": "mip", "seconds": mip.total_seconds, "termination": mip.termination.value,
                   "objective": mip.objective, "bound": mip.bound, "formulation": mip.formulation,
                   "nodes": mip.nodes, "items_free": int(reduced.n - reduced.forced_in.size - reduced.forced_out.size)})
    x, obj = incumbent, value
    if mip.x is not None and mip.objective > value:
        x, obj = mip.x, mip.objective
    if mip.termination is Termination.INFEASIBLE:
        if incumbent is None:
            return finish(Termination.INFEASIBLE, None, None, None, mip.message, mip)
        # nothing the fixings keep beats the incumbent
        return finish(Termination.OPTIMAL, x, obj, obj, "no portfolio beats the heuristic one", mip)
    best_bound = bound
    if mip.bound is not None:
        best_bound = min(bound, max(mip.bound, value))
    if mip.termination is Termination.OPTIMAL:
        return finish(Termination.OPTIMAL, x, obj, obj if mip_gap is None else best_bound, mip.message, mip)
    if x is not None and bool(no_better(best_bound, obj, integral)):
        return finish(Termination.OPTIMAL, x, obj, obj, mip.message, mip)
    return finish(mip.termination, x, obj, best_bound, mip.message, mip)


def _branch_and_bound(reduced: SelectionProblem, start, incumbent, value: float, bound: float, deadline: float,
                      stages: list[dict], finish) -> Result:
    """The exact stage for classic QKPs: optimizer.algorithms.branch_and_bound on what the reduction left."""
    left = None if math.isinf(deadline) else max(0.0, deadline - time.perf_counter())
    found = branch_and_bound(reduced, incumbent=start, time_limit=left)
    stages.append({"stage": "branch-and-bound", "seconds": found.seconds, "termination": found.status,
                   "objective": found.objective if found.x is not None else None, "bound": found.bound,
                   "root_bound": found.root_bound, "nodes": found.nodes,
                   "items_free": int(reduced.n - reduced.forced_in.size - reduced.forced_out.size)})
    x, obj = incumbent, value
    if found.x is not None and found.objective > value:
        x, obj = found.x, found.objective
    if found.status in ("optimal", "infeasible"):
        if x is None:
            return finish(Termination.INFEASIBLE, None, None, None, "no portfolio fits the knapsack row")
        # the tree is exhausted: nothing the fixings keep beats x, and the rest is worth at most the incumbent
        result = finish(Termination.OPTIMAL, x, obj, obj, f"proved by branch and bound ({found.nodes} nodes)")
        result.nodes = found.nodes
        return result
    best_bound = min(bound, max(found.bound, value)) if math.isfinite(found.bound) else bound
    termination = Termination.TIME_LIMIT if found.status == "time_limit" else Termination.INTERRUPTED
    message = ("time limit reached in the branch and bound" if found.status == "time_limit"
               else "interrupted by the user")
    result = finish(termination, x, obj, best_bound, message)
    result.nodes = found.nodes
    return result
