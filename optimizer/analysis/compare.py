"""Scenario comparison: how the best portfolio moves with goals, means and policy.

    cmp = compare([base, base.variant("lean", scale_limits={"budget": 0.7})], time_limit=60)
    cmp.summary()          # one column per scenario: objective, bound, gap, terms, metrics, slack
    cmp.portfolios()       # partners x scenarios: the engagement level chosen ('' when left out)
    cmp.diff("base", "lean")
    cmp.cross_scores()     # every portfolio under every scenario's weights: comparable objectives
    cmp.decompose("base", "lean")   # each term's change: due to the partners + due to the weights

Figures and report files of a comparison are in optimizer/reports (plot_comparison,
write_comparison_report): nothing here draws.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from optimizer.core.errors import ProblemError
from optimizer.core.result import Result
from optimizer.domain.compile import CompiledScenario
from optimizer.domain.scenario import Scenario
from optimizer.engine.parallel import run_all
from optimizer.engine.solve import solve


def _solve_one(scenario: Scenario, options: dict) -> Result:
    return solve(scenario, **options)


@dataclass
class Comparison:
    """Solved scenarios side by side (in the order given)."""

    scenarios: dict[str, Scenario]
    results: dict[str, Result]
    solve_options: dict[str, Any] = field(default_factory=dict)
    #: variants that could not be built (name -> why): shown as invalid beside the others, never solved
    invalid: dict[str, str] = field(default_factory=dict)
    _compiled_cache: dict[str, CompiledScenario] = field(default_factory=dict, init=False, repr=False,
                                                         compare=False)

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
                # every portfolio on one scale: the first scenario's weights (see cross_scores)
                col[f"objective at {self.names[0]}'s weights"] = float(self.cross_terms(name, self.names[0]).sum())
                col.update({f"term: {k}": v for k, v in rep.breakdown().items()})
                m = rep.metrics()
                for key in ("size", "domains_covered", "redundancy_density", "foreign_share", "regions", "levels"):
                    col[key] = m[key]
                col["binding limits"] = ", ".join(lim.name for lim in rep.what_limits().binding()) or "none"
                for limit in self.scenarios[name].limits:
                    use = float(m[f"use_{limit}"])
                    col[f"use {limit}"] = use
                    col[f"slack {limit}"] = float(m[f"slack_{limit}"])
                    col[f"objective per {limit}"] = res.objective / use if use > 1e-12 else None
            else:
                col["note"] = res.message or "no portfolio found"
            col["seconds"] = res.total_seconds
            columns[name] = col
        for name, why in self.invalid.items():
            columns[name] = {"termination": "invalid", "note": why}
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
        cand = next(iter(self.scenarios.values())).candidates.set_index("id")
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
                                 "level": row["level"], "contribution": row["marginal"], "in": where,
                                 "kept by": row.get("kept by", "")})
            if change == "added":
                for pid, row in src.items():  # same partner, another engagement level
                    if pid in other and row["level"] != other[pid]["level"]:
                        rows.append({"change": "level", "id": pid, "name": row["name"], "region": row["region"],
                                     "level": f"{other[pid]['level']} -> {row['level']}",
                                     "contribution": row["marginal"], "in": where, "kept by": row.get("kept by", "")})
        cols = ["change", "id", "name", "region", "level", "contribution", "in", "kept by"]
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

    # ------------------------------------------------------------------ cross-evaluation
    def portfolio(self, name: str) -> dict[str, str]:
        """The portfolio scenario `name` chose: partner id -> engagement level ('' without levels)."""
        return {pid: str(row["level"]) for pid, row in self._partners(name).items()}

    def _compiled(self, name: str) -> CompiledScenario:
        if name not in self._compiled_cache:
            report = self.results[name].report if name in self.results else None
            self._compiled_cache[name] = report.compiled if report is not None else self.scenarios[name].compile()
        return self._compiled_cache[name]

    def cross_terms(self, portfolio: str, scoring: str) -> pd.Series:
        """The objective terms of the portfolio scenario `portfolio` chose, scored with scenario
        `scoring`'s weights and data (its constraints are not checked: a score, not a solution)."""
        comp = self._compiled(scoring)
        return pd.Series(comp.breakdown(comp.portfolio_x(self.portfolio(portfolio))), name=f"{portfolio} @ {scoring}")

    def cross_scores(self) -> pd.DataFrame:
        """Portfolios (rows: the scenario that chose each) x scorings (columns: the scenario whose
        weights score it): the objective of every portfolio under every scenario's scoring. The
        diagonal is each scenario's own objective; a column compares the portfolios on one scale."""
        solved = [n for n in self.names if self.results[n].has_solution]
        table = pd.DataFrame({s: {p: float(self.cross_terms(p, s).sum()) for p in solved} for s in self.names},
                             index=solved)
        table.index.name, table.columns.name = "portfolio", "scoring"
        return table

    def decompose(self, a: str, b: str) -> pd.DataFrame:
        """The change of each term from scenario a to b split in two parts that add up to it:

            total    = f_b(P_b) - f_a(P_a)
            partners = f_a(P_b) - f_a(P_a)    the other portfolio, scored with a's weights
            weights  = f_b(P_b) - f_a(P_b)    the other weights, on b's portfolio

        (f_s: scenario s's scoring, P_s: its portfolio). Rows: the terms and 'objective'."""
        if not (self.results[a].has_solution and self.results[b].has_solution):
            return pd.DataFrame(columns=["total", "partners", "weights"], dtype=float)
        fa_pa, fa_pb, fb_pb = self.cross_terms(a, a), self.cross_terms(b, a), self.cross_terms(b, b)
        terms = list(dict.fromkeys([*fa_pa.index, *fb_pb.index]))
        fa_pa, fa_pb, fb_pb = (s.reindex(terms, fill_value=0.0) for s in (fa_pa, fa_pb, fb_pb))
        table = pd.DataFrame({"total": fb_pb - fa_pa, "partners": fa_pb - fa_pa, "weights": fb_pb - fa_pb})
        table.loc["objective"] = table.sum()
        return table


def _row_order(index: Iterable[str]) -> list[str]:
    idx = list(index)
    head = ["termination", "objective", *[r for r in idx if r.startswith("objective at ")], "bound", "gap", "note"]
    terms = [r for r in idx if r.startswith("term: ")]
    metrics = ["size", "domains_covered", "redundancy_density", "foreign_share", "regions", "levels",
               "binding limits"]
    resources = [r for r in idx if r.startswith(("use ", "slack ", "objective per "))]
    ordered = [r for r in head if r in idx] + terms + [r for r in metrics if r in idx] + resources
    return ordered + [r for r in idx if r not in ordered]


def compare(scenarios: Sequence[Scenario] | Mapping[str, Scenario], *, jobs: int = 1,
            invalid: Mapping[str, str] | None = None, **solve_options: Any) -> Comparison:
    """Solve every scenario (`jobs` at a time, each in its own process when jobs > 1) and
    return the :class:`Comparison`. `solve_options` go to :func:`optimizer.engine.solve`;
    `invalid` names variants that could not be built, with the reason, to show beside the others."""
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
    solved = run_all(_solve_one, [(sc, solve_options) for sc in named.values()], jobs=jobs)
    results = dict(zip(named, solved))
    return Comparison(named, results, dict(solve_options), dict(invalid or {}))
