"""`alliance compare` and `alliance frontier` end to end: tables on stdout, the report folder written,
and one-line errors with exit status 2 for bad input (never a traceback)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.cli import main
from tests.optimizer.reports.test_comparison_report import use_figures_or_stand_ins

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "alliance-60"

STUDY = """\
base = "alliance-60"
output = "out/study-report"
[solve]
time_limit = 30
[[variant]]
name = "tight"
size_min = 9
size_max = 9
scale_limits = { budget = 0.1 }
[[variant]]
name = "breadth"
breadth = 1.0
"""


@pytest.fixture(autouse=True)
def figures(monkeypatch):
    return use_figures_or_stand_ins(monkeypatch)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "alliance-60")
    return tmp_path


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    assert "Traceback" not in err
    return lines[0]


def test_compare_prints_the_table_and_writes_the_report(project, capsys, monkeypatch):
    monkeypatch.chdir(project)          # the output folder is relative to the file, not to here
    (project / "study.toml").write_text(STUDY, encoding="utf-8")
    assert main(["compare", str(project / "study.toml")]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert all(name in lines[0] for name in ("alliance_60_8_7", "tight", "breadth"))
    assert any(line.startswith("termination") and "infeasible" in line for line in lines)
    assert any(line.startswith("term: diversity") for line in lines)
    folder = project / "out" / "study-report"
    assert lines[-1] == f"report written to {folder / 'report.md'}"
    for name in ("summary.csv", "portfolios.csv", "diffs.csv", "report.md", "report.html"):
        assert (folder / name).is_file(), name
    assert list(pd.read_csv(folder / "summary.csv", index_col=0).columns) == ["alliance_60_8_7", "tight", "breadth"]
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert "### tight vs alliance_60_8_7" in md and "infeasible" in md and "Dropped:" in md


def test_compare_out_and_time_limit_options(project, tmp_path_factory, capsys):
    (project / "study.toml").write_text(STUDY.replace("breadth = 1.0", "breadth = 0.5"), encoding="utf-8")
    out_dir = tmp_path_factory.mktemp("elsewhere") / "chosen"     # --out may be anywhere
    assert main(["compare", str(project / "study.toml"), "--out", str(out_dir), "--time-limit", "20"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == f"report written to {out_dir / 'report.md'}"
    assert "time_limit=20" in (out_dir / "report.md").read_text(encoding="utf-8")
    assert not (project / "out").exists()


def test_frontier_prints_the_points_and_writes_the_report(project, capsys, monkeypatch):
    monkeypatch.chdir(project)
    assert main(["frontier", str(EXAMPLE), "--vary", "budget", "--points", "4", "--time-limit", "30"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["budget", "termination", "objective", "gap", "size", "added", "dropped"]
    assert len(lines) == 1 + 4 + 1
    folder = project / "alliance-60-frontier"            # default: <bundle name>-frontier, here
    assert lines[-1] == "report written to alliance-60-frontier/report.md"
    table = pd.read_csv(folder / "frontier.csv")
    assert len(table) == 4 and {"value", "termination", "objective", "gap", "size", "added", "dropped"} <= set(table)
    assert table["objective"].is_monotonic_increasing      # more budget never hurts
    assert (folder / "frontier.png").is_file()
    assert "](frontier.png)" in (folder / "report.md").read_text(encoding="utf-8")


def _bad(project: Path, text: str) -> str:
    path = project / "study.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("argv, words", [
    (lambda p: ["compare", _bad(p, STUDY.replace('base = "alliance-60"', 'base = "nosuch"'))],
     ["study.toml:1", "key 'base'", "'nosuch' not found"]),
    (lambda p: ["compare", _bad(p, STUDY.replace("breadth = 1.0", "bredth = 1.0"))],
     ["variant[2].bredth", "variant 2 ('breadth')", "unknown field 'bredth'", "did you mean 'breadth'"]),
    (lambda p: ["compare", _bad(p, STUDY.replace('"out/study-report"', '"../../escape"'))],
     ["key 'output'", "leads out of the comparison file's folder"]),
    (lambda p: ["compare", _bad(p, STUDY.replace('"out/study-report"', '"/tmp/escape"'))],
     ["key 'output'", "absolute path"]),
    (lambda p: ["compare", str(p / "nosuch.toml")], ["nosuch.toml", "no such file"]),
    (lambda p: ["compare", _bad(p, "base = [\n")], ["study.toml", "not a TOML file"]),
    (lambda p: ["compare", _bad(p, STUDY), "--jobs", "0"], ["--jobs", "whole number >= 1"]),
    (lambda p: ["frontier", str(p / "alliance-60"), "--vary", "nosuch"],
     ["cannot vary 'nosuch'", "budget, management, diffusion", "cost_weight"]),
    (lambda p: ["frontier", str(p / "nosuch")], ["nosuch", "no such folder"]),
    (lambda p: ["frontier", str(p / "alliance-60"), "--values", "50,x"], ["--values", "'x'"]),
    (lambda p: ["frontier", str(p / "alliance-60"), "--values", "50", "--points", "3"], ["not allowed with"]),
    (lambda p: ["frontier", str(p / "alliance-60"), "--values", "-5"], ["budget = -5.0", "is not a limit"]),
], ids=["unknown base bundle", "unknown variant field", "output climbs out", "output absolute", "no such file",
        "not toml", "jobs 0", "vary nosuch", "no such bundle", "values not numbers", "values and points",
        "negative value"])
def test_bad_input_is_one_line_and_exit_status_2(project, capsys, monkeypatch, argv, words):
    monkeypatch.chdir(project)
    assert _status(argv(project)) == 2
    out, err = capsys.readouterr()
    line = _one_line(err)
    assert line.startswith("alliance: error: ")
    for word in words:
        assert word in line, f"{word!r} not in {line!r}"
    assert not list(project.glob("**/report.md"))       # nothing written for bad input
    assert not (project.parent / "escape").exists()


def _status(argv: list[str]) -> int:
    """main()'s exit status, whether it returns it or argparse exits with it."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code
