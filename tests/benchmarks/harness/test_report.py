"""benchmarks/harness/report.py on hand-made run tables: the numbers are computed by hand here."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from benchmarks.harness import report
from benchmarks.harness.report import (
    check_reference,
    config_label,
    format_terminal,
    instance_table,
    performance_profile,
    plot_performance_profile,
    shifted_geomean,
    summarize,
    write_report,
)


def run(instance="a", solver="highs", formulation="rlt", termination="optimal", total_seconds=1.0,
        time_limit=60.0, threads=1, objective=100.0, bound=None, repetition=0, error=None, **extra) -> dict:
    """One stored run with defaults; an optimal run's bound defaults to its objective."""
    if bound is None and termination == "optimal":
        bound = objective
    row = {
        "instance": instance, "instance_set": "test", "n": 10, "pairs": 45,
        "solver": solver, "solver_version": "1.0", "formulation": formulation,
        "settings": json.dumps({"threads": threads, "time_limit": time_limit}),
        "time_limit": time_limit, "threads": threads, "memory_limit_mb": None,
        "seed": 0, "repetition": repetition, "termination": termination,
        "objective": objective, "bound": bound,
        "gap": None if objective is None or bound is None else (bound - objective) / max(abs(objective), 1.0),
        "build_seconds": 0.0, "solve_seconds": total_seconds, "total_seconds": total_seconds,
        "peak_memory_mb": 50.0, "error": error, "host": "box", "key": "k",
    }
    row.update(extra)
    return row


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def sgm(values, shift=10.0):
    return math.exp(sum(math.log(v + shift) for v in values) / len(values)) - shift


# ------------------------------------------------------------------ shifted geometric mean

def test_shifted_geomean_values():
    assert shifted_geomean([5.0]) == pytest.approx(5.0)
    # (2+10)(30+10) = 480 -> sqrt(480) - 10
    assert shifted_geomean([2.0, 30.0]) == pytest.approx(math.sqrt(480) - 10)
    assert shifted_geomean([0.0, 0.0], shift=1.0) == pytest.approx(0.0)
    assert math.isnan(shifted_geomean([]))
    assert report.SHIFT == 10.0


def test_summary_counts_time_limit_hits_and_failures_at_the_limit():
    runs = frame(
        run("a", total_seconds=2.0),
        run("b", termination="time_limit", total_seconds=61.3, objective=90.0, bound=120.0),
        run("c", termination="error", total_seconds=0.5, objective=None, error="boom"),
        run("d", termination="timeout", total_seconds=75.0, objective=None, time_limit=None),
    )
    runs["settings"] = '{"threads": 1}'     # one configuration, whose runs happen to lack a limit or not
    s = summarize(runs)
    row = s.loc["highs/rlt"]
    # a: 2 s; b: at its 60 s limit; c: a fast crash still counts at 60 s; d: no limit -> its own 75 s
    assert row["sgm_seconds"] == pytest.approx(sgm([2.0, 60.0, 60.0, 75.0]))
    assert (row["cells"], row["optimal"], row["failures"]) == (4, 1, 2)
    assert row["mean_gap"] == pytest.approx((0.0 + 30.0 / 90.0) / 2)
    assert row["max_gap"] == pytest.approx(30.0 / 90.0)


def test_no_limit_and_no_time_counts_at_the_slowest_run_of_the_set():
    runs = frame(run("a", total_seconds=7.0, time_limit=None),
                 run("b", termination="error", total_seconds=None, objective=None, time_limit=None))
    assert summarize(runs).loc["highs/rlt", "sgm_seconds"] == pytest.approx(sgm([7.0, 7.0]))


def test_repetitions_are_cells_but_the_median_enters_the_sgm():
    runs = frame(
        run("a", total_seconds=1.0, repetition=0),
        run("a", total_seconds=3.0, repetition=1),
        run("a", total_seconds=50.0, repetition=2),
        run("b", total_seconds=4.0),
    )
    row = summarize(runs).loc["highs/rlt"]
    assert row["cells"] == 4
    # median of (1, 3, 50) = 3, not the mean 18 and not three separate entries
    assert row["sgm_seconds"] == pytest.approx(sgm([3.0, 4.0]))
    assert instance_table(runs).loc["a", "highs/rlt time"] == pytest.approx(3.0)


# ------------------------------------------------------------------ labels

def test_config_label_shows_only_varying_settings():
    runs = frame(run(threads=1), run(threads=2), run(solver="pyomo:scip_direct", formulation="standard", threads=1))
    labels = list(config_label(runs))
    assert labels == ["highs/rlt threads=1", "highs/rlt threads=2", "pyomo:scip_direct/standard threads=1"]
    assert not any("time_limit" in label for label in labels)   # 60 everywhere


def test_config_label_names_the_formulation_auto_chose():
    # the store knows the formulation each run used; the label once said "highs/auto" only
    runs = pd.DataFrame({"solver": ["highs", "highs", "highs", "auto"], "formulation": ["auto", "auto", "rlt", "auto"],
                         "formulation_used": ["glover", "rlt", "rlt", None], "settings": ["{}"] * 4})
    assert list(config_label(runs)) == ["highs/auto (glover, rlt)", "highs/auto (glover, rlt)", "highs/rlt",
                                        "auto/auto"]


def test_config_label_without_varying_settings():
    runs = frame(run("a"), run("b"), run("a", formulation="standard"))
    assert list(config_label(runs)) == ["highs/rlt", "highs/rlt", "highs/standard"]
    assert list(summarize(runs).index) == ["highs/rlt", "highs/standard"]


# ------------------------------------------------------------------ reference check

def test_check_reference_classifies_each_case():
    ref = {"a": 100.0}
    runs = frame(
        run("a", objective=100.0),                                               # correct
        run("a", objective=99.0),                                                # claimed optimal, worse value
        run("a", objective=101.0),                                               # claimed optimal above the optimum
        run("a", termination="time_limit", objective=95.0, bound=98.0),          # bound cuts off the optimum
        run("a", termination="time_limit", objective=103.0, bound=110.0),        # new best known value
        run("a", termination="time_limit", objective=95.0, bound=120.0),         # open gap
        run("a", termination="error", objective=None, bound=None),               # nothing to say
        run("z", objective=5.0),                                                 # no reference
    )
    assert list(check_reference(runs, ref)) == [
        "correct", "wrong optimum", "wrong optimum", "invalid bound",
        "better than reference", "not proven", "not proven", None,
    ]


def test_check_reference_relative_tolerance_and_no_reference():
    runs = frame(run("a", objective=1e9 + 0.5), run("a", objective=1e9 + 5000.0))
    assert list(check_reference(runs, {"a": 1e9})) == ["correct", "wrong optimum"]
    assert list(check_reference(runs, None)) == [None, None]


# ------------------------------------------------------------------ reports

WRONG_RUNS = (
    run("a", objective=100.0),
    run("b", objective=40.0),                                                    # wrong optimum (ref 50)
    run("c", termination="time_limit", total_seconds=60.0, objective=10.0, bound=11.0),  # invalid bound (ref 12)
    run("a", formulation="standard", total_seconds=2.0),
    run("b", formulation="standard", termination="error", objective=None, error="x" * 500),
)
WRONG_REF = {"a": 100.0, "b": 50.0, "c": 12.0}


def test_summary_wrong_and_correct_counts():
    s = summarize(frame(*WRONG_RUNS), WRONG_REF)
    assert (s.loc["highs/rlt", "wrong"], s.loc["highs/rlt", "correct"]) == (2, 1)
    assert (s.loc["highs/standard", "wrong"], s.loc["highs/standard", "correct"]) == (0, 1)


def test_markdown_puts_wrong_answers_before_the_summary(tmp_path):
    md = write_report(frame(*WRONG_RUNS), tmp_path / "out", WRONG_REF, title="QKP n=10")
    assert md == tmp_path / "out" / "report.md"
    text = md.read_text()
    assert text.startswith("# QKP n=10")
    wrong_at, summary_at = text.index("## Wrong answers"), text.index("## Summary")
    assert wrong_at < summary_at
    wrong_section = text[wrong_at:summary_at]
    assert "wrong optimum" in wrong_section and "invalid bound" in wrong_section
    assert "| b | highs/rlt |" in wrong_section
    # failure text truncated
    assert "x" * 190 in text and "x" * 201 not in text
    assert "![performance profile](performance_profile.png)" in text
    assert (tmp_path / "out" / "performance_profile.png").exists()
    # every table line of the summary has the same number of cells as its header
    table = [ln for ln in text[summary_at:text.index("## Failures")].splitlines()
             if ln.startswith("| ") and not set(ln) <= set("|-: ")]         # the header and the rows
    assert len(table) == 3 and len({ln.count(" | ") for ln in table}) == 1


def test_markdown_without_wrong_answers_or_solved_instances(tmp_path):
    runs = frame(run("a", termination="time_limit", objective=1.0, bound=5.0))
    text = write_report(runs, tmp_path, {"a": 3.0}).read_text()
    assert "## Wrong answers" not in text
    assert "no performance profile" in text and not (tmp_path / "performance_profile.png").exists()


def test_markdown_notes_a_missing_matplotlib(tmp_path, monkeypatch):
    def missing(profile, path):
        raise RuntimeError("plotting needs matplotlib: pip install matplotlib")
    monkeypatch.setattr(report, "plot_performance_profile", missing)
    text = write_report(frame(run("a")), tmp_path).read_text()
    assert "pip install matplotlib" in text and "![performance profile]" not in text


def test_terminal_puts_wrong_answers_first():
    text = format_terminal(frame(*WRONG_RUNS), WRONG_REF)
    lines = text.splitlines()
    assert lines[0] == "!!! 2 WRONG ANSWERS"
    assert "wrong optimum: b" in lines[1] and "invalid bound: c" in lines[2]
    assert text.index("WRONG ANSWERS") < text.index("sgm_seconds")
    assert "highs/standard" in text
    assert "WRONG" not in format_terminal(frame(run("a")), {"a": 100.0})


def test_instance_table_statuses():
    t = instance_table(frame(*WRONG_RUNS), WRONG_REF)
    assert list(t.index) == ["a", "b", "c"]
    assert t.loc["b", "reference"] == 50.0
    assert t.loc["b", "highs/rlt status"] == "optimal (wrong optimum)"
    assert t.loc["b", "highs/standard status"] == "error (not proven)"
    assert t.loc["b", "highs/standard time"] == 60.0          # the failure counts at the limit
    assert t.loc["c", "highs/standard status"] == ""          # not run
    assert instance_table(frame(run("a"))).loc["a", "highs/rlt status"] == "optimal"


# ------------------------------------------------------------------ performance profile

def profile_runs() -> pd.DataFrame:
    # fast: fastest on a and b, solves c at 3x the best; slow: fastest on c, 2x on a, fails b;
    # never: solves nothing; instance d is solved by nobody and is dropped
    rows = []
    for inst, fast, slow in [("a", 1.0, 2.0), ("b", 5.0, None), ("c", 6.0, 2.0), ("d", None, None)]:
        for formulation, t in [("fast", fast), ("slow", slow), ("never", None)]:
            if t is None:
                rows.append(run(inst, formulation=formulation, termination="time_limit", total_seconds=60.0,
                                objective=1.0, bound=2.0))
            else:
                rows.append(run(inst, formulation=formulation, total_seconds=t))
    return frame(*rows)


def fraction(profile, config, tau):
    sub = profile[profile["config"] == config]
    return float(sub.loc[np.isclose(sub["tau"], tau), "fraction"].iloc[0])


def test_profile_step_function():
    p = performance_profile(profile_runs())
    assert list(p.columns) == ["config", "tau", "fraction"]
    assert sorted(p["tau"].unique()) == pytest.approx([1.0, 2.0, 3.0])   # ratios: 1,1,3 / 2,inf,1
    # tau = 1: share of instances where the config is fastest (3 solved instances)
    assert fraction(p, "highs/fast", 1.0) == pytest.approx(2 / 3)
    assert fraction(p, "highs/slow", 1.0) == pytest.approx(1 / 3)
    assert fraction(p, "highs/slow", 2.0) == pytest.approx(2 / 3)
    assert fraction(p, "highs/fast", 2.0) == pytest.approx(2 / 3)
    assert fraction(p, "highs/fast", 3.0) == pytest.approx(1.0)          # solves every instance
    assert p.loc[p["config"] == "highs/slow", "fraction"].max() == pytest.approx(2 / 3)
    assert p.loc[p["config"] == "highs/never", "fraction"].max() == 0.0
    for _, sub in p.groupby("config"):
        assert sub["fraction"].is_monotonic_increasing


def test_profile_uses_the_median_over_repetitions():
    runs = frame(
        run("a", formulation="x", total_seconds=1.0, repetition=0),
        run("a", formulation="x", total_seconds=9.0, repetition=1),
        run("a", formulation="x", total_seconds=10.0, repetition=2),
        run("a", formulation="y", total_seconds=3.0),
    )
    p = performance_profile(runs)
    # x: median 9 (not the best 1) -> ratio 3 against y's 3 s
    assert fraction(p, "highs/x", 1.0) == 0.0 and fraction(p, "highs/x", 3.0) == 1.0
    assert fraction(p, "highs/y", 1.0) == 1.0


def test_profile_empty_when_nothing_solved():
    p = performance_profile(frame(run("a", termination="error", objective=None)))
    assert p.empty and list(p.columns) == ["config", "tau", "fraction"]


def test_profile_png(tmp_path):
    path = plot_performance_profile(performance_profile(profile_runs()), tmp_path / "sub" / "p.png")
    assert path == tmp_path / "sub" / "p.png"
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 5_000
