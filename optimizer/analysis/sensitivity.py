"""What it takes: for each candidate left out, the gain it would need to enter the best portfolio;
for each chosen partner, how far its gain can fall before it leaves.

    table = what_it_takes(scenario, time_limit=60)
    resources = resource_values(scenario, time_limit=60)    # what one more unit of each limit is worth
    entry = subsidy_to_enter(scenario, "C017", time_limit=60)   # the smallest subsidy that brings C017 in
    entry = limit_to_enter(scenario, "C017", "budget")          # the smallest budget that brings it in

Both thresholds are exact, from one solve each rather than a search: a bonus b on a partner's
gain (every engagement level of it) raises the value of every portfolio that holds it by b and
leaves the others unchanged, so

    entry(c) = f* - f*(c in)       a left-out candidate c enters once its gain rises by more
    margin(p) = f* - f*(p out)     a chosen partner p leaves once its gain falls by more

(f*: the best value; f*(c in): the best value of a portfolio holding c; f*(p out): without p).
Each row comes with the portfolio at that point (the best one holding c, or the best without p),
so a manager sees what would change, not only by how much. The thresholds are proven when both
solves are (`proven`); a candidate no feasible portfolio can hold, or a partner no feasible
portfolio can do without, says so instead of a number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from optimizer.analysis.frontier import frontier
from optimizer.core.errors import ProblemError
from optimizer.core.result import Result, Termination
from optimizer.domain.scenario import Scenario
from optimizer.domain.settings import Policy
from optimizer.engine.parallel import run_all
from optimizer.engine.solve import solve

COLUMNS = ("id", "name", "status", "threshold", "proven", "portfolio at threshold", "note")


def _solve_variant(scenario: Scenario, change: dict[str, Any], options: dict[str, Any]) -> Result:
    return solve(scenario.variant(scenario.name, **change), **options)


def what_it_takes(scenario: Scenario, *, candidates: Sequence[str] | None = None, jobs: int = 1,
                  **solve_options: Any) -> pd.DataFrame:
    """One row per candidate (all, or the ids in `candidates`): for one left out, `threshold` is the gain
    (points) it would need to gain to enter; for a chosen partner, the gain it can lose before it leaves
    (see the module docstring). `jobs` > 1 solves the variants in that many processes."""
    base = solve(scenario, **solve_options)
    if not base.has_solution:
        raise ProblemError(f"what_it_takes: scenario {scenario.name!r} has no portfolio ({base.termination.value}"
                           f"{': ' + base.message if base.message else ''}); there is nothing to measure against")
    ids = scenario.ids
    wanted = ids if candidates is None else [str(c) for c in candidates]
    unknown = [c for c in wanted if c not in set(ids)]
    if unknown:
        raise ProblemError(f"what_it_takes: {unknown[0]!r} is not a candidate id (ids are the candidates' id "
                           f"column: {', '.join(ids[:3])}, ...)", where=("candidates",))
    chosen = set(base.report.partners()["id"].astype(str))
    fixed_out, fixed_in = set(map(str, scenario.excluded)), set(map(str, scenario.mandatory))
    jobs_list = [(cid, {"force_in": [cid]} if cid not in chosen else {"exclude": [cid]}) for cid in wanted
                 if cid not in fixed_out and cid not in fixed_in]
    solved = run_all(_solve_variant, [(scenario, change, solve_options) for _, change in jobs_list], jobs=jobs)
    results = dict(zip((cid for cid, _ in jobs_list), solved))
    names = dict(zip(ids, scenario.candidates["name"].astype(str)))
    rows = [_row(cid, names[cid], cid in chosen, base, results.get(cid), cid in fixed_out, cid in fixed_in)
            for cid in wanted]
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table.attrs["scenario"] = scenario.name
    return table


def _row(cid: str, name: str, chosen: bool, base: Result, res: Result | None, excluded: bool,
         mandatory: bool) -> dict[str, Any]:
    status = "chosen" if chosen else "left out"
    row: dict[str, Any] = {"id": cid, "name": name, "status": status, "threshold": math.nan, "proven": False,
                           "portfolio at threshold": "", "note": ""}
    if excluded or mandatory:
        row["note"] = "excluded by the scenario" if excluded else "mandatory in the scenario"
        return row
    assert res is not None
    if not res.has_solution:
        row["note"] = ("no feasible portfolio holds it" if not chosen else "no feasible portfolio does without it") \
            + ("" if res.termination is Termination.INFEASIBLE else f" was found ({res.termination.value})")
        row["proven"] = res.termination is Termination.INFEASIBLE and base.termination is Termination.OPTIMAL
        return row
    row["threshold"] = float(base.objective - res.objective)
    row["proven"] = base.termination is Termination.OPTIMAL and res.termination is Termination.OPTIMAL
    row["portfolio at threshold"] = ", ".join(res.report.partners()["id"].astype(str))
    row["note"] = (f"enters if its gain rises by more than {row['threshold']:.4g} points" if not chosen else
                   f"leaves if its gain falls by more than {row['threshold']:.4g} points")
    return row


def resource_values(scenario: Scenario, *, unit: float = 1.0, **solve_options: Any) -> pd.DataFrame:
    """For each limited resource, the objective gained with `unit` more of it (an exact re-solve at
    limit + unit, not a dual price of a linearization), with the portfolio there."""
    base = solve(scenario, **solve_options)
    if not base.has_solution:
        raise ProblemError(f"resource_values: scenario {scenario.name!r} has no portfolio ({base.termination.value})")
    rows = []
    for resource, limit in scenario.limits.items():
        res = solve(scenario.variant(scenario.name, **{"limits": {resource: limit + unit}}), **solve_options)
        value = float(res.objective - base.objective) if res.has_solution else math.nan
        rows.append({"resource": resource, "limit": limit, "unit": unit, "value of one more unit": value,
                     "proven": base.termination is Termination.OPTIMAL and res.termination is Termination.OPTIMAL,
                     "portfolio": ", ".join(res.report.partners()["id"].astype(str)) if res.has_solution else ""})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class EntryPoint:
    """The smallest change of one setting at which a candidate left out enters the best portfolio."""

    candidate: str
    setting: str                      # a limit's name ("budget") or "subsidy share"
    value: float | None               # the setting's value there; None: no such value (`note` says why)
    portfolio: tuple[str, ...] = ()   # the best portfolio at that value (partner ids)
    proven: bool = False              # every solve behind the value proven optimal
    note: str = ""

    def __str__(self) -> str:
        if self.value is None:
            return f"{self.candidate}: {self.note}"
        at = f"{self.value:.0%}" if self.setting == "subsidy share" else f"{self.value:.6g}"
        text = f"{self.candidate} enters at {self.setting} {at}"
        if self.portfolio:
            text += f" (portfolio there: {', '.join(self.portfolio)})"
        return text + ("" if self.proven else " [not proven: a solve stopped early]") + \
            (f"; {self.note}" if self.note else "")


def _check_candidate(scenario: Scenario, candidate: str, caller: str) -> str:
    if str(candidate) not in set(scenario.ids):
        raise ProblemError(f"{caller}: {candidate!r} is not a candidate id (ids are the candidates' id column: "
                           f"{', '.join(scenario.ids[:3])}, ...)", where=("candidate",))
    return str(candidate)


def _partners(res: Result) -> tuple[str, ...]:
    return tuple(res.report.partners()["id"].astype(str)) if res.has_solution else ()


def subsidy_to_enter(scenario: Scenario, candidate: str, *, tolerance: float = 0.01,
                     **solve_options: Any) -> EntryPoint:
    """The smallest share of `candidate`'s budget cost a subsidy must pay for it to enter the best
    portfolio (within `tolerance`), with the portfolio there. A subsidy only loosens the budget for
    portfolios that hold the candidate, so entry is monotone in the share and bisection finds it;
    each step is a solve."""
    cid = _check_candidate(scenario, candidate, "subsidy_to_enter")
    setting = "subsidy share"
    if Policy.SUBSIDISED_RESOURCE not in scenario.limits:
        return EntryPoint(cid, setting, None, note=f"the scenario has no {Policy.SUBSIDISED_RESOURCE} limit for "
                                                   f"a subsidy to loosen")
    existing = scenario.policy.subsidies.get(cid, 0.0)
    solved: dict[float, Result] = {}

    def enters(share: float) -> bool:
        solved[share] = solve(scenario.variant(scenario.name, subsidies={cid: share}), **solve_options)
        return cid in _partners(solved[share])

    def proven() -> bool:
        return all(r.termination is Termination.OPTIMAL for r in solved.values())

    if enters(existing):
        return EntryPoint(cid, setting, existing, _partners(solved[existing]), proven(),
                          "already in the best portfolio")
    row = scenario.ids.index(cid)
    others = scenario.policy_vector({k: v for k, v in scenario.policy.subsidies.items() if k != cid})[row]
    top = max(existing, 1.0 - float(others))   # the subsidies a candidate gets add up to at most the whole cost
    if not enters(top):
        return EntryPoint(cid, setting, None, proven=proven(),
                          note=f"not even a subsidy of {top:.0%} of its budget cost brings it in")
    low, high = existing, top
    while high - low > tolerance:
        mid = (low + high) / 2
        low, high = (low, mid) if enters(mid) else (mid, high)
    return EntryPoint(cid, setting, high, _partners(solved[high]), proven())


def limit_to_enter(scenario: Scenario, candidate: str, resource: str = "budget", *, points: int = 5,
                   **solve_options: Any) -> EntryPoint:
    """The smallest `resource` limit (at or above today's) at which `candidate` enters the best
    portfolio, with the portfolio there; exact, from the frontier of that limit.

    Beyond the use U of the best portfolio with no limit on the resource nothing changes, so the
    frontier from today's limit to U (`points` values, refined wherever the portfolio changes:
    optimizer.analysis.frontier) lists every best portfolio in between; the candidate enters at the
    use of the first one that holds it."""
    cid = _check_candidate(scenario, candidate, "limit_to_enter")
    if resource not in scenario.limits:
        raise ProblemError(f"limit_to_enter: {resource!r} is not a limit of the scenario (limits: "
                           f"{', '.join(scenario.limits)})", where=("resource",))
    today = float(scenario.limits[resource])
    problem = scenario.compile().problem
    row = problem.A[problem.row_names.index(resource)]
    unlimited = solve(scenario.variant(scenario.name, limits={resource: max(today, float(row[row > 0].sum()))}),
                      **solve_options)
    if not unlimited.has_solution:
        return EntryPoint(cid, resource, None, note=f"no portfolio is feasible even with no {resource} limit")
    top = float(row @ unlimited.x)
    fr = frontier(scenario, vary=resource, values=np.linspace(today, max(today, top), max(2, points)) if top > today
                  else [today], **solve_options)
    table = fr.table
    for k in range(len(table)):
        point = table.iloc[k]
        chosen = fr.comparison._partners(point["scenario"]) if point["termination"] != "infeasible" else {}
        if cid in chosen:
            proven = bool(table["optimal"].iloc[:k + 1].all() and (k == 0 or point["exact"]))
            value = today if k == 0 else float(point["used"])
            note = "already in the best portfolio" if k == 0 else ""
            return EntryPoint(cid, resource, value, tuple(sorted(chosen)), proven, note)
    return EntryPoint(cid, resource, None, proven=bool(table["optimal"].all()),
                      note=f"no {resource} increase brings it in: the best portfolio at every {resource} from "
                           f"{today:.6g} up to {top:.6g}, where the limit stops binding, leaves it out")
