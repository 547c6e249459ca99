"""Robustness to estimates: how the best portfolio moves when the candidate table's numbers are off.

    rob = robustness(scenario, Uncertainty(relative={"reputation": 0.2, "k_*": 0.1}), samples=200, seed=1,
                     jobs=2)             # or dask="local" / "tcp://host:8786"
    rob.inclusion        # per candidate: the share of samples whose best portfolio holds it
    rob.samples          # per sample: its best value, the recommended portfolio's value there, ...
    rob.robust           # the portfolio with the best mean over the worst `tail` of the samples
    print(rob.summary())

The scenario's estimates give the recommended portfolio. Each sample (drawn by
:class:`~optimizer.domain.uncertainty.Uncertainty`, seeded, all draws made here before any
solve) is solved on its own, so a partner's inclusion frequency says how often it is the right
choice, and the recommended portfolio is scored in every sample: the distribution of its value,
and whether it still meets every limit. The robust portfolio is one exact model over all samples
(:mod:`formulations.sampled`): the portfolio, feasible in every sample, whose worst `tail`
share of samples has the best mean (tail <= 1/samples: the best worst case). Its answer is
checked here against the samples, as every solver answer is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from formulations import sampled
from optimizer.core.errors import ProblemError, VerificationError
from optimizer.core.result import Result, Termination
from optimizer.core.verify import objective_tolerance, violations
from optimizer.domain.compile import CompiledScenario
from optimizer.domain.scenario import Scenario
from optimizer.domain.uncertainty import Uncertainty, check_sample_count
from optimizer.engine.parallel import run_all
from optimizer.engine.solve import solve
from optimizer.solvers import SolveOptions, get_solver

#: the share of worst samples whose mean the robust portfolio maximizes, unless told
DEFAULT_TAIL = 0.1


def tail_mean(values: Sequence[float] | np.ndarray, tail: float) -> float:
    """The mean of the worst `tail` share of equally likely values (CVaR of the lower tail): the
    lowest values in full, the next one in part, so tail x count values are weighed; at least one."""
    v = np.sort(np.asarray(values, dtype=float))
    weight = max(1.0, tail * v.size)
    full = int(math.floor(weight))
    part = weight - full
    return float((v[:full].sum() + (part * v[full] if part > 0 and full < v.size else 0.0)) / weight)


@dataclass(frozen=True)
class RobustPortfolio:
    """The portfolio with the best mean of the worst `tail` of the samples, feasible in every sample."""

    termination: Termination
    portfolio: Mapping[str, str] = field(default_factory=dict)   # partner id -> level ('' without levels)
    tail: float = DEFAULT_TAIL
    value: float | None = None       # its tail mean, recomputed from the samples
    bound: float | None = None       # no portfolio feasible in every sample has a better tail mean
    worst: float | None = None
    mean: float | None = None
    seconds: float = 0.0
    message: str = ""

    @property
    def gap(self) -> float | None:
        """(bound - value) / |value|, 0 when proven optimal; None without a portfolio."""
        if self.value is None or self.bound is None:
            return None
        return max(0.0, self.bound - self.value) / max(abs(self.value), 1e-9)


@dataclass
class Robustness:
    """What sampling the estimates showed (see the module docstring)."""

    scenario: Scenario
    uncertainty: Uncertainty
    seed: int
    recommended: Result
    samples: pd.DataFrame      # one row per sample
    inclusion: pd.DataFrame    # one row per candidate: id, name, frequency, recommended, robust
    robust: RobustPortfolio | None

    @property
    def recommended_portfolio(self) -> dict[str, str]:
        """The portfolio chosen at today's estimates: partner id -> level ('' without levels)."""
        return self.recommended.report.compiled.portfolio_of(self.recommended.x)

    def value_quantiles(self) -> pd.Series:
        """The recommended portfolio's value over the samples where it meets every limit:
        worst, 5%, median, 95%, best, mean, and the mean of the worst tail."""
        ok = self.samples[self.samples["recommended feasible"]]["recommended value"].to_numpy(dtype=float)
        if not ok.size:
            return pd.Series(dtype=float)
        tail = self.robust.tail if self.robust is not None else DEFAULT_TAIL
        return pd.Series({"worst": ok.min(), "5%": np.quantile(ok, 0.05), "median": np.median(ok),
                          "95%": np.quantile(ok, 0.95), "best": ok.max(), "mean": ok.mean(),
                          f"worst {tail:.0%} mean": tail_mean(ok, tail)})

    def summary(self) -> str:
        """What a manager reads: how sure the recommendation is, who is a safe choice, the robust option."""
        s = self.samples
        n = len(s)
        rec = ", ".join(_ids(self.recommended_portfolio))
        lines = [f"Robustness of {self.scenario.name!r} to its estimates ({describe(self.uncertainty)}), "
                 f"{n} samples, seed {self.seed}:",
                 f"  The recommended portfolio ({rec}; {self.recommended.objective:.4g} at today's estimates) is "
                 f"the best portfolio in {_share(s['recommended best'].mean())} of the samples and meets every "
                 f"limit in {_share(s['recommended feasible'].mean())}."]
        q = self.value_quantiles()
        if len(q):
            lines.append(f"  Its value over the samples: median {q['median']:.4g}, 90% of samples between "
                         f"{q['5%']:.4g} and {q['95%']:.4g}, worst {q['worst']:.4g}.")
        lines += _inclusion_lines(self.inclusion)
        if self.robust is not None:
            lines.append(_robust_line(self.robust, q, dict(self.robust.portfolio) == self.recommended_portfolio))
        unproven = int((~s["proven"]).sum())
        if unproven:
            lines.append(f"  {unproven} sample(s) stopped before proving their best portfolio (time limit): their "
                         f"inclusion counts what was found.")
        return "\n".join(lines)


def describe(uncertainty: Uncertainty) -> str:
    """The uncertainty in words: 'reputation +-20%, k_* +-10%, 3 ranges'."""
    parts = [f"{k} +-{v:.0%}" for k, v in uncertainty.relative.items() if float(v) > 0]
    ranges = 0 if uncertainty.ranges is None else len(uncertainty.ranges)
    if ranges:
        parts.append(f"{ranges} candidate range{'s' if ranges > 1 else ''}")
    return ", ".join(parts) or "no uncertainty"


def _ids(portfolio: Mapping[str, str]) -> list[str]:
    return [pid + (f" [{level}]" if level else "") for pid, level in portfolio.items()]


def _share(v: float) -> str:
    return f"{v:.0%}"


def _inclusion_lines(inclusion: pd.DataFrame) -> list[str]:
    """Safe choices, coin flips and rare picks, by inclusion frequency."""
    out = []
    for label, low, high in (("80% of the samples or more", 0.8, 1.01), ("20-80% of them", 0.2, 0.8),
                             ("under 20%", 1e-12, 0.2)):
        rows = inclusion[(inclusion["frequency"] >= low) & (inclusion["frequency"] < high)]
        if len(rows):
            shares = ", ".join(f"{r.id} ({r.frequency:.0%})" for r in rows.itertuples())
            out.append(f"  In the best portfolio of {label}: {shares}")
    return out


def _robust_line(robust: RobustPortfolio, q: pd.Series, same: bool) -> str:
    if robust.value is None:
        return f"  No robust portfolio: {robust.message}"
    proven = "proven best" if robust.termination is Termination.OPTIMAL else f"within {robust.gap:.1%} of the best"
    head = f"  The robust portfolio (best mean of the worst {robust.tail:.0%} of samples, {proven})"
    if same:
        return f"{head} is the recommended one: worst-{robust.tail:.0%} mean {robust.value:.4g}."
    line = f"{head}: {', '.join(_ids(robust.portfolio))}; worst-{robust.tail:.0%} mean {robust.value:.4g}"
    key = f"worst {robust.tail:.0%} mean"
    if key in q:
        line += f" against {q[key]:.4g} for the recommended portfolio"
    return line + "."


def _solve_sample(scenario: Scenario, table: pd.DataFrame, recommended: Mapping[str, str],
                  options: Mapping[str, Any]) -> dict[str, Any]:
    """Solve one sample and score the recommended portfolio in it (runs in a worker)."""
    sample = scenario.replace(candidates=table, uncertainty=None)
    result = solve(sample, **options)
    compiled = result.report.compiled
    x = compiled.portfolio_x(recommended)
    best = compiled.portfolio_of(result.x) if result.has_solution else {}
    return {"objective": result.objective, "bound": result.bound, "termination": result.termination.value,
            "proven": result.termination is Termination.OPTIMAL, "portfolio": best,
            "recommended value": compiled.problem.objective(x),
            "recommended feasible": not violations(compiled.problem, x, limit=1)}


def robustness(scenario: Scenario, uncertainty: Uncertainty | None = None, *, samples: int = 200, seed: int = 0,
               tail: float = DEFAULT_TAIL, robust: bool = True, jobs: int = 1, dask: str | None = None,
               progress: Callable[[int, int], None] | None = None, **solve_options: Any) -> Robustness:
    """Sample the estimates `samples` times (`uncertainty`, default the scenario's own), solve each
    sample (`jobs` processes, or on dask: "local" or a scheduler address), and find the robust
    portfolio over them (`robust=False` skips it). `solve_options` go to every solve."""
    check_sample_count(samples)             # before anything else: a bad count is said first
    uncertainty = uncertainty if uncertainty is not None else scenario.uncertainty
    if uncertainty is None:
        raise ProblemError(f"robustness: scenario {scenario.name!r} says nothing about how far its estimates may "
                           f"be off; give its bundle an [uncertainty] table (reputation = 0.2 for +-20%) or an "
                           f"uncertainty.csv of ranges, or pass one (alliance robust --relative reputation=0.2; "
                           f"Uncertainty(relative={{'reputation': 0.2}}) in Python)", where=("uncertainty",))
    if not (isinstance(tail, int | float) and 0 < tail <= 1):
        raise ProblemError(f"tail is {tail!r}, expected a share in (0, 1] (0.1: the worst 10% of samples)",
                           where=("tail",))
    uncertainty.check(scenario.candidates, scenario.estimated_columns)
    tables = uncertainty.sample(scenario.candidates, scenario.estimated_columns, samples, seed)
    base = solve(scenario, **solve_options)
    if not base.has_solution:
        raise ProblemError(f"robustness: scenario {scenario.name!r} has no portfolio at its estimates "
                           f"({base.termination.value}{': ' + base.message if base.message else ''})")
    recommended = base.report.compiled.portfolio_of(base.x)
    rows = run_all(_solve_sample, [(scenario, t, recommended, solve_options) for t in tables], jobs=jobs, dask=dask,
                   progress=progress)
    table = _sample_table(rows, recommended)
    best = None
    if robust:
        best = robust_portfolio(scenario, tables, tail, base, time_limit=solve_options.get("time_limit"))
        if best.value is not None:
            compiled = [scenario.replace(candidates=t, uncertainty=None).compile() for t in tables]
            table["robust value"] = [c.problem.objective(c.portfolio_x(best.portfolio)) for c in compiled]
    return Robustness(scenario, uncertainty, seed, base, table, _inclusion(scenario, table, recommended, best), best)


def _sample_table(rows: list[dict[str, Any]], recommended: Mapping[str, str]) -> pd.DataFrame:
    """One row per sample; `recommended best` says whether the sample's best is the recommended portfolio."""
    table = pd.DataFrame(rows)
    table.insert(0, "sample", np.arange(len(rows)))
    table["recommended best"] = [dict(p) == dict(recommended) for p in table["portfolio"]]
    table["regret"] = table["objective"] - table["recommended value"]
    table["partners"] = [", ".join(_ids(p)) for p in table["portfolio"]]
    return table.drop(columns=["portfolio"]).assign(portfolio=table["portfolio"])


def _inclusion(scenario: Scenario, table: pd.DataFrame, recommended: Mapping[str, str],
               robust: RobustPortfolio | None) -> pd.DataFrame:
    """Per candidate: how often the samples' best portfolio holds it, most often first."""
    counts = pd.Series(0.0, index=scenario.ids)
    for p in table["portfolio"]:
        counts[list(p)] += 1
    frame = pd.DataFrame({"id": scenario.ids, "name": scenario.candidates["name"].astype(str).to_numpy(),
                          "frequency": (counts / max(len(table), 1)).to_numpy(),
                          "recommended": [cid in recommended for cid in scenario.ids],
                          "robust": [robust is not None and cid in robust.portfolio for cid in scenario.ids]})
    return frame.sort_values(["frequency", "id"], ascending=[False, True], kind="stable").reset_index(drop=True)


def robust_portfolio(scenario: Scenario, tables: Sequence[pd.DataFrame], tail: float = DEFAULT_TAIL,
                     start: Result | None = None, *, time_limit: float | None = None) -> RobustPortfolio:
    """Solve the tail-mean model over the sampled candidate tables exactly (HiGHS), then check its
    answer against every sample: feasible in each, its tail mean recomputed, the bound not below it."""
    compiled = [scenario.replace(candidates=t, uncertainty=None).compile() for t in tables]
    problems = [c.problem for c in compiled]
    model = sampled.build(problems, tail)
    merged = sampled.merged(problems)
    warm = None
    if start is not None and start.has_solution:
        x0 = compiled[0].portfolio_x(compiled[0].portfolio_of(start.x))
        warm = model.start_vector(x0) if not violations(merged, x0, limit=1) else None
    raw = get_solver("highs").solve(merged, model, SolveOptions(time_limit=time_limit, warm_start=warm))
    seconds = raw.load_seconds + raw.solve_seconds
    if raw.x is None:
        why = ("no portfolio meets every limit in every sample; narrow the uncertainty of the resource uses, or "
               "loosen the limits" if raw.termination is Termination.INFEASIBLE else
               raw.message or f"the solver stopped ({raw.termination.value}) before finding one")
        return RobustPortfolio(raw.termination, tail=tail, bound=raw.bound, seconds=seconds, message=why)
    return _checked(compiled, raw.x, raw.objective, raw.bound, raw.termination, tail, seconds)


def _checked(compiled: Sequence[CompiledScenario], x: np.ndarray, claimed: float | None, bound: float | None,
             termination: Termination, tail: float, seconds: float) -> RobustPortfolio:
    """The robust answer, trusted only after recomputing it from the samples."""
    x = np.round(np.asarray(x, dtype=float))
    for s, c in enumerate(compiled):
        broken = violations(c.problem, x)
        if broken:
            raise VerificationError(f"robust portfolio: infeasible in sample {s}: " + "; ".join(broken))
    values = np.array([c.problem.objective(x) for c in compiled])
    value = tail_mean(values, tail)
    tol = objective_tolerance(value)
    if claimed is not None and claimed - value > tol:
        raise VerificationError(f"robust portfolio: the solver claimed a tail mean of {claimed!r}, the samples "
                                f"give {value!r}")
    if bound is not None and bound < value - tol:
        raise VerificationError(f"robust portfolio: bound {bound!r} is below the tail mean {value!r} it found")
    return RobustPortfolio(termination, compiled[0].portfolio_of(x), tail, value,
                           max(bound, value) if bound is not None else None,
                           float(values.min()), float(values.mean()), seconds)
