"""Portfolio report of a solved scenario: metrics, objective breakdown, marginal values, why-not.

Everything is computed from the compiled scenario and the verified x, never
from solver output, so the breakdown sums to the verified objective.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optimizer.core.errors import ProblemError
from optimizer.core.result import Result, Termination
from optimizer.core.verify import violations
from optimizer.domain.compile import CompiledScenario
from optimizer.domain.limits import WhatLimits, what_limits
from optimizer.domain.roles import partner_roles
from optimizer.domain.scoring import relative_overlap
from optimizer.domain.settings import flag_values


def find_candidate(candidates: pd.DataFrame, partner: str) -> int:
    """The row of the candidate with id or name `partner` (names in any case); a ProblemError that
    suggests the closest ids and names when there is none."""
    ids = candidates["id"].astype(str).tolist()
    names = candidates["name"].astype(str).tolist()
    text = str(partner).strip()
    for pool, key in ((ids, text), (names, text), ([n.casefold() for n in names], text.casefold())):
        if key in pool:
            return pool.index(key)
    # names with a word that starts with what was typed ("Turin"), then the closest spellings of ids and names
    starts = re.compile(rf"\b{re.escape(text)}", re.IGNORECASE)
    close = [n for n in names if text and starts.search(n)][:3] or \
        difflib.get_close_matches(text, ids + names, n=3, cutoff=0.6)
    shown = [f"{c} ({names[ids.index(c)]})" if c in ids else f"{ids[names.index(c)]} ({c})" for c in close]
    raise ProblemError(f"no candidate with id or name {text!r}"
                       + (f"; did you mean {' or '.join(shown)}?" if shown else
                          f"; ids look like {', '.join(ids[:3])}"), where=("candidates", None, "id"))


#: the unit of every objective value, said wherever one is shown to a manager
POINTS = "points (the model's value: knowledge gains minus costs; not money)"


def proof_sentence(result: Result) -> str:
    """How good the portfolio is, in one sentence: proven best, or how much better the best can be."""
    if result.objective is None:
        return f"No portfolio ({result.termination.value})."
    if result.termination is Termination.OPTIMAL:
        return "Proven best: no portfolio within the limits scores higher."
    if result.bound is None:
        return f"Not proven best ({result.termination.value}): no bound is known."
    more = result.bound - result.objective
    return (f"Not proven best ({result.termination.value}): the best portfolio scores at most {result.bound:.6g} "
            f"points, at most {more:.4g} points ({result.gap:.1%}) more than this one.")


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
        if self.message == "already in the portfolio":
            return f"{self.partner}: already in the recommended portfolio"
        others = [name for name in self.added if not name.startswith(self.partner)]
        change = ([f"also adds {', '.join(others)}"] if others else []) + \
                 ([f"drops {', '.join(self.dropped)}"] if self.dropped else ["keeps every recommended partner"])
        return (f"{self.partner}: the best portfolio with it scores {self.objective:.6g} points, "
                f"{self.cost:.4g} points less than the recommended one; it {' and '.join(change)}"
                + (f" (not proven best: {self.termination.value})" if self.termination is not Termination.OPTIMAL
                   else ""))


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
        roles = partner_roles(comp, items)
        rows["brings"] = roles["brings"].to_numpy()
        rows["kept by"] = roles["kept by"].to_numpy()
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
            y = self.compiled.with_foreign_count(y)
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
            red = float(np.mean(relative_overlap(prof, cands[a], cands[b]) >= sc.scoring.overlap_threshold))
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
        """The best portfolio that includes `partner` (an id or name) and what it costs, in points;
        an unknown partner is a ProblemError that suggests the closest ids and names."""
        if self.resolve is None:
            raise RuntimeError("this report was built without a way to solve (resolve=None); use the report of "
                               "optimizer.solve(scenario)")
        sc = self.compiled.scenario
        row = find_candidate(sc.candidates, partner)
        cid = str(sc.candidates["id"].iloc[row])
        label = str(sc.candidates["name"].iloc[row])
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

    # ----------------------------------------------------------------- what limits it
    def what_limits(self) -> WhatLimits:
        """Which limits bind and, when none does, what stops the portfolio from growing (see
        optimizer/domain/limits.py); values in points of the model's objective."""
        return what_limits(self.compiled, self.x)

    # ----------------------------------------------------------------- text
    def to_text(self) -> str:
        """The report as plain text for a terminal or a file."""
        m = self.metrics()
        sc = self.compiled.scenario
        lines = [f"Portfolio report: {sc.name} ({sc.focal.name})", f"  {proof_sentence(self.result)}"]
        if self.result.message:
            lines.append(f"  note: {self.result.message}")
        for note in self.compiled.notes:
            lines.append(f"  note: {note}")
        if self.result.objective is None:
            return "\n".join(lines + ["  no portfolio found"])
        lines += [f"  objective {m['objective']:.6g} {POINTS}",
                  f"  {m['size']} partners   domains covered {m['domains_covered']} ({m['domains_covered_list']})",
                  f"  redundancy density {m['redundancy_density']:.2f}   foreign share {m['foreign_share']:.2f}",
                  f"  regions {m['regions']}" + (f"   levels {m['levels']}" if m["levels"] else "")]
        for name in sc.limits:
            lines.append(f"  {name}: uses {m[f'use_{name}']:.6g} of {sc.limits[name]:.6g} "
                         f"({m[f'slack_{name}']:.6g} left)")
        lines.append("\nWhat limits the portfolio")
        lines += [f"  {sentence}" for sentence in self.what_limits().sentences()]
        lines.append("\nObjective breakdown (points)")
        for term, value in self.breakdown().items():
            lines.append(f"  {term:<14}{value:>12.4f}")
        lines.append(f"  {'total':<14}{self.breakdown().sum():>12.4f}")
        table = self.partners()
        if len(table):
            show = table[["id", "name", "level", "region", "foreign", "gain", "marginal"]]
            if not any(show["level"]):
                show = show.drop(columns="level")
            lines.append("\nChosen partners (gain and marginal in points; marginal = objective lost if dropped)")
            lines.append(show.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
            lines.append("\nWhat each partner brings")
            lines += [f"  {r['name']} ({r['id']}): {r['brings']}" for r in table.to_dict("records")]
            kept = [r for r in table.to_dict("records") if r["marginal"] < 1e-9]
            if kept:
                lines.append("\nPartners that lower the objective, and what keeps them")
                lines += [f"  {r['name']} ({r['id']}, {r['marginal']:+.4f} points): "
                          + (f"kept by {r['kept by']}" if r["kept by"] else "kept because dropping it alone leaves "
                             "the others worse off together (its pair terms)") for r in kept]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()
