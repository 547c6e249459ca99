"""Portfolio report of a solved scenario: metrics, objective breakdown, marginal values, why-not.

Everything is computed from the compiled scenario and the verified x, never
from solver output, so the breakdown sums to the verified objective.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optimizer.core.result import Result, Termination
from optimizer.core.verify import violations
from optimizer.domain.compile import CompiledScenario
from optimizer.domain.scoring import overlap
from optimizer.domain.settings import flag_values


def _consistent_aux(compiled: CompiledScenario, x: np.ndarray) -> np.ndarray:
    """x with the auxiliary foreign-count items reset to match the chosen partners."""
    aux = np.flatnonzero(compiled.item_candidate < 0)
    if aux.size == 0:
        return x
    x = x.copy()
    foreign = flag_values(compiled.scenario.candidates["foreign"])
    partners = compiled.partner_items
    count = int(round(x[partners] @ foreign[compiled.item_candidate[partners]]))
    x[aux] = 0.0
    x[aux[:count]] = 1.0
    return x


@dataclass
class WhyNot:
    """The best portfolio that includes one partner, and what including it costs."""

    partner: str
    feasible: bool
    cost: float | None             # objective lost against the reported portfolio (>= 0 when both optimal)
    objective: float | None
    portfolio: tuple[str, ...]
    added: tuple[str, ...]
    dropped: tuple[str, ...]
    termination: Termination
    message: str = ""

    def __str__(self) -> str:
        if not self.feasible:
            return f"{self.partner}: no feasible portfolio includes it ({self.message})"
        return (f"{self.partner}: best portfolio with it scores {self.objective:.6g} "
                f"(cost {self.cost:.6g}); adds {', '.join(self.added) or '-'}; drops {', '.join(self.dropped) or '-'}"
                + (f" [{self.termination.value}]" if self.termination is not Termination.OPTIMAL else ""))


@dataclass
class PortfolioReport:
    """Metrics of MODEL.md for one solved scenario, as DataFrames and text."""

    compiled: CompiledScenario
    result: Result
    solve_options: dict[str, Any] = field(default_factory=dict)
    #: how to solve a changed scenario (for why_not): the engine passes its own `solve`, so that this
    #: module, below the engine, never imports it
    resolve: Callable[..., Result] | None = None

    # ----------------------------------------------------------------- basics
    @property
    def x(self) -> np.ndarray:
        """The verified item vector (zeros when no portfolio was found)."""
        return np.zeros(self.compiled.problem.n) if self.result.x is None else self.result.x.astype(float)

    def chosen_items(self) -> np.ndarray:
        """Indices of chosen partner items (auxiliary items left out)."""
        p = self.compiled.partner_items
        return p[self.x[p] > 0.5]

    def breakdown(self) -> pd.Series:
        """Objective by term (diversity, reputation, bonus, coordination, foreign, synergy,
        redundancy, ties, conflict, complexity); the terms sum to the objective."""
        return pd.Series(self.compiled.breakdown(self.x), name="objective")

    def partners(self) -> pd.DataFrame:
        """One row per chosen partner: who, level, gain, marginal contribution, resource use."""
        comp, prob = self.compiled, self.compiled.problem
        cand = comp.scenario.candidates.reset_index(drop=True)
        items = self.chosen_items()
        rows = cand.iloc[comp.item_candidate[items]][["id", "name", "region", "country", "foreign", "industry"]].copy()
        rows.insert(2, "level", [comp.item_level[i] for i in items])
        rows["gain"] = prob.c[items]
        marg, feas = self._marginal(items)
        rows["marginal"] = marg
        rows["removable"] = feas
        for r, name in enumerate(prob.row_names):
            if name in comp.scenario.limits:
                rows[f"use_{name}"] = prob.A[r, items]
        return rows.reset_index(drop=True)

    def _marginal(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Objective change if each chosen partner were dropped, and whether that stays feasible."""
        prob, x = self.compiled.problem, self.x
        base = prob.objective(x)
        out, ok = np.zeros(items.size), np.zeros(items.size, bool)
        for k, i in enumerate(items):
            y = x.copy()
            y[i] = 0.0
            y = _consistent_aux(self.compiled, y)
            out[k] = base - prob.objective(y)
            ok[k] = not violations(prob, y, limit=1)
        return out, ok

    def metrics(self) -> pd.Series:
        """Size, objective, bound, gap, breadth, redundancy density, foreign share, resources."""
        comp, prob, sc = self.compiled, self.compiled.problem, self.compiled.scenario
        items = self.chosen_items()
        cands = comp.item_candidate[items]
        cand = sc.candidates.reset_index(drop=True)
        prof = sc.profiles()
        covered = [d for k, d in enumerate(sc.domains)
                   if cands.size and prof[cands, k].max() >= sc.scoring.coverage_threshold]
        if cands.size > 1:
            a, b = np.triu_indices(cands.size, k=1)
            red = float(np.mean(overlap(prof, cands[a], cands[b]) > sc.scoring.overlap_threshold))
        else:
            red = 0.0
        foreign = flag_values(cand["foreign"])
        out: dict[str, Any] = {
            "termination": self.result.termination.value,
            "objective": self.result.objective,
            "bound": self.result.bound,
            "gap": self.result.gap,
            "size": int(items.size),
            "domains_covered": len(covered),
            "domains_covered_list": ", ".join(covered),
            "redundancy_density": red,
            "foreign_share": float(foreign[cands].mean()) if cands.size else 0.0,
            "regions": ", ".join(f"{k}:{v}" for k, v in sorted(cand["region"].iloc[cands].value_counts().items())),
            "levels": ", ".join(f"{k}:{v}" for k,
                                v in sorted(pd.Series([comp.item_level[i] for i in items]).value_counts().items())
                                if k),
        }
        use = prob.A @ self.x
        for r, name in enumerate(prob.row_names):
            if name in sc.limits:
                out[f"use_{name}"] = float(use[r])
                out[f"slack_{name}"] = float(prob.b[r] - use[r])
        return pd.Series(out, name=sc.name)

    # ----------------------------------------------------------------- why not
    def why_not(self, partner: str, **solve_options: Any) -> WhyNot:
        """The best portfolio that includes `partner` (an id or name) and what it costs."""
        if self.resolve is None:
            raise RuntimeError("this report was built without a way to solve (resolve=None); use the report of "
                               "optimizer.solve(scenario)")
        sc = self.compiled.scenario
        cand = sc.candidates
        match = cand.index[(cand["id"].astype(str) == str(partner)) | (cand["name"].astype(str) == str(partner))]
        if len(match) == 0:
            raise KeyError(f"no candidate with id or name {partner!r}")
        cid = str(cand.loc[match[0], "id"])
        label = str(cand.loc[match[0], "name"])
        current = set(self.partners()["id"].astype(str))
        if cid in current:
            return WhyNot(label, True, 0.0, self.result.objective, self._names(), (), (), self.result.termination,
                          "already in the portfolio")
        if cid in set(map(str, sc.excluded)):
            return WhyNot(label, False, None, None, (), (), (), Termination.INFEASIBLE, "the scenario excludes it")
        forced = sc.replace(mandatory=tuple(sc.mandatory) + (cid,))
        options = {**self.solve_options, **solve_options}
        res = self.resolve(forced, **options)
        if not res.has_solution:
            return WhyNot(label, False, None, None, (), (), (), res.termination,
                          res.message or "no portfolio found")
        new = res.report._names()
        base = self._names()
        cost = None if self.result.objective is None else self.result.objective - res.objective
        return WhyNot(label, True, cost, res.objective, new, tuple(n for n in new if n not in base),
                      tuple(n for n in base if n not in new), res.termination)

    def _names(self) -> tuple[str, ...]:
        return tuple(self.compiled.problem.names[i] for i in self.chosen_items())

    # ----------------------------------------------------------------- text
    def to_text(self) -> str:
        """The report as plain text for a terminal or a file."""
        m = self.metrics()
        lines = [f"Portfolio report: {self.compiled.scenario.name} ({self.compiled.scenario.focal.name})",
                 f"  termination {m['termination']}"]
        if self.result.message:
            lines.append(f"  note: {self.result.message}")
        for note in self.compiled.notes:
            lines.append(f"  note: {note}")
        if self.result.objective is None:
            return "\n".join(lines + ["  no portfolio found"])
        gap = "-" if m["gap"] is None else f"{m['gap']:.3%}"
        bound = "-" if m["bound"] is None else f"{m['bound']:.6g}"
        lines += [f"  objective {m['objective']:.6g}   bound {bound}   gap {gap}",
                  f"  size {m['size']}   domains covered {m['domains_covered']} ({m['domains_covered_list']})",
                  f"  redundancy density {m['redundancy_density']:.2f}   foreign share {m['foreign_share']:.2f}",
                  f"  regions {m['regions']}" + (f"   levels {m['levels']}" if m["levels"] else "")]
        for name in self.compiled.scenario.limits:
            lines.append(f"  {name}: uses {m[f'use_{name}']:.6g}, slack {m[f'slack_{name}']:.6g}")
        lines.append("\nObjective breakdown")
        for term, value in self.breakdown().items():
            lines.append(f"  {term:<14}{value:>12.4f}")
        lines.append(f"  {'total':<14}{self.breakdown().sum():>12.4f}")
        table = self.partners()
        if len(table):
            show = table[["id", "name", "level", "region", "foreign", "gain", "marginal"]]
            if not any(show["level"]):
                show = show.drop(columns="level")
            lines.append("\nChosen partners (marginal = objective lost if dropped)")
            lines.append(show.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()
