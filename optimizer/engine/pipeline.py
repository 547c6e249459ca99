"""The `auto` solver: heuristic incumbent, bound and reduction, then the exact MIP on what is left.

Stages, each recorded in `Result.stages` with its time and what it found:

0. breakpoints: where q >= 0 and one knapsack row, parametric minimum cuts over the
   budget price (optimizer.algorithms.breakpoints) give the search its start and a
   bound; when the bound meets the start, it is optimal and nothing else runs;
1. heuristic: tabu search (optimizer.algorithms.tabu) gives an incumbent;
2. bound: the Lagrangian upper-plane bound (optimizer.algorithms.bounds) with the
   incumbent; an item whose forced-in bound cannot beat the incumbent is fixed
   out, one whose forced-out bound cannot is fixed in. Where the problem names the
   positive semidefinite part of its pair terms (`SelectionProblem.concave`, alliance
   scenarios), the concave relaxation's bound (optimizer.engine.concave) on what the
   fixing left, recorded as stage "concave bound". If the bound meets the
   incumbent, it is optimal and the MIP is skipped. For a classic QKP that the
   branch and bound takes whole, the stage only records the breakpoints' bound:
   the search's compiled root optimizes the same planes;
3. branch-and-bound: for a classic QKP (optimizer.algorithms.branch_and_bound.is_classic) of
   at most BNB_ITEMS items, unless a formulation or a mip_gap was asked for, the
   Caprara-Pisinger-Toth search on the reduced problem proves the optimum. On the
   other kinds it takes (side rows, a size limit, conflicts, groups, mixed signs)
   it runs first with a share of the time ("search first"; SEARCH_FIRST_SECONDS
   without a limit), and what it leaves open goes, with its portfolio, to
   mip: HiGHS on the reduced problem, started from the incumbent. Its bound
   covers the portfolios the fixings keep; the others are worth at most the
   incumbent, so the overall bound is max(incumbent, MIP bound), and never
   above the Lagrangian bound. Problems that name their concave part
   (alliance scenarios) go instead to
   outer approximation: HiGHS MIPs on the residual's linear model plus tangent
   planes of the concave part, one more tangent at each MIP's portfolio until
   the MIP's bound meets the best portfolio (optimizer.engine.concave), with a
   share of the time; where it has not proved by then, the semidefinite
   relaxation's bound (optimizer.algorithms.semidefinite, SCS; stage
   "semidefinite bound"), which proves the incumbent when it lies within
   PROOF_TOLERANCE of it or bounds every other portfolio below it, and otherwise fixes
   every item whose other choice it bounds below the incumbent; then the outer
   approximation again, from its tangents, on what is left, with the time left. On
   LIFTED_FIRST_ITEMS free items or more the semidefinite bound goes first.

When the MIP cannot run (too many pairs for a model that fits, or no time
left) the heuristic portfolio is returned with the Lagrangian bound.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from formulations import Choice
from optimizer.algorithms import semidefinite
from optimizer.algorithms.bounds import (
    BOUND_ITERATIONS,
    PROOF_TOLERANCE,
    best_bound,
    fixings,
    lagrangian_bound,
    no_better,
    trivial_bound,
)
from optimizer.algorithms.branch_and_bound import Outcome, applies, available, branch_and_bound, is_classic
from optimizer.algorithms.tabu import SearchResult, tabu_search
from optimizer.core.deadline import Deadline
from optimizer.core.problem import SelectionProblem
from optimizer.core.result import Result, Stage, Termination, relative_gap
from optimizer.core.version import OWN_SOLVER_VERSION
from optimizer.engine import resources
from optimizer.engine.concave import ConcaveBound, ConcaveSearch, concave_bound, concave_search
from optimizer.engine.request import Request
from optimizer.engine.single import solve_with
from optimizer.solvers import get_solver
from optimizer.solvers.heuristic import cut_start, incumbent_search

REDUCTION_ROUNDS = 4      # bound, fix, bound again on what is left
MIP_PAIR_LIMIT = 2_000_000  # above this many pairs the linearized model no longer fits comfortably
BNB_ITEMS = 600           # classic QKPs up to this size go to the branch and bound instead of the MIP
OUTER_ITEMS = 3000        # the outer approximation keeps S dense: n^2 floats (72 MB at 3,000 items)
SEARCH_FIRST_SECONDS = 10.0   # without a time limit, the branch and bound's turn before HiGHS on the wider kinds
OUTER_FIRST_SECONDS = 30.0    # without a time limit, the outer approximation's turn before the semidefinite bound
#: from this many free items on, the semidefinite bound goes first (given back to the outer approximation once
#: its fixings leave fewer, where it will not prove), and the outer approximation searches what its fixings leave:
#: on generated scenarios of 100-150 candidates (150-256 items) that proved 19 of 20 within 10 s against 18 at
#: 200, and 17 with the outer approximation first everywhere (benchmarks/README.md, "The semidefinite bound");
#: at 300 candidates the outer approximation's first turn proves nothing in 60 s. Smaller problems (the bundled
#: example, 60 items) go to the outer approximation first, whose MIPs are small there (0.5 s on alliance-60 where
#: SCS alone needs 2.8 s)
LIFTED_FIRST_ITEMS = 150
#: after the outer approximation's first turn, the semidefinite bound stops once SCS's estimates put the relaxation
#: this far (relative) above the incumbent: on 100-150 candidates the relaxations that were not tight showed
#: 0.28-2.5% after 250-500 iterations (1-3 s), and the outer approximation proved them with the time left
ABANDON = 5e-4


def solve_auto(problem: SelectionProblem, request: Request, *, formulation: Choice, start: np.ndarray | None,
               mip_only: bool = False) -> Result:
    """Run the pipeline; `problem` has passed the cheap infeasibility diagnosis already.
    `formulation` is the MIP stage's, with why it was chosen; `mip_only` (a formulation was asked
    for) skips the branch and bound so that the exact stage is that MIP."""
    return _Pipeline(problem, request, formulation.name, mip_only, formulation.reason).run(start)


def _search_stage(run: SearchResult) -> Stage:
    if run.x is None:
        return Stage("heuristic", run.seconds, {"found": "no feasible start", "stopped_by": run.note})
    return Stage("heuristic", run.seconds, {"objective": run.objective, "moves": run.iterations,
                                            "best_after": run.best_at, "stopped_by": run.note})


@dataclass
class _Pipeline:
    """One run of the pipeline: the problem, what was asked, the incumbent and the stages so far."""

    problem: SelectionProblem
    request: Request
    formulation: str
    mip_only: bool
    formulation_why: str = ""
    clock: Deadline = field(init=False)
    stages: list[Stage] = field(default_factory=list)
    incumbent: np.ndarray | None = None
    value: float = -math.inf
    cut_bound: float = math.inf       # the breakpoints' bound, where they ran
    relaxed: ConcaveBound | None = None   # the concave bound stage's, on the problem the fixings left

    def __post_init__(self) -> None:
        self.clock = Deadline(self.request.time_limit)

    @property
    def integral(self) -> bool:
        return self.problem.has_integral_objective

    def offer(self, x: np.ndarray | None, objective: float) -> None:
        """Keep x as the incumbent when it is better."""
        if x is not None and objective > self.value:
            self.incumbent, self.value = np.asarray(x, dtype=np.int8), float(objective)

    # ------------------------------------------------------------------ stages
    def run(self, start: np.ndarray | None) -> Result:
        try:
            cut = cut_start(self.problem, self.clock)
        except KeyboardInterrupt:   # inside a minimum cut (compiled, it cannot stop early): the greedy start is
            quick = tabu_search(self.problem, time_limit=0.0, seed=self.request.seed, start=start)    # what there is
            self.stages.append(_search_stage(quick))
            self.offer(quick.x, quick.objective)
            return self.finish(Termination.INTERRUPTED, trivial_bound(self.problem), "interrupted by the user")
        if cut is not None:
            self.stages.append(Stage("breakpoints", cut.seconds, {
                "objective": cut.objective, "bound": cut.bound, "cuts": cut.cuts, "note": cut.note}))
            self.offer(cut.x, cut.objective)
            self.cut_bound = cut.bound
            if bool(no_better(cut.bound, cut.objective, self.integral)):
                return self.finish(Termination.OPTIMAL, cut.objective, "the breakpoints' bound proves their portfolio "
                                                                       "optimal")
        found = incumbent_search(self.problem, self.clock, self.request.seed, start, cut)
        self.stages.append(_search_stage(found))
        self.offer(found.x, found.objective)
        if found.termination is Termination.INTERRUPTED:  # Ctrl-C: the user wants the portfolio found so far, now
            return self.finish(Termination.INTERRUPTED, trivial_bound(self.problem), "interrupted by the user")
        try:
            return self.exact()
        except KeyboardInterrupt:
            return self.finish(Termination.INTERRUPTED, trivial_bound(self.problem), "interrupted by the user")

    def reduce(self) -> tuple[float, str, np.ndarray, np.ndarray]:
        """The Lagrangian bound, and the items it fixes: (bound, method, fixed in, fixed out)."""
        problem, t1 = self.problem, time.perf_counter()
        bound_limit = self.clock.share("bound")
        bound, method, lag = best_bound(problem, self.value, bound_limit)
        if self.cut_bound < bound:
            bound, method = self.cut_bound, "the breakpoints' cut (budget price)"
        fix_in = fix_out = np.zeros(0, dtype=np.int64)
        rounds = 0
        while lag is not None and self.incumbent is not None and rounds < REDUCTION_ROUNDS:
            # fixings tighten the next bound, which may fix more: repeat while it pays
            rounds += 1
            new_in, new_out = fixings(lag.bound_in, lag.bound_out, self.value, self.integral,
                                      np.union1d(problem.forced_in, fix_in), np.union1d(problem.forced_out, fix_out))
            fix_out, fix_in = np.union1d(fix_out, new_out), np.union1d(fix_in, new_in)
            if not (new_in.size or new_out.size) or self.contradiction(fix_in, fix_out):
                break
            if bound_limit is not None and time.perf_counter() - t1 > bound_limit:
                break
            lag = lagrangian_bound(self.problem.with_fixed(fix_in, fix_out), self.value, iterations=BOUND_ITERATIONS,
                                   time_limit=bound_limit)
            if lag is not None:  # portfolios the fixings exclude are worth at most the incumbent
                bound = min(bound, max(lag.bound, self.value))
        self.stages.append(Stage("bound", time.perf_counter() - t1, {
            "bound": float(bound), "method": method, "fixed_in": int(fix_in.size), "fixed_out": int(fix_out.size),
            "rounds": rounds}))
        if problem.concave is not None and self.incumbent is not None and not self.contradiction(fix_in, fix_out) \
                and not no_better(bound, self.value, self.integral):
            found = concave_bound(self.problem.with_fixed(fix_in, fix_out), time_limit=self.clock.share("concave"))
            self.relaxed = found
            if found is not None:
                # on what the fixings keep; the portfolios they exclude are worth at most the incumbent
                tighter = max(found.bound, self.value)
                self.stages.append(Stage("concave bound", found.seconds, {
                    "bound": float(min(bound, tighter)), "relaxation": float(found.bound),
                    "iterations": found.iterations, "converged": found.converged}))
                if tighter < bound:
                    bound, method = tighter, "the concave relaxation (tangent planes of the overlap and complexity)"
        return bound, method, fix_in, fix_out

    @staticmethod
    def no_lifting(reduced: SelectionProblem) -> str | None:
        """Why the semidefinite bound stage cannot run on `reduced`, or None."""
        ready, why = semidefinite.available()
        free = reduced.n_free
        if not ready:
            return why
        if free > semidefinite.MAX_ITEMS:
            return f"{free} free items, above the stage's {semidefinite.MAX_ITEMS}"
        return None

    def lifted(self, reduced: SelectionProblem, bound: float, method: str, time_limit: float | None,
               search_items: int | None) -> tuple[float, str, SelectionProblem]:
        """The semidefinite bound stage on what the fixings left (alliance scenarios, where it is within
        0.0002% of the optimum on 19 of 29 scenarios of 60-150 candidates): (bound, method, what its own fixings
        leave) after it. A bound within PROOF_TOLERANCE of the incumbent, or one on every other portfolio below
        it, proves the incumbent optimal: the bound becomes the incumbent's value. Where it does not, every item
        whose other choice it bounds below the incumbent keeps the incumbent's (150 candidates with levels:
        64-221 of 246-254 items), and the search after it runs on what is left. A relaxation that will not
        prove gives the time back (ABANDON), only once its fixings leave fewer than `search_items` free items
        when that is given."""
        assert self.incumbent is not None
        found = semidefinite.semidefinite_bound(reduced, incumbent=self.incumbent, abandon=ABANDON,
                                                search_items=search_items, time_limit=time_limit)
        assert found is not None                       # available() said so
        # on what the fixings keep; the portfolios they exclude are worth at most the incumbent
        tighter = max(found.bound, self.value)
        if found.others <= self.value or found.bound <= self.value + PROOF_TOLERANCE * max(1.0, abs(self.value)):
            tighter = self.value
        fix_in = fix_out = np.zeros(0, dtype=np.int64)
        if found.bound_in is not None and found.bound_out is not None:
            fix_in, fix_out = fixings(found.bound_in, found.bound_out, self.value, self.integral, reduced.forced_in,
                                      reduced.forced_out)
        if np.intersect1d(fix_in, fix_out).size:       # no portfolio beats the incumbent
            tighter = self.value
        else:
            reduced = reduced.with_fixed(fix_in, fix_out)
        self.stages.append(Stage("semidefinite bound", found.seconds, {
            "bound": float(min(bound, tighter)), "relaxation": found.bound, "others": found.others,
            "iterations": found.iterations, "status": found.status, "fixed_in": int(fix_in.size),
            "fixed_out": int(fix_out.size), "items_free": reduced.n_free}))
        if tighter < bound:
            return tighter, "the semidefinite relaxation (SCS)", reduced
        return bound, method, reduced

    def contradiction(self, fix_in: np.ndarray, fix_out: np.ndarray) -> bool:
        """Fixings that exclude each other: nothing beats the incumbent."""
        p = self.problem
        return bool(np.intersect1d(fix_in, fix_out).size or np.intersect1d(fix_in, p.forced_out).size
                    or np.intersect1d(fix_out, p.forced_in).size)

    def searched(self) -> bool:
        """Whether the branch and bound takes the whole problem (a classic QKP): its compiled root optimizes
        the same upper planes as the bound stage and fixes items at every node, so the numpy stage before it
        would only repeat it (it took 11-12 s of 13 at n = 300, the search 0.3 s: benchmarks/README.md)."""
        return (not self.mip_only and self.request.mip_gap is None and self.problem.n <= BNB_ITEMS
                and is_classic(self.problem) and available()[0]
                and resources.search_too_large(self.problem, self.request.memory_limit) is None)

    def exact(self) -> Result:
        """Bound and fixing, then branch and bound (classic QKPs) or HiGHS on what is left."""
        if self.searched():
            bound = min(self.cut_bound, trivial_bound(self.problem))
            self.stages.append(Stage("bound", 0.0, {
                "bound": float(bound), "method": "left to the branch and bound's root (the same upper planes, "
                                                 "compiled)", "fixed_in": 0, "fixed_out": 0, "rounds": 0}))
            if self.incumbent is not None and bool(no_better(bound, self.value, self.integral)):
                return self.finish(Termination.OPTIMAL, self.value, "the bound proves the heuristic portfolio optimal")
            return self.branch_and_bound(self.problem, self.incumbent, bound)
        bound, method, fix_in, fix_out = self.reduce()
        mip_gap = self.request.mip_gap
        if self.incumbent is not None and (bool(no_better(bound, self.value, self.integral))
                                           or self.contradiction(fix_in, fix_out)):
            return self.finish(Termination.OPTIMAL, self.value, "the bound proves the heuristic portfolio optimal")
        gap = None if self.incumbent is None else relative_gap(self.value, bound)     # no incumbent: value -inf
        if mip_gap is not None and gap is not None and gap <= mip_gap:
            return self.finish(Termination.OPTIMAL, bound, f"within mip_gap={mip_gap} by the {method} bound")
        reduced = self.problem.with_fixed(fix_in, fix_out)
        start = self.incumbent if self.incumbent is not None and self.respects(reduced, self.incumbent) else None
        if not self.mip_only and mip_gap is None and self.problem.n <= BNB_ITEMS and applies(reduced) is None \
                and available()[0]:          # without numba the MIP proves it instead
            too_large = resources.search_too_large(reduced, self.request.memory_limit)
            if too_large is not None:
                self.stages.append(Stage("branch-and-bound", 0.0, {"skipped": too_large}))
            elif is_classic(reduced):
                return self.branch_and_bound(reduced, start, bound)
            else:                             # first, with a share of the time; HiGHS on what it leaves open
                found, bound = self.tree(reduced, start, bound,
                                         self.clock.budget("search first", SEARCH_FIRST_SECONDS))
                if found.termination is not Termination.TIME_LIMIT:
                    return self.close(found, bound)
                if found.x is not None and found.objective >= self.value:
                    start = found.x           # it respects the fixings, which the incumbent may not
        if reduced.concave is not None and not self.mip_only and mip_gap is None and reduced.n <= OUTER_ITEMS \
                and self.clock.left() > 0.05:
            return self.outer(reduced, start, bound)
        skip, out_of_time = self.why_no_mip()
        if skip is not None:
            return self.search_instead(skip, out_of_time, bound, method)
        return self.mip(reduced, start, bound)

    def why_no_mip(self) -> tuple[str | None, bool]:
        """(why the MIP stage cannot run, whether that is for lack of time), or (None, False)."""
        problem, formulation = self.problem, self.formulation
        if self.clock.left() <= 0.05:
            return "no time left for the exact stage", True
        if problem.n_pairs > MIP_PAIR_LIMIT:
            return f"{problem.n_pairs} pairs are too many for the exact stage (limit {MIP_PAIR_LIMIT})", False
        too_large = resources.too_large(problem, formulation, "highs", self.request.memory_limit)
        if too_large:
            return too_large, False
        if self.request.time_limit is not None:
            build = resources.build_seconds(problem, formulation)
            if build > 0.5 * self.clock.left():  # the model would eat the time it needs to help
                return (f"building the {formulation} model takes about {build:.1f} s, more than half the time "
                        f"left; give a longer time limit for the exact stage"), True
        return None, False

    def search_instead(self, skip: str, out_of_time: bool, bound: float, method: str) -> Result:
        """No exact stage: the time it would have had goes to the search."""
        self.stages.append(Stage("mip", 0.0, {"skipped": skip}))
        left = self.clock.left() - 0.1
        if self.incumbent is not None and self.request.time_limit is not None and left > 0.5:
            more = tabu_search(self.problem, time_limit=left, seed=self.request.seed + 1, start=self.incumbent)
            self.stages.append(_search_stage(more))
            self.offer(more.x, more.objective)
            if more.termination is Termination.INTERRUPTED:
                return self.finish(Termination.INTERRUPTED, bound, "interrupted by the user")
        # stopped by the clock, or by size (then the heuristic portfolio is all there is: feasible, unproven)
        termination = Termination.TIME_LIMIT if out_of_time else Termination.FEASIBLE
        if self.incumbent is None:
            termination = Termination.TIME_LIMIT if out_of_time else Termination.ERROR
        return self.finish(termination, bound, f"heuristic portfolio, bound from {method}; {skip}")

    def mip(self, reduced: SelectionProblem, start: np.ndarray | None, bound: float) -> Result:
        """HiGHS on the reduced problem, started from the incumbent. Its bound covers the portfolios
        the fixings keep; the others are worth at most the incumbent."""
        left = self.clock.left_or_none(floor=0.05)
        mip = solve_with(get_solver("highs"), reduced, self.formulation, replace(self.request, time_limit=left), start)
        self.stages.append(Stage("mip", mip.total_seconds, {
            "termination": mip.termination.value, "objective": mip.objective,
            # the best valid bound after this stage; the MIP's own covers the reduced problem only
            "bound": bound if mip.bound is None else min(bound, max(mip.bound, self.value)),
            "mip_bound": mip.bound, "formulation": mip.formulation, "formulation_why": self.formulation_why,
            "highs_version": mip.solver_version,
            "nodes": mip.nodes, "items_free": reduced.n_free}))
        self.offer(mip.x, mip.objective if mip.objective is not None else -math.inf)
        if mip.termination is Termination.INFEASIBLE:
            if self.incumbent is None:
                return self.finish(Termination.INFEASIBLE, None, mip.message, mip)
            # nothing the fixings keep beats the incumbent
            return self.finish(Termination.OPTIMAL, self.value, "no portfolio beats the heuristic one", mip)
        overall = bound if mip.bound is None else min(bound, max(mip.bound, self.value))
        if mip.termination is Termination.OPTIMAL:
            return self.finish(Termination.OPTIMAL, self.value if self.request.mip_gap is None else overall,
                               mip.message, mip)
        if self.incumbent is not None and bool(no_better(overall, self.value, self.integral)):
            return self.finish(Termination.OPTIMAL, self.value, mip.message, mip)
        return self.finish(mip.termination, overall, mip.message, mip)

    def outer(self, reduced: SelectionProblem, start: np.ndarray | None, bound: float) -> Result:
        """The exact stage for problems that name the concave part of their pair terms: outer approximation
        (optimizer.engine.concave.concave_search) on what the reduction left, first with a share of the time
        (OUTER_FIRST_SECONDS without a limit); where that does not prove, the semidefinite bound, and if
        that does not prove either, the outer approximation again from the tangents and portfolio it had.
        On LIFTED_FIRST_ITEMS free items or more the semidefinite bound comes first."""
        skip = self.no_lifting(reduced)
        if skip is not None:             # the outer approximation alone, with all the time
            self.stages.append(Stage("semidefinite bound", 0.0, {"skipped": skip}))
        tangents = self.relaxed.points if self.relaxed is not None else ()
        found = None
        if skip is not None or reduced.n_free < LIFTED_FIRST_ITEMS:
            first = self.clock.budget("outer first", OUTER_FIRST_SECONDS) if skip is None else self.clock.left_or_none()
            found = self.approximate(reduced, start, bound, tangents, first)
            bound = min(bound, max(found.bound, self.value))
            if skip is not None or found.termination is not Termination.TIME_LIMIT \
                    or (self.request.time_limit is not None and self.clock.left() <= 0.5):
                return self.conclude(found.termination, bound, "outer approximation",
                                     f"on the concave part ({found.mips} MIPs)")
            start, tangents = found.x if found.x is not None else start, found.points
        # after the outer approximation's first turn, a share of the time, and a relaxation that will not prove
        # gives the time back to it; first, all the time, given back once the fixings leave what the outer
        # approximation can take (a MIP of 500 items overran its limit by 66 s at 300 candidates with levels)
        bound, method, reduced = self.lifted(
            reduced, bound, "outer approximation" if found else "concave relaxation",
            self.clock.share("semidefinite") if found else self.clock.left_or_none(),
            None if found else LIFTED_FIRST_ITEMS)
        if bool(no_better(bound, self.value, self.integral)):
            return self.finish(Termination.OPTIMAL, self.value, f"proved by {method}")
        if self.clock.left() <= 0.05:
            return self.finish(Termination.TIME_LIMIT, bound, f"time limit reached; bound from {method}")
        if self.incumbent is not None and self.respects(reduced, self.incumbent):
            start = self.incumbent
        found = self.approximate(reduced, start, bound, tangents, self.clock.left_or_none())
        bound = min(bound, max(found.bound, self.value))
        return self.conclude(found.termination, bound, "outer approximation",
                             f"on the concave part ({found.mips} MIPs)")

    def approximate(self, reduced: SelectionProblem, start: np.ndarray | None, bound: float,
                    tangents: Sequence[np.ndarray], time_limit: float | None) -> ConcaveSearch:
        """One run of the outer approximation, recorded as a stage; its portfolio is offered."""
        found = concave_search(reduced, time_limit=time_limit, start=start, tangents=tangents)
        assert found is not None                         # reduced.concave is set
        self.stages.append(Stage("outer approximation", found.seconds, {
            "termination": found.termination.value, "objective": found.objective if found.x is not None else None,
            "bound": min(bound, max(found.bound, self.value)), "root_bound": found.root_bound, "mips": found.mips,
            "items_free": reduced.n_free}))
        self.offer(found.x, found.objective)
        return found

    @staticmethod
    def respects(reduced: SelectionProblem, x: np.ndarray) -> bool:
        """Whether x keeps the fixings of `reduced`."""
        return bool(np.all(x[reduced.forced_in] == 1) and np.all(x[reduced.forced_out] == 0))

    def branch_and_bound(self, reduced: SelectionProblem, start: np.ndarray | None, bound: float) -> Result:
        """The exact stage for classic QKPs: optimizer.algorithms.branch_and_bound on what the reduction left."""
        return self.close(*self.tree(reduced, start, bound, self.clock.left_or_none()))

    def tree(self, reduced: SelectionProblem, start: np.ndarray | None, bound: float,
             time_limit: float | None) -> tuple[Outcome, float]:
        """Run the branch and bound on `reduced` and record its stage: (what it found, the best valid bound)."""
        found = branch_and_bound(reduced, incumbent=start, time_limit=time_limit)
        # the search's own bound (its root's, when cut short there) may be above the bound stage's
        overall = min(bound, max(found.bound, self.value)) if math.isfinite(found.bound) else bound
        self.stages.append(Stage("branch-and-bound", found.seconds, {
            "termination": found.termination.value, "objective": found.objective if found.x is not None else None,
            "bound": overall, "search_bound": found.bound, "root_bound": found.root_bound, "nodes": found.nodes,
            "relaxation": found.relaxation,
            "items_free": reduced.n_free}))
        self.offer(found.x, found.objective)
        return found, overall

    def close(self, found: Outcome, bound: float) -> Result:
        """The result after the branch and bound had the last word."""
        return self.conclude(found.termination, bound, "branch and bound", f"({found.nodes} nodes)", found.nodes)

    def conclude(self, termination: Termination, bound: float, method: str, detail: str,
                 nodes: int | None = None) -> Result:
        """The result after an exact search (`method`) that ran on what the fixings left had the last word."""
        if termination in (Termination.OPTIMAL, Termination.INFEASIBLE):
            if self.incumbent is None:
                return self.finish(Termination.INFEASIBLE, None, "no portfolio meets the constraints", nodes=nodes)
            # the search is exhausted: nothing the fixings keep beats x, and the rest is worth at most the incumbent
            return self.finish(Termination.OPTIMAL, self.value, f"proved by {method} {detail}", nodes=nodes)
        if termination is Termination.INTERRUPTED:
            return self.finish(termination, bound, "interrupted by the user", nodes=nodes)
        return self.finish(termination, bound, f"time limit reached in the {method}", nodes=nodes)

    # ------------------------------------------------------------------ the result
    def finish(self, termination: Termination, bound: float | None, message: str = "", mip: Result | None = None,
               nodes: int | None = None) -> Result:
        """The pipeline's Result, built once from the incumbent and the stages."""
        x = self.incumbent
        if x is not None and bound is not None:
            bound = max(bound, self.value)
        # every stage in the log, not only HiGHS's: a run that ended in the branch and bound or the
        # heuristic still says what it did (the harness keeps this log with --keep-logs)
        lines = ["auto pipeline: " + ", ".join(f"{k}={v}" for k, v in stage.items()) for stage in self.stages]
        log = "\n".join(lines) + ("\n\n" + mip.log if mip is not None and mip.log else "") + "\n"
        build = mip.build_seconds if mip else 0.0
        return Result(termination, x=x, objective=None if x is None else self.value,
                      bound=bound if x is not None or termination is not Termination.INFEASIBLE else None,
                      selected=() if x is None else tuple(self.problem.names[i] for i in np.flatnonzero(x)),
                      solver="auto", solver_version=OWN_SOLVER_VERSION,
                      formulation=mip.formulation if mip else "none", build_seconds=build,
                      solve_seconds=self.clock.elapsed() - build,
                      nodes=mip.nodes if mip else nodes, message=message, log=log, stages=tuple(self.stages))
