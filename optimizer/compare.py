"""Scenario comparison and efficient frontiers: how the best portfolio moves with goals,
means and policy.

    cmp = compare([base, base.variant("lean", scale_limits={"budget": 0.7})], time_limit=60)
    cmp.summary()          # one column per scenario: objective, bound, gap, terms, metrics, slack
    cmp.portfolios()       # partners x scenarios: the engagement level chosen ('' when left out)
    cmp.diff("base", "lean")
    frontier(base, vary="budget", values=np.linspace(60, 200, 10))
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from optimizer.errors import ProblemError
from optimizer.result import Result, Termination
from optimizer.scenario import Scenario


def _solve_one(scenario: Scenario, options: dict) -> Result:
    from optimizer.solve import solve

    return solve(scenario, **options)


@dataclass
class Comparison:
    """Solved scenarios side by side (in the order given)."""

    scenarios: dict[str, Scenario]
    results: dict[str, Result]
    solve_options: dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """Scenario names, in order."""
        return list(self.scenarios)

    def _report(self, name: str):
        if name not in self.results:
            raise KeyError(f"no scenario named {name!r}; scenarios: {', '.join(self.names)}")
        return self.results[name].report

    def summary(self) -> pd.DataFrame:
        """One column per scenario; rows: termination, objective, bound, gap, each objective term,
        the portfolio metrics, resource use, slack, and cost per resource (objective / use)."""
        columns = {}
        for name in self.names:
            res, rep = self.results[name], self._report(name)
            col: dict[str, Any] = {"termination": res.termination.value, "objective": res.objective,
                                   "bound": res.bound, "gap": res.gap}
            if res.has_solution:
                col.update({f"term: {k}": v for k, v in rep.breakdown().items()})
                m = rep.metrics()
                for key in ("size", "domains_covered", "redundancy_density", "foreign_share", "regions", "levels"):
                    col[key] = m[key]
                for limit in self.scenarios[name].limits:
                    use = float(m[f"use_{limit}"])
                    col[f"use {limit}"] = use
                    col[f"slack {limit}"] = float(m[f"slack_{limit}"])
                    col[f"objective per {limit}"] = res.objective / use if use > 1e-12 else None
            else:
                col["note"] = res.message or "no portfolio found"
            col["seconds"] = res.total_seconds
            columns[name] = col
        table = pd.DataFrame(columns)
        # keep a readable row order: status, values, terms, metrics, resources
        return table.reindex(_row_order(table.index))

    def portfolios(self) -> pd.DataFrame:
        """Partners x scenarios: the engagement level of each chosen partner ('chosen' without
        levels, '' when left out); partners chosen nowhere are left out of the table."""
        frames = []
        for name in self.names:
            rep = self._report(name)
            p = rep.partners() if self.results[name].has_solution else pd.DataFrame(columns=["id", "name", "level"])
            level = p["level"].where(p["level"].astype(str) != "", "chosen") if len(p) else p["level"]
            frames.append(pd.Series(level.to_numpy(), index=pd.Index(p["id"].astype(str), name="id"), name=name))
        table = pd.concat(frames, axis=1).fillna("") if frames else pd.DataFrame()
        cand = next(iter(self.scenarios.values())).candidates.set_index(cand_id := "id")
        cand.index = cand.index.astype(str)
        table.insert(0, "name", cand.loc[table.index, "name"].to_numpy())
        table.insert(1, "region", cand.loc[table.index, "region"].to_numpy())
        chosen_in = (table[self.names] != "").sum(axis=1)
        return table.assign(_n=-chosen_in).sort_values(["_n", "name"]).drop(columns="_n")

    def diff(self, a: str, b: str) -> pd.DataFrame:
        """Partners added (in b, not in a) and dropped (in a, not in b), with each one's contribution:
        its marginal value in the portfolio that has it (objective lost if it were dropped)."""
        rows = []
        pa, pb = self._partners(a), self._partners(b)
        for change, src, other, where in (("added", pb, pa, b), ("dropped", pa, pb, a)):
            for pid, row in src.items():
                if pid not in other:
                    rows.append({"change": change, "id": pid, "name": row["name"], "region": row["region"],
                                 "level": row["level"], "contribution": row["marginal"], "in": where})
            if change == "added":
                for pid, row in src.items():  # same partner, another engagement level
                    if pid in other and row["level"] != other[pid]["level"]:
                        rows.append({"change": "level", "id": pid, "name": row["name"], "region": row["region"],
                                     "level": f"{other[pid]['level']} -> {row['level']}",
                                     "contribution": row["marginal"], "in": where})
        cols = ["change", "id", "name", "region", "level", "contribution", "in"]
        return pd.DataFrame(rows, columns=cols)

    def _partners(self, name: str) -> dict[str, dict]:
        if not self.results[name if name in self.results else self._report(name)].has_solution:
            return {}
        p = self._report(name).partners()
        return {str(r["id"]): r for r in p.to_dict("records")}

    def term_changes(self, a: str, b: str) -> pd.Series:
        """Change of each objective term from scenario a to scenario b (why the objective moved)."""
        ta = self._report(a).breakdown() if self.results[a].has_solution else None
        tb = self._report(b).breakdown() if self.results[b].has_solution else None
        if ta is None or tb is None:
            return pd.Series(dtype=float)
        return (tb - ta).rename(f"{b} - {a}")

    def plot(self, path: str | Path) -> list[Path]:
        """Figures for people: metrics side by side, and a network drawing of each portfolio.
        Writes PNG files named after `path` (a folder, or a file name whose stem prefixes them)."""
        from optimizer.figures import plot_comparison

        return plot_comparison(self, Path(path))


def _row_order(index: Iterable[str]) -> list[str]:
    head = ["termination", "objective", "bound", "gap", "note"]
    idx = list(index)
    terms = [r for r in idx if r.startswith("term: ")]
    metrics = ["size", "domains_covered", "redundancy_density", "foreign_share", "regions", "levels"]
    resources = [r for r in idx if r.startswith(("use ", "slack ", "objective per "))]
    ordered = [r for r in head if r in idx] + terms + [r for r in metrics if r in idx] + resources
    return ordered + [r for r in idx if r not in ordered]


def compare(scenarios: Sequence[Scenario] | Mapping[str, Scenario], *, jobs: int = 1,
            **solve_options: Any) -> Comparison:
    """Solve every scenario (`jobs` at a time, each in its own process when jobs > 1) and
    return the :class:`Comparison`. `solve_options` go to :func:`optimizer.solve`."""
    if isinstance(scenarios, Mapping):
        named = {str(k): v for k, v in scenarios.items()}
    else:
        named = {}
        for sc in scenarios:
            if sc.name in named:
                raise ProblemError(f"two scenarios are named {sc.name!r}; give each variant its own name")
            named[sc.name] = sc
    if not named:
        raise ProblemError("compare() needs at least one scenario")
    for name, sc in named.items():
        if not isinstance(sc, Scenario):
            raise ProblemError(f"compare(): {name!r} is a {type(sc).__name__}, not a Scenario")
    ids = [tuple(sorted(sc.candidates["id"].astype(str))) for sc in named.values()]
    if len(set(ids)) > 1:
        raise ProblemError("compare() takes variants of one scenario: the candidate tables differ")
    if jobs > 1 and len(named) > 1:
        with ProcessPoolExecutor(max_workers=min(jobs, len(named))) as pool:
            futures = {n: pool.submit(_solve_one, sc, solve_options) for n, sc in named.items()}
            results = {n: f.result() for n, f in futures.items()}
    else:
        results = {n: _solve_one(sc, solve_options) for n, sc in named.items()}
    return Comparison(named, results, dict(solve_options))


@dataclass
class Frontier:
    """Points of an efficient frontier: one solved scenario per value of the varied setting."""

    vary: str
    table: pd.DataFrame          # one row per value: value, objective, bound, gap, termination, size, ...
    comparison: Comparison

    def changes(self) -> pd.DataFrame:
        """Rows where the portfolio changes from the previous value, with what came in and went out."""
        return self.table[self.table["changed"]]

    def plot(self, path: str | Path) -> Path:
        """The frontier as a figure (objective and bound against the varied setting; portfolio changes marked)."""
        from optimizer.figures import plot_frontier

        return plot_frontier(self, Path(path))


#: objective terms that are costs (the rest are gains: diversity, reputation, bonus, synergy, foreign)
COST_TERMS = ("coordination", "redundancy", "ties", "conflict", "complexity")


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
    cost = -sum(v for k, v in terms.items() if k in COST_TERMS)
    return {"gain": sum(v for k, v in terms.items() if k not in COST_TERMS), "cost": cost}
