"""Efficient frontiers: the best portfolio as one limit (or the weight of the costs) varies.

    frontier(base, vary="budget", values=np.linspace(60, 200, 10))

Drawn by optimizer.reports.figures.plot_frontier; nothing here draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from optimizer.analysis.compare import Comparison, compare
from optimizer.core.errors import ProblemError
from optimizer.core.result import Result, Termination
from optimizer.domain.scenario import Scenario


@dataclass
class Frontier:
    """Points of an efficient frontier: one solved scenario per value of the varied setting."""

    vary: str
    table: pd.DataFrame          # one row per value: value, objective, bound, gap, termination, size, ...
    comparison: Comparison

    def changes(self) -> pd.DataFrame:
        """Rows where the portfolio changes from the previous value, with what came in and went out."""
        return self.table[self.table["changed"]]



def frontier(scenario: Scenario, *, vary: str = "budget", values: Sequence[float] | None = None, points: int = 10,
             jobs: int = 1, **solve_options: Any) -> Frontier:
    """The efficient frontier of `scenario` as one setting varies.

    `vary` is a limit name (the budget, the management capacity, ...): each point is the best
    portfolio within that limit, the epsilon-constraint frontier of that resource.
    `vary="cost_weight"` multiplies every cost weight of the scoring (redundancy, conflict,
    coordination, complexity) by each value: the weighted-sum frontier between knowledge
    gains and costs. Every point's `gain` and `cost` columns are measured with the base
    scenario's weights, so points compare. Without `values`, `points` values are spread
    from 40% to 120% of the base limit (0 to 2 for cost_weight). Each point is solved to
    optimality unless a time limit stops it; the `optimal` and `gap` columns say which.
    """
    if vary != "cost_weight" and vary not in scenario.limits:
        raise ProblemError(f"frontier: cannot vary {vary!r}; vary one of the limits ({', '.join(scenario.limits)}) "
                           f"or cost_weight")
    if values is None and (isinstance(points, bool) or not isinstance(points, int) or points < 1):
        raise ProblemError(f"frontier: points = {points!r}; give a whole number of points >= 1 (or values=[...])")
    if values is None:
        if vary == "cost_weight":
            values = np.linspace(0.0, 2.0, points)
        else:
            base = float(scenario.limits[vary])
            values = np.linspace(0.4 * base, 1.2 * base, points)
    values = [float(v) for v in values]
    if not values:
        raise ProblemError("frontier: give at least one value")
    bad = [v for v in values if not np.isfinite(v) or v < 0]
    if bad:
        raise ProblemError(f"frontier: {vary} = {bad[0]!r} is not a limit (a finite number >= 0)")
    change = (lambda v: {"cost_weight": v}) if vary == "cost_weight" else (lambda v: {"limits": {vary: v}})
    variants = [scenario.variant(f"{vary}={v:.6g}", **change(v)) for v in values]
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        raise ProblemError("frontier: values repeat; give distinct values")
    cmp = compare(variants, jobs=jobs, **solve_options)
    base = scenario.compile()
    rows, previous = [], None
    for value, name in zip(values, names):
        res = cmp.results[name]
        chosen = frozenset(cmp._partners(name))
        rows.append({"value": value, "scenario": name, "termination": res.termination.value,
                     "optimal": res.termination is Termination.OPTIMAL, "objective": res.objective,
                     "bound": res.bound, "gap": res.gap, "size": len(chosen),
                     **_gain_cost(base, res),
                     "changed": previous is not None and chosen != previous,
                     "added": ", ".join(sorted(chosen - previous)) if previous is not None else "",
                     "dropped": ", ".join(sorted(previous - chosen)) if previous is not None else "",
                     "seconds": res.total_seconds})
        previous = chosen
    return Frontier(vary, pd.DataFrame(rows), cmp)


def _gain_cost(base, res: Result) -> dict[str, float | None]:
    """Gains and costs of a point's portfolio, with the base scenario's weights."""
    if not res.has_solution or res.x.shape[0] != base.problem.n:
        return {"gain": None, "cost": None}
    terms = base.breakdown(res.x)
    cost = -sum(v for k, v in terms.items() if base.terms[k].role == "cost")
    return {"gain": sum(v for k, v in terms.items() if base.terms[k].role == "gain"), "cost": cost}
