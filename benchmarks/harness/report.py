"""Reports on stored benchmark runs: summary, per-instance table, performance profile.

The input is a DataFrame with one row per solver run, as the harness stores them
(instance, solver, formulation, settings JSON, termination, objective, bound, gap,
total_seconds, ...). The conventions are those of Mittelmann's benchmarks:

* times are summarized by the shifted geometric mean with a shift of 10 s;
* a run that did not terminate optimal (time-limit hit, error, timeout, ...) counts at
  its time limit, so a fast crash never looks like a fast solve;
* when an instance was run several times (repetitions) with one configuration, the
  median time of that (instance, configuration) enters the mean;
* results are checked against the known optimum (or best known value) of each instance
  and wrong answers are reported before anything else.

Performance profiles follow Dolan and Moré (2002): for each configuration, the fraction
of instances it solved within a factor tau of the fastest configuration.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.core.files import replacing, write_text
from optimizer.reports.markdown import markdown_table

SHIFT = 10.0
"""Shift (seconds) of the shifted geometric mean, Mittelmann's convention."""

MIN_SECONDS = 1e-3
"""Profile times below this count as this: ratios of sub-millisecond times are timer noise
(and a time of 0 would make every other ratio infinite)."""

OPTIMAL = "optimal"
FAILURES = ("error", "timeout")
WRONG_VERDICTS = ("wrong optimum", "invalid bound")
ERROR_CHARS = 200


# --------------------------------------------------------------------------- helpers

def _col(runs: pd.DataFrame, name: str) -> pd.Series:
    """The column, or all-missing when the frame lacks it (older databases, hand-made frames)."""
    if name in runs.columns:
        return runs[name]
    return pd.Series([None] * len(runs), index=runs.index, dtype=object)


def _num(runs: pd.DataFrame, name: str) -> pd.Series:
    # stored rows mix None and floats, which pandas keeps as object columns
    return pd.to_numeric(_col(runs, name), errors="coerce").astype(float)


def _termination(runs: pd.DataFrame) -> pd.Series:
    return _col(runs, "termination").fillna("").astype(str)


def _settings(text: object) -> dict:
    if text is None or (isinstance(text, float) and math.isnan(text)) or text == "":
        return {}
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(str(text))
    except ValueError:
        return {"settings": str(text)}   # keep unparsable settings visible rather than merging configs
    return value if isinstance(value, dict) else {"settings": value}


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _show(value: object) -> str:
    return value if isinstance(value, str) else _canonical(value)


def _counted_seconds(runs: pd.DataFrame) -> pd.Series:
    """Seconds each run counts for: its total time when optimal, else its time limit.

    Without a time limit, a non-optimal run counts at its own total time; without that
    either, at the largest total time of its instance set (of all runs when the set is
    unknown). An optimal run with no recorded time is treated like a non-optimal one.
    """
    total = _num(runs, "total_seconds")
    limit = _num(runs, "time_limit")
    optimal = _termination(runs) == OPTIMAL
    sets = _col(runs, "instance_set").fillna("").astype(str)
    set_max = total.groupby(sets).transform("max")
    fallback = set_max.fillna(total.max())
    counted = limit.where(limit.notna(), total.where(total.notna(), fallback))
    return total.where(optimal & total.notna(), counted)


def _with_keys(runs: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "instance": _col(runs, "instance").astype(str),
        "config": config_label(runs),
    }, index=runs.index)


def _ordered(values: pd.Series) -> list[str]:
    return list(dict.fromkeys(values))


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.2f}" if abs(v) >= 1 else f"{v:.3g}"
    if isinstance(value, (np.integer,)):
        return str(int(value))
    return str(value)


def _truncate(text: object, limit: int = ERROR_CHARS) -> str:
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


# --------------------------------------------------------------------------- public API

def config_label(runs: pd.DataFrame) -> pd.Series:
    """Configuration label per row: "solver/formulation" plus " key=value" for each setting that varies.

    Settings come from the `settings` JSON; a setting is shown only when its value differs
    across the rows of `runs` (a setting missing from some rows differs), so a run at
    threads 2 among runs at threads 1 reads "highs/rlt threads=2". Keys are sorted. A formulation
    left to `auto` is followed by the ones it chose: "highs/auto (glover, rlt)".
    """
    solver = _col(runs, "solver").fillna("?").astype(str)
    formulation = _col(runs, "formulation").fillna("none").astype(str)
    parsed = [_settings(s) for s in _col(runs, "settings")]
    keys = sorted({k for d in parsed for k in d})
    varying = [k for k in keys
               if len({_canonical(d[k]) if k in d else "\0missing" for d in parsed}) > 1]
    labels = []
    for s, f, d in zip(solver, formulation, parsed):
        extra = "".join(f" {k}={_show(d[k])}" for k in varying if k in d)
        labels.append((f"{s}/{f}", extra))
    # a formulation left to `auto` shows what was used (the store knows it per run): "highs/auto (glover)",
    # or every one used across the configuration's runs
    used = [None if pd.isna(u) else u for u in _col(runs, "formulation_used")]
    chosen: dict[tuple[str, str], set[str]] = {}
    for (head, extra), u in zip(labels, used):
        if head.endswith("/auto") and u not in (None, "", "none"):
            chosen.setdefault((head, extra), set()).add(str(u))
    out = [f"{head} ({', '.join(sorted(chosen[(head, extra)]))}){extra}" if (head, extra) in chosen
           else f"{head}{extra}" for head, extra in labels]
    return pd.Series(out, index=runs.index, name="config", dtype=object)


def shifted_geomean(values: Iterable[float], shift: float = SHIFT) -> float:
    """Shifted geometric mean exp(mean(log(t + shift))) - shift; NaN for no values.

    A NaN among the values gives NaN: callers decide what a missing time counts as.
    """
    t = np.asarray(list(values), dtype=float)
    if t.size == 0:
        return float("nan")
    return float(np.exp(np.mean(np.log(t + shift))) - shift)


def check_reference(runs: pd.DataFrame, reference: dict[str, float] | None, tol: float = 1e-6) -> pd.Series:
    """Verdict of each row against its instance's known optimum / best known value (maximization).

    Tolerance is relative: tol * max(1, |ref|). In order of precedence:
    "wrong optimum" (claimed optimal, objective != ref), "invalid bound" (bound < ref),
    "correct" (optimal, objective == ref), "better than reference" (not optimal,
    objective > ref), "not proven" (anything else); None without a reference.
    """
    reference = reference or {}
    term = _termination(runs)
    objective = _num(runs, "objective")
    bound = _num(runs, "bound")
    out: list[str | None] = []
    for inst, t, obj, bnd in zip(_col(runs, "instance"), term, objective, bound):
        ref = reference.get(str(inst))
        if ref is None or (isinstance(ref, float) and math.isnan(ref)):
            out.append(None)
            continue
        ref = float(ref)
        eps = tol * max(1.0, abs(ref))
        optimal = t == OPTIMAL
        # NaN comparisons are False: an "optimal" run without an objective is a wrong optimum
        matches = abs(obj - ref) <= eps
        if optimal and not matches:
            out.append("wrong optimum")
        elif bnd < ref - eps:
            out.append("invalid bound")
        elif optimal:
            out.append("correct")
        elif obj > ref + eps:
            out.append("better than reference")
        else:
            out.append("not proven")
    return pd.Series(out, index=runs.index, name="verdict", dtype=object)


def summarize(runs: pd.DataFrame, reference: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per configuration label (the index, named "config"), in order of first appearance.

    Columns: cells (runs, each repetition counts), optimal, failures (error + timeout),
    sgm_seconds (shifted geometric mean, shift 10 s, of the median counted time per
    instance over repetitions; a run counts at its time limit unless it terminated
    optimal), mean_gap / max_gap (over runs with a gap; a missing gap is computed from
    bound and objective when both exist), wrong ("wrong optimum" or "invalid bound")
    and correct verdicts against `reference`; both are "n/a" for a configuration none of whose
    instances has a reference value (a 0 there would read as "none was right").
    """
    keys = _with_keys(runs)
    term = _termination(runs)
    verdict = check_reference(runs, reference)
    objective, bound = _num(runs, "objective"), _num(runs, "bound")
    gap = _num(runs, "gap").fillna((bound - objective) / np.maximum(objective.abs(), 1.0))
    frame = keys.assign(
        optimal=term == OPTIMAL,
        failure=term.isin(FAILURES),
        seconds=_counted_seconds(runs),
        gap=gap,
        wrong=verdict.isin(WRONG_VERDICTS),
        correct=verdict == "correct",
        referenced=verdict.notna(),
    )
    rows = []
    for config in _ordered(frame["config"]):
        sub = frame[frame["config"] == config]
        # repetitions would otherwise weigh an instance by how often it was run
        per_instance = sub.groupby("instance", sort=False)["seconds"].median()
        rows.append({
            "config": config,
            "cells": len(sub),
            "optimal": int(sub["optimal"].sum()),
            "failures": int(sub["failure"].sum()),
            "sgm_seconds": shifted_geomean(per_instance),
            "mean_gap": sub["gap"].mean(),
            "max_gap": sub["gap"].max(),
            "wrong": int(sub["wrong"].sum()) if sub["referenced"].any() else "n/a",
            "correct": int(sub["correct"].sum()) if sub["referenced"].any() else "n/a",
        })
    columns = ["config", "cells", "optimal", "failures", "sgm_seconds", "mean_gap", "max_gap", "wrong", "correct"]
    return pd.DataFrame(rows, columns=columns).set_index("config")


def instance_table(runs: pd.DataFrame, reference: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per instance (index "instance"): `reference`, then "<config> time" and "<config> status".

    time is the median counted time over repetitions (at the limit when not optimal);
    status is the termination, with the reference verdict in parentheses when there is
    one; repetitions that disagree show each distinct status, joined by "; ".
    """
    keys = _with_keys(runs)
    verdict = check_reference(runs, reference)
    status = [t if v is None else f"{t} ({v})" for t, v in zip(_termination(runs), verdict)]
    frame = keys.assign(seconds=_counted_seconds(runs), status=status)
    instances = _ordered(frame["instance"])
    reference = reference or {}
    table = pd.DataFrame(index=pd.Index(instances, name="instance"))
    table["reference"] = [float(reference[i]) if i in reference else np.nan for i in instances]
    grouped = frame.groupby(["instance", "config"], sort=False)
    times = grouped["seconds"].median()
    statuses = grouped["status"].agg(lambda s: "; ".join(dict.fromkeys(s)))
    for config in _ordered(frame["config"]):
        table[f"{config} time"] = [times.get((i, config), np.nan) for i in instances]
        table[f"{config} status"] = [statuses.get((i, config), "") for i in instances]
    return table


def performance_profile(runs: pd.DataFrame) -> pd.DataFrame:
    """Dolan-Moré performance profile as a long frame with columns config, tau, fraction.

    A run's time is its total time when it terminated optimal, else inf; per instance and
    configuration the median over repetitions is taken (a configuration not run on an
    instance counts as inf). r = t / (fastest t on that instance); instances no
    configuration solved are dropped. For every configuration, fraction = share of the
    remaining instances with r <= tau, evaluated at tau = 1 and at every distinct finite
    ratio of any configuration, so all configurations share one tau grid. Times below
    MIN_SECONDS count as MIN_SECONDS.
    """
    keys = _with_keys(runs)
    total = _num(runs, "total_seconds")
    solved = (_termination(runs) == OPTIMAL) & total.notna()
    seconds = total.clip(lower=MIN_SECONDS).where(solved, np.inf)
    frame = keys.assign(seconds=seconds)
    configs = _ordered(frame["config"])
    times = (frame.groupby(["instance", "config"], sort=False)["seconds"].median()
             .unstack("config").reindex(columns=configs).fillna(np.inf))
    best = times.min(axis=1)
    times, best = times[np.isfinite(best)], best[np.isfinite(best)]
    columns = ["config", "tau", "fraction"]
    if times.empty:
        return pd.DataFrame(columns=columns).astype({"tau": float, "fraction": float})
    ratios = times.div(best, axis=0)
    finite = ratios.to_numpy()[np.isfinite(ratios.to_numpy())]
    taus = np.unique(np.concatenate([[1.0], finite]))
    rows = []
    for config in configs:
        r = np.sort(ratios[config].to_numpy())
        fractions = np.searchsorted(r, taus, side="right") / len(r)
        rows.extend({"config": config, "tau": float(t), "fraction": float(f)} for t, f in zip(taus, fractions))
    return pd.DataFrame(rows, columns=columns)


def plot_performance_profile(profile: pd.DataFrame, path: str | Path) -> Path:
    """Step plot of a performance_profile() frame (log2 tau axis) saved as PNG at `path`."""
    try:
        # Figure + the Agg canvas, not pyplot: no global backend switch, no GUI, no figure leak
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise RuntimeError(
            "plotting needs matplotlib: pip install matplotlib (or the project's `plots` extra)"
        ) from exc
    if profile.empty:
        raise ValueError("empty performance profile: no instance was solved to optimality")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(7, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    tau_max = float(profile["tau"].max())
    # extend every line past the last ratio so the final step is visible
    right = tau_max * 1.25 if tau_max > 1 else 2.0
    for config, sub in profile.groupby("config", sort=False):
        sub = sub.sort_values("tau")
        tau = np.append(sub["tau"].to_numpy(), right)
        fraction = np.append(sub["fraction"].to_numpy(), sub["fraction"].iloc[-1])
        ax.step(tau, fraction, where="post", label=str(config), linewidth=1.6)
    ax.set_xscale("log", base=2)
    ax.set_xlim(1.0, right)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("tau (time / fastest time, log2 scale)")
    ax.set_ylabel("fraction of instances solved within tau")
    ax.set_title("Performance profile (Dolan-Moré)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    with replacing(path) as fh:
        fig.savefig(fh, format="png")
    return path


def _wrong_rows(runs: pd.DataFrame, reference: dict[str, float] | None) -> pd.DataFrame:
    verdict = check_reference(runs, reference)
    mask = verdict.isin(WRONG_VERDICTS)
    reference = reference or {}
    inst = _col(runs, "instance").astype(str)
    return pd.DataFrame({
        "instance": inst[mask],
        "config": config_label(runs)[mask],
        "termination": _termination(runs)[mask],
        "objective": _num(runs, "objective")[mask],
        "bound": _num(runs, "bound")[mask],
        "reference": [float(reference[i]) for i in inst[mask]],
        "verdict": verdict[mask],
    }).reset_index(drop=True)


def _failure_rows(runs: pd.DataFrame) -> pd.DataFrame:
    term = _termination(runs)
    mask = term.isin(FAILURES)
    return pd.DataFrame({
        "instance": _col(runs, "instance").astype(str)[mask],
        "config": config_label(runs)[mask],
        "repetition": _col(runs, "repetition")[mask],
        "termination": term[mask],
        "error": [_truncate(e) for e in _col(runs, "error")[mask]],
    }).reset_index(drop=True)


_METRICS = (
    "Times are total seconds per run (build + solve). `sgm_seconds` is the shifted geometric "
    "mean exp(mean(log(t + 10))) - 10 (shift 10 s); a run that did not terminate optimal "
    "(time-limit hit, error, timeout, ...) counts at its time limit, and when an instance was "
    "run several times with one configuration the median time enters the mean (each repetition "
    "still counts as a cell). `failures` = error + timeout runs. The gap is "
    "(bound - objective) / max(|objective|, 1) (maximization). Against a reference value, "
    "\"wrong optimum\" is a claimed optimum that differs from it and \"invalid bound\" a bound "
    "below it. The performance profile (Dolan-Moré) shows, per configuration, the fraction of "
    "instances solved to optimality within a factor tau of the fastest configuration."
)


def write_report(runs: pd.DataFrame, out_dir: str | Path, reference: dict[str, float] | None = None,
                 title: str = "Benchmark report") -> Path:
    """Write out_dir/report.md (and performance_profile.png beside it); return the markdown path.

    Wrong answers, when there are any, come first, before the summary.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    keys = _with_keys(runs)
    parts = [f"# {title}", ""]
    wrong = _wrong_rows(runs, reference)
    if not wrong.empty:
        parts += ["## Wrong answers", "",
                  f"**{len(wrong)} run(s) contradict the reference value.**", "",
                  markdown_table(wrong, index=False, fmt=_fmt), ""]
    parts += [f"{len(runs)} runs, {keys['instance'].nunique()} instances, "
              f"{keys['config'].nunique()} configurations.", "", _METRICS, ""]
    parts += ["## Summary", "", markdown_table(summarize(runs, reference), fmt=_fmt), ""]
    failures = _failure_rows(runs)
    parts += ["## Failures", ""]
    parts += [markdown_table(failures, index=False, fmt=_fmt) if not failures.empty else "None.", ""]
    parts += ["## Per instance", "", markdown_table(instance_table(runs, reference), fmt=_fmt), ""]
    parts += ["## Performance profile", ""]
    profile = performance_profile(runs)
    png = out_dir / "performance_profile.png"
    if profile.empty:
        parts += ["No instance was solved to optimality: no performance profile.", ""]
    else:
        try:
            plot_performance_profile(profile, png)
            parts += ["![performance profile](performance_profile.png)", ""]
        except RuntimeError as exc:
            parts += [f"Performance profile not plotted: {exc}.", ""]
    md = out_dir / "report.md"
    write_text(md, "\n".join(parts))
    return md


def format_terminal(runs: pd.DataFrame, reference: dict[str, float] | None = None) -> str:
    """Plain-text report: wrong answers first, behind a loud marker line, then the summary table."""
    lines = []
    wrong = _wrong_rows(runs, reference)
    if not wrong.empty:
        lines.append(f"!!! {len(wrong)} WRONG ANSWER{'S' if len(wrong) != 1 else ''}")
        for w in wrong.itertuples(index=False):
            lines.append(f"  {w.verdict}: {w.instance} [{w.config}] {w.termination} objective={_fmt(w.objective)} "
                         f"bound={_fmt(w.bound)} reference={_fmt(w.reference)}")
        lines.append("")
    summary = summarize(runs, reference)
    lines.append("summary (sgm: shifted geometric mean, shift 10 s, non-optimal runs at the limit)")
    lines.append(summary.to_string(float_format=_fmt) if not summary.empty else "(no runs)")
    return "\n".join(lines) + "\n"
