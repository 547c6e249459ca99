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
    table: pd.DataFrame          # one row per value: value, used, current, objective, bound, gap, termination, ...
    comparison: Comparison
    refined: int = 0             # points added between the values to find where the portfolio changes

    def changes(self) -> pd.DataFrame:
        """Rows where the portfolio changes from the previous value, with what came in and went out."""
        return self.table[self.table["changed"]]

    def steps(self) -> pd.DataFrame:
        """The frontier as a step function: one row per portfolio, best for every value from `start`
        up to the next row's `start` (the last up to `end`, the largest value solved). For a limit,
        `start` is what the portfolio uses; for the cost weight, the first weight that chose it.
        `current` marks the step that holds the scenario's current limit (weight 1)."""
        t = self.table
        rows: list[dict[str, Any]] = []
        for k in range(len(t)):
            row = t.iloc[k]
            current = bool(row.get("current", False))
            if k and not row["changed"]:
                rows[-1]["optimal"] = rows[-1]["optimal"] and bool(row["optimal"])
                rows[-1]["current"] = rows[-1]["current"] or current
                continue
            used = row.get("used")
            limit = self.vary != "cost_weight" and used is not None and not pd.isna(used)
            rows.append({"start": float(used) if limit else float(row["value"]), "end": None,
                         "objective": row["objective"], "size": row["size"], "termination": row["termination"],
                         "optimal": bool(row["optimal"]), "added": row["added"], "dropped": row["dropped"],
                         "exact": bool(row.get("exact", False)), "current": current})
        for k, step in enumerate(rows):
            step["end"] = rows[k + 1]["start"] if k + 1 < len(rows) else float(t["value"].max())
        return pd.DataFrame(rows, columns=["start", "end", "objective", "size", "termination", "optimal", "added",
                                           "dropped", "exact", "current"])



def frontier(scenario: Scenario, *, vary: str = "budget", values: Sequence[float] | None = None, points: int = 10,
             jobs: int = 1, **solve_options: Any) -> Frontier:
    """The efficient frontier of `scenario` as one setting varies.

    `vary` is a limit name (the budget, the management capacity, ...): each point is the best
    portfolio within that limit, the epsilon-constraint frontier of that resource. The scenario's
    current limit is always one of the points (``current`` marks it), and the frontier is exact
    between the points: wherever the portfolio changes between two points, the limit just below
    the new portfolio's own use is solved too, until the portfolio found there is the previous
    one. So each portfolio of the table is the best for every limit from its own use (``used``)
    up to the next point's use, and a change happens exactly at ``used`` (``exact``).
    `vary="cost_weight"` multiplies every cost weight of the scoring (redundancy, conflict,
    coordination, complexity) by each value: the weighted-sum frontier between knowledge
    gains and costs. Every point's `gain` and `cost` columns are measured with the base
    scenario's weights, so points compare. Without `values`, `points` values are spread
    from 40% to 120% of the base limit (0 to 2 for cost_weight). Values are solved in
    increasing order. Each point is solved to optimality unless a time limit stops it; the
    `optimal` and `gap` columns say which.
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
    if len(set(values)) != len(values):
        raise ProblemError("frontier: values repeat; give distinct values")
    current = 1.0 if vary == "cost_weight" else float(scenario.limits[vary])
    values = sorted(set(values) | {current})
    cmp = compare([_point(scenario, vary, v) for v in values], jobs=jobs, **solve_options)
    names = list(cmp.names)
    refined = 0
    if vary != "cost_weight":
        names, refined = _refine(scenario, vary, cmp, names, solve_options)
    base = scenario.compile()
    rows, previous = [], None
    for k, name in enumerate(names):
        res = cmp.results[name]
        value = float(cmp.scenarios[name].limits[vary]) if vary != "cost_weight" else values[k]
        chosen = frozenset(cmp._partners(name)) if res.has_solution else None
        used = _use(cmp, name, vary) if vary != "cost_weight" and res.has_solution else None
        changed = k > 0 and chosen != previous
        rows.append({"value": value, "used": used, "current": value == current, "scenario": name,
                     "termination": res.termination.value, "optimal": res.termination is Termination.OPTIMAL,
                     "objective": res.objective, "bound": res.bound, "gap": res.gap,
                     "size": len(chosen) if chosen is not None else 0, **_gain_cost(base, res),
                     "changed": changed,
                     "added": ", ".join(sorted((chosen or set()) - (previous or set()))) if k else "",
                     "dropped": ", ".join(sorted((previous or set()) - (chosen or set()))) if k else "",
                     "seconds": res.total_seconds})
        previous = chosen
    table = pd.DataFrame(rows)
    if vary != "cost_weight":
        table["exact"] = _exact_changes(table)
    return Frontier(vary, table, cmp, refined)


#: at most this many extra solves find where the portfolio changes between the points
MAX_REFINEMENTS = 40


def _point(scenario: Scenario, vary: str, value: float) -> Scenario:
    change = {"cost_weight": value} if vary == "cost_weight" else {"limits": {vary: value}}
    return scenario.variant(f"{vary}={value:.10g}", **change)


def _refine(scenario: Scenario, vary: str, cmp: Comparison, names: list[str],
            solve_options: dict[str, Any]) -> tuple[list[str], int]:
    """Solve just below each new portfolio's own use until the portfolio found there is the previous
    one: then the change happens exactly at that use. Points are added to `cmp` in place."""
    def portfolio(name: str) -> frozenset[str] | None:
        return frozenset(cmp._partners(name)) if cmp.results[name].has_solution else None

    names, extra, k = list(names), 0, 1
    while k < len(names) and extra < MAX_REFINEMENTS:
        before, after = names[k - 1], names[k]
        if portfolio(before) == portfolio(after) or not cmp.results[after].has_solution:
            k += 1
            continue
        below = _use(cmp, after, vary) - 1e-6 * max(1.0, abs(_use(cmp, after, vary)))
        if below <= float(cmp.scenarios[before].limits[vary]):
            k += 1
            continue
        point = _point(scenario, vary, below)
        if point.name in cmp.results:
            k += 1
            continue
        cmp.scenarios[point.name] = point
        cmp.results[point.name] = compare([point], **solve_options).results[point.name]
        names.insert(k, point.name)
        extra += 1
    return names, extra


def _use(cmp: Comparison, name: str, resource: str) -> float:
    """What scenario `name`'s portfolio uses of `resource`."""
    res = cmp.results[name]
    problem = res.report.compiled.problem
    return float(problem.A[problem.row_names.index(resource)] @ res.x)


def _exact_changes(table: pd.DataFrame) -> list[bool]:
    """A change is exact when the point just below the new portfolio's use has the previous portfolio
    (both proven optimal): nothing else is best in between."""
    out = []
    for k in range(len(table)):
        row = table.iloc[k]
        if not row["changed"] or row["used"] is None or pd.isna(row["used"]):
            out.append(False)
            continue
        before = table.iloc[k - 1]
        out.append(bool(row["optimal"] and before["optimal"]
                        and before["value"] >= row["used"] - 2e-6 * max(1.0, abs(row["used"]))))
    return out
def _gain_cost(base, res: Result) -> dict[str, float | None]:
    """Gains and costs of a point's portfolio, with the base scenario's weights."""
    if not res.has_solution or res.x.shape[0] != base.problem.n:
        return {"gain": None, "cost": None}
    terms = base.breakdown(res.x)
    cost = -sum(v for k, v in terms.items() if base.terms[k].role == "cost")
    return {"gain": sum(v for k, v in terms.items() if base.terms[k].role == "gain"), "cost": cost}
