"""A misbehaving solver adapter for tests: registered temporarily as "fake:<mode>".

The adapter works on the problem directly (no formulation). It finds the true
optimum by enumeration, then answers according to its mode:

    ok               the true optimum, honestly reported
    infeasible_x     claims optimality with an x that breaks a constraint (all items chosen)
    wrong_objective  the optimal x with an objective that is off by 10
    raise            raises RuntimeError("solver exploded")
    no_x             claims optimality without a solution
    low_bound        the optimum with a bound below it
    fractional       claims optimality with x = 0.5 everywhere
    nan              claims optimality with x and objective all NaN (no bound)
    abort            kills its own process (os.abort), as a crashing native solver would
    hang             sleeps forever, ignoring its time limit
"""

from __future__ import annotations

import os
import time

import numpy as np

from optimizer.core.result import Termination
from optimizer.solvers import bruteforce
from optimizer.solvers.base import Adapter as SolverBase
from optimizer.solvers.base import Capabilities, RawAnswer, SolveOptions

MODES = ("ok", "infeasible_x", "wrong_objective", "raise", "no_x", "low_bound", "fractional", "nan", "abort", "hang")


class Adapter(SolverBase):
    """Test double: an adapter like any other, declaring what it can do."""

    capabilities = Capabilities(model=False, suffix="optional")

    def __init__(self, mode: str = "ok") -> None:
        if mode not in MODES:
            raise ValueError(f"fake solver mode {mode!r} unknown; modes: {', '.join(MODES)}")
        self.mode = mode
        self.name = f"fake:{mode}"

    def availability(self) -> tuple[bool, str]:
        return True, "test double"

    def solve(self, problem, model, options: SolveOptions) -> RawAnswer:
        if self.mode == "raise":
            raise RuntimeError("solver exploded")
        if self.mode == "abort":
            os.abort()
        if self.mode == "hang":
            while True:
                time.sleep(1)
        truth = bruteforce.Adapter().solve(problem, None, SolveOptions())
        n = problem.n
        if self.mode == "ok":
            return truth
        if self.mode == "infeasible_x":
            return RawAnswer(Termination.OPTIMAL, x=np.ones(n), objective=problem.objective(np.ones(n)),
                             bound=problem.objective(np.ones(n)), version="fake")
        if self.mode == "wrong_objective":
            return RawAnswer(Termination.OPTIMAL, x=truth.x, objective=truth.objective + 10.0,
                             bound=truth.objective + 10.0, version="fake")
        if self.mode == "no_x":
            return RawAnswer(Termination.OPTIMAL, bound=truth.objective, version="fake")
        if self.mode == "low_bound":
            return RawAnswer(Termination.OPTIMAL, x=truth.x, objective=truth.objective, bound=truth.objective - 5.0,
                             version="fake")
        if self.mode == "fractional":
            return RawAnswer(Termination.OPTIMAL, x=np.full(n, 0.5), objective=truth.objective, version="fake")
        return RawAnswer(Termination.OPTIMAL, x=np.full(n, np.nan), objective=float("nan"), version="fake")
