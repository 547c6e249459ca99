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
    assert all(name in lines[0] for name in ("base case", "tight", "breadth"))
    assert any(line.startswith("termination") and "infeasible" in line for line in lines)
    assert any(line.startswith("term: diversity") for line in lines)
    folder = project / "out" / "study-report"
    assert lines[-1] == f"report written to {folder / 'report.md'}"
    for name in ("summary.csv", "portfolios.csv", "diffs.csv", "report.md", "report.html"):
        assert (folder / name).is_file(), name
    assert list(pd.read_csv(folder / "summary.csv", index_col=0).columns) == ["base case", "tight", "breadth"]
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert "### tight vs base case" in md and "infeasible" in md and "Dropped:" in md


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
    assert main(["frontier", str(EXAMPLE), "--vary", "budget", "--values", "180,120", "--time-limit", "30"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["budget", "from", "to", "termination", "objective", "partners", "added", "dropped"]
    assert sum("<- current limit" in line for line in lines) == 1
    assert "Where the portfolio changes (it stays the same between these values):" in lines
    changes = lines[lines.index("Where the portfolio changes (it stays the same between these values):") + 1:-1]
    assert changes and all(line.startswith("budget from ") and "(exactly)" in line for line in changes)
    folder = project / "alliance-60-frontier"            # default: <bundle name>-frontier, here
    assert lines[-1] == "report written to alliance-60-frontier/report.md"
    table = pd.read_csv(folder / "frontier.csv")
    assert {"value", "used", "current", "termination", "objective", "gap", "size", "added", "dropped"} <= set(table)
    assert len(table) >= 3 and table["current"].sum() == 1 and table["value"].is_monotonic_increasing
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


# ============================================================================ issue 24: usable outputs
INVALID = STUDY + """\
[[variant]]
name = "too many"
size_min = 12
"""


def test_an_invalid_variant_is_shown_beside_the_others_and_the_exit_status_says_so(project, capsys):
    # size_min = 12 with the base's size_max = 10 once made the whole comparison exit 2 with nothing solved
    (project / "study.toml").write_text(INVALID, encoding="utf-8")
    assert main(["compare", str(project / "study.toml")]) == 3
    out, err = capsys.readouterr()
    line = _one_line(err)
    assert "too many" in line and "study.toml:" in line and "size_min" in line
    folder = project / "out" / "study-report"
    summary = pd.read_csv(folder / "summary.csv", index_col=0)
    assert list(summary.columns) == ["base case", "tight", "breadth", "too many"]
    assert summary.at["termination", "too many"] == "invalid" and "size_max" in summary.at["note", "too many"]
    assert summary.at["termination", "breadth"] == "optimal"     # the others are still solved
    assert "too many" in out.splitlines()[0]
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert "Invalid variant" in md and "too many" in md


def test_the_base_takes_the_name_the_comparison_file_gives_it(project, capsys):
    (project / "study.toml").write_text('base_name = "today"\n' + STUDY, encoding="utf-8")
    assert main(["compare", str(project / "study.toml")]) == 0
    folder = project / "out" / "study-report"
    assert list(pd.read_csv(folder / "summary.csv", index_col=0).columns) == ["today", "tight", "breadth"]


def test_the_comparison_says_what_limits_each_portfolio(project, capsys):
    (project / "study.toml").write_text(STUDY, encoding="utf-8")
    assert main(["compare", str(project / "study.toml")]) == 0
    out = capsys.readouterr().out
    assert "What limits each portfolio" in out
    assert any(line.strip().startswith("base case: No limit is used up") for line in out.splitlines())
    md = (project / "out" / "study-report" / "report.md").read_text(encoding="utf-8")
    assert "## What limits each portfolio" in md and "would lower the objective by" in md
    html = (project / "out" / "study-report" / "report.html").read_text(encoding="utf-8")
    assert "What limits each portfolio" in html


def test_a_reader_that_stops_early_still_gets_the_whole_report(project):
    """`alliance compare file.toml | head -3`: the report files are written before the table is printed."""
    import os
    import subprocess
    import sys

    (project / "study.toml").write_text(STUDY, encoding="utf-8")
    read_end, write_end = os.pipe()
    os.close(read_end)              # the reader is gone before anything is printed
    root = Path(__file__).resolve().parents[2]
    try:
        proc = subprocess.run([sys.executable, "-c", "import sys; from benchmarks.cli import main; "
                               "sys.exit(main(sys.argv[1:]))", "compare", str(project / "study.toml")],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=300, cwd=root)
    finally:
        os.close(write_end)
    assert proc.returncode == 141 and proc.stderr == "", (proc.returncode, proc.stderr)
    folder = project / "out" / "study-report"
    for name in ("summary.csv", "portfolios.csv", "diffs.csv", "report.md", "report.html"):
        assert (folder / name).is_file(), name


def test_why_not_answers_by_id_and_name_in_points(project, capsys):
    # why_not existed only in Python, and an unknown name raised a bare KeyError
    assert main(["why-not", str(project / "alliance-60"), "C017", "turin agrifood cluster", "--time-limit", "60"]) == 0
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert err == "" and len(lines) == 3
    assert lines[0].startswith("base case: recommended portfolio") and "Proven best" in lines[0]
    assert lines[1].startswith("Taichung ICT Cluster: the best portfolio with it scores") and "points less" in lines[1]
    assert lines[2] == "Turin Agrifood Cluster: already in the recommended portfolio"


def test_why_not_suggests_the_closest_partner_for_an_unknown_one(project, capsys):
    assert main(["why-not", str(project / "alliance-60"), "Turin Agrifod Cluster"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "no candidate with id or name 'Turin Agrifod Cluster'" in line and "did you mean C042" in line


def test_sensitivity_ranks_what_it_takes_and_writes_the_table(project, capsys, tmp_path):
    csv = tmp_path / "takes.csv"
    assert main(["sensitivity", str(project / "alliance-60"), "C017", "Turin Agrifood Cluster", "--time-limit", "60",
                 "--csv", str(csv), "--resources", "--plot", str(tmp_path / "takes.png")]) == 0
    assert (tmp_path / "takes.png").read_bytes()[:4] == b"\x89PNG"
    out = capsys.readouterr().out
    assert "What one more unit of each limit is worth" in out and "budget" in out.split("worth")[1]
    assert out.startswith("base case: what it takes, in points")
    rows = {line.split()[0]: line for line in out.splitlines()[2:] if line.split() and line.split()[0].startswith("C")}
    assert "left out" in rows["C017"] and "chosen" in rows["C042"]
    table = pd.read_csv(csv).set_index("id")
    assert table.loc["C017", "threshold"] > 0 and bool(table.loc["C017", "proven"])
    assert "C017" in table.loc["C017", "portfolio at threshold"]
    assert main(["sensitivity", str(project / "alliance-60"), "Turin Agrifod"]) == 2      # a typo: the suggestion
    assert "did you mean C042" in capsys.readouterr().err


def test_robust_summarizes_the_samples_and_writes_tables_and_chart(tmp_path, capsys):
    from instances import generate_alliance, write_scenario
    from optimizer.domain.uncertainty import Uncertainty

    bundle = tmp_path / "small"
    write_scenario(generate_alliance(14, n_domains=4, seed=3).replace(
        name="small", uncertainty=Uncertainty(relative={"reputation": 0.3, "k_*": 0.1})), bundle)
    csv = tmp_path / "samples.csv"
    assert main(["robust", str(bundle), "--samples", "5", "--seed", "2", "--time-limit", "60", "--csv", str(csv),
                 "--plot", str(tmp_path / "rob.png")]) == 0
    out = capsys.readouterr().out
    assert "Robustness of 'small' to its estimates (reputation +-30%, k_* +-10%), 5 samples, seed 2:" in out
    assert "The robust portfolio (best mean of the worst 10% of samples" in out
    assert (tmp_path / "rob.png").read_bytes()[:4] == b"\x89PNG"
    samples = pd.read_csv(csv)
    assert list(samples["sample"]) == [0, 1, 2, 3, 4] and "recommended value" in samples
    inclusion = pd.read_csv(tmp_path / "samples_inclusion.csv")
    assert inclusion["frequency"].between(0, 1).all() and inclusion["recommended"].any()
    # --relative replaces the bundle's shares; bad input is one line naming the field, exit status 2
    assert main(["robust", str(bundle), "--samples", "2", "--relative", "use_budget=0.1", "--no-robust"]) == 0
    assert "(use_budget +-10%)" in capsys.readouterr().out
    for args, words in ((["--samples", "-2"], "samples is -2"), (["--relative", "budget=0.1"], "'budget' is not an "
                                                                 "estimated column"),
                        (["--relative", "reputation=1.5"], "larger than the values' range")):
        assert main(["robust", str(bundle), *args]) == 2
        assert words in _one_line(capsys.readouterr().err)


# slow (3 s): the sections are tested by default in tests/optimizer/reports/test_decision_report.py and the
# file's [what_it_takes] / [robust] tables in tests/instances/test_comparison.py
@pytest.mark.slow
def test_compare_adds_what_it_takes_and_robustness_when_the_file_asks(tmp_path, capsys):
    from instances import generate_alliance, write_scenario
    from optimizer.domain.uncertainty import Uncertainty

    write_scenario(generate_alliance(12, n_domains=3, seed=9).replace(
        name="small", uncertainty=Uncertainty(relative={"reputation": 0.2})), tmp_path / "small")
    study = tmp_path / "study.toml"
    study.write_text('base = "small"\n[solve]\ntime_limit = 60\n[[variant]]\nname = "wide"\nbreadth = 1.0\n'
                     '[what_it_takes]\ncandidates = ["C001", "C002", "C003"]\n[robust]\nsamples = 3\nseed = 2\n',
                     encoding="utf-8")
    assert main(["compare", str(study)]) == 0
    out = capsys.readouterr().out
    assert "small: what it takes, in points" in out
    assert "Robustness of 'small' to its estimates (reputation +-20%), 3 samples, seed 2:" in out
    report = (tmp_path / "study-report" / "report.md").read_text(encoding="utf-8")
    assert "## What it takes: small" in report and "## How sure is the recommendation?" in report
    assert len(pd.read_csv(tmp_path / "study-report" / "robustness_samples.csv")) == 3


# slow (3 s): subsidy_to_enter and limit_to_enter are tested by default in tests/optimizer/analysis/test_sensitivity.py
@pytest.mark.slow
def test_sensitivity_entry_says_what_else_would_bring_partners_in(tmp_path, capsys):
    from instances import generate_alliance, write_scenario

    write_scenario(generate_alliance(14, n_domains=4, seed=6).replace(name="small"), tmp_path / "small")
    assert main(["sensitivity", str(tmp_path / "small"), "C011", "--entry", "--time-limit", "60",
                 "--out", str(tmp_path / "takes")]) == 0
    out = capsys.readouterr().out
    lines = out.split("What would bring them in\n")[1].splitlines()
    assert any(" enters at subsidy share " in line or "not even a subsidy" in line for line in lines)
    assert any(" enters at budget " in line or "no budget increase brings it in" in line for line in lines)
    report = (tmp_path / "takes" / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# What it takes: small") and "What else would bring a partner in" in report
