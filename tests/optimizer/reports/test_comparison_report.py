"""The comparison report: the CSVs, report.md (why the portfolios differ, infeasible variants with
their reason) and the self-contained report.html, from one solved comparison of the example.

The figures come from optimizer.reports.figures (plot_comparison, plot_frontier); without matplotlib
the tests put a stand-in that writes a small PNG."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pandas as pd
import pytest

from instances import read_scenario
from optimizer import Comparison, Frontier, compare
from optimizer.reports import comparison_report
from optimizer.reports.comparison_report import (
    describe_term_changes,
    format_comparison,
    markdown_table,
    write_comparison_report,
    write_frontier_report,
)

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "alliance-60"


def tiny_png() -> bytes:
    """A valid 1x1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


def _fake_comparison_plot(cmp, path):
    path = Path(path)
    paths = [path.with_name(f"{path.stem}_{k}.png") if path.suffix else path / f"{k}.png"
             for k in ("metrics", "network")]
    for p in paths:
        p.write_bytes(tiny_png())
    return paths


def _fake_frontier_plot(fr, path):
    path = Path(path)
    out = path if path.suffix else path / "frontier.png"
    out.write_bytes(tiny_png())
    return out


def use_figures_or_stand_ins(mp: pytest.MonkeyPatch) -> str:
    """'real' when optimizer.reports.figures and matplotlib import, else stand-ins are patched in ('fake')."""
    try:
        import matplotlib  # noqa: F401

        from optimizer.reports.figures import plot_comparison, plot_frontier  # noqa: F401
        return "real"
    except (ImportError, AttributeError, SyntaxError):
        mp.setattr(comparison_report, "plot_comparison", _fake_comparison_plot)
        mp.setattr(comparison_report, "plot_frontier", _fake_frontier_plot)
        return "fake"


@pytest.fixture(scope="module")
def cmp() -> Comparison:
    base = read_scenario(EXAMPLE)
    return compare([base,
                    base.variant("tight", size_min=9, size_max=9, scale_limits={"budget": 0.1}),
                    base.variant("reputation", reputation_weight=3.0),
                    base.variant("breadth", breadth=1.0)], time_limit=30)


@pytest.fixture(scope="module")
def report(cmp, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cmp") / "report"
    with pytest.MonkeyPatch.context() as mp:
        use_figures_or_stand_ins(mp)
        path = write_comparison_report(cmp, folder, title="Budget & <reputation>")
    assert path == folder / "report.md"
    return folder


def test_the_comparison_is_what_the_report_tests_assume(cmp):
    assert cmp.results["tight"].termination.value == "infeasible"
    assert all(cmp.results[n].has_solution for n in cmp.names if n != "tight")


def test_summary_csv_has_one_column_per_scenario(cmp, report):
    summary = pd.read_csv(report / "summary.csv", index_col="metric")
    assert list(summary.columns) == cmp.names
    for row in ("termination", "objective", "gap", "size", "term: reputation", "foreign_share", "use budget"):
        assert row in summary.index
    assert summary.at["termination", "tight"] == "infeasible"
    assert float(summary.at["objective", "reputation"]) == pytest.approx(cmp.results["reputation"].objective)


def test_portfolios_and_diffs_csv(cmp, report):
    portfolios = pd.read_csv(report / "portfolios.csv", keep_default_na=False)
    assert list(portfolios.columns) == ["id", "name", "region", *cmp.names]
    assert set(portfolios["id"]) == {i for n in cmp.names for i in cmp._partners(n)}
    assert (portfolios["tight"] == "").all()
    diffs = pd.read_csv(report / "diffs.csv", keep_default_na=False)
    assert list(diffs.columns) == ["scenario", "compared_with", "change", "id", "name", "region", "level",
                                   "contribution", "in"]
    assert set(diffs["scenario"]) == {"reputation", "breadth"}      # not the infeasible one
    assert (diffs["compared_with"] == cmp.names[0]).all()
    for name in ("reputation", "breadth"):
        expected = cmp.diff(cmp.names[0], name)
        got = diffs[diffs["scenario"] == name]
        assert sorted(zip(got["change"], got["id"])) == sorted(zip(expected["change"], expected["id"]))
    assert {"added", "dropped"} <= set(diffs["change"])


def test_report_md_says_why_the_portfolios_differ(cmp, report):
    md = (report / "report.md").read_text(encoding="utf-8")
    first = cmp.names[0]
    assert md.startswith("# Budget & \\<reputation>")
    assert "## Summary" in md and "| termination |" in md and "## Why the portfolios differ" in md
    tight = md.split("### tight vs")[1].split("###")[0]
    assert "infeasible" in tight and cmp.results["tight"].message[:30] in tight
    for name in ("reputation", "breadth"):
        section = md.split(f"### {name} vs {first}")[1].split("\n#")[0]
        diff = cmp.diff(first, name)
        for row in diff.to_dict("records"):
            label = {"added": "Added:", "dropped": "Dropped:"}[row["change"]]
            assert label in section and f"{row['name']} ({row['id']}" in section
        assert "Objective terms:" in section
    rep = md.split("### reputation vs")[1].split("\n#")[0]
    # a heavier reputation weight: the change is split into what the partners and the weights make
    split = cmp.decompose(first, "reputation")
    assert f"reputation {split.at['reputation', 'total']:+.2f}" in rep
    assert f"weights {split.at['reputation', 'weights']:+.2f}" in rep or "all from the weights" in rep
    assert f"Scored with {first}'s weights" in rep


def test_report_links_the_figures_and_the_html_embeds_them(report):
    md = (report / "report.md").read_text(encoding="utf-8")
    pngs = sorted(p.name for p in report.glob("*.png"))
    assert pngs, "no figure written"
    for name in pngs:
        assert f"]({name})" in md
    page = (report / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert page.count('src="data:image/png;base64,') == len(pngs)
    assert "src=\"comparison" not in page                    # self-contained: no link to a file
    assert "<table" in page and "Why the portfolios differ" in page
    assert "Budget &amp; &lt;reputation&gt;" in page          # text is escaped


def test_format_comparison_is_the_terminal_table(cmp):
    text = format_comparison(cmp)
    header = text.splitlines()[0]
    assert all(name in header for name in cmp.names)
    for row in ("termination", "objective", "gap", "size", "domains covered", "foreign share", "term: reputation",
                "term: redundancy"):
        assert any(line.startswith(row) for line in text.splitlines()), row
    assert "tight: no portfolio (infeasible): " + cmp.results["tight"].message in text
    assert "What limits each portfolio" in text
    for name in cmp.names:
        if cmp.results[name].has_solution:     # each portfolio says what limits it
            assert any(line.strip().startswith((f"{name}: Limits that bind", f"{name}: No limit is used up"))
                       for line in text.splitlines()), name


def test_term_changes_in_plain_words():
    changes = pd.Series({"reputation": 13.0612, "redundancy": -2.448, "bonus": 0.0, "complexity": 0.001,
                         "coordination": 0.5})
    text = describe_term_changes(changes)
    assert text.startswith("reputation +13.06 (more reputable partners), redundancy -2.45 (more overlap")
    assert "coordination +0.50 (lower coordination cost)" in text
    assert "bonus" not in text and "complexity" not in text
    assert describe_term_changes(pd.Series({"diversity": 0.0})) == ""


def test_markdown_table_escapes_cells():
    df = pd.DataFrame({"a|b": ["x|y", None], "n": [1.5, float("nan")]}, index=pd.Index(["r1", "r2"], name="row"))
    assert markdown_table(df).splitlines() == ["| row | a\\|b | n |", "| --- | --- | ---: |",
                                               "| r1 | x\\|y | 1.5 |", "| r2 |  |  |"]


def test_without_matplotlib_the_report_says_so(cmp, tmp_path, monkeypatch):
    def no_matplotlib(cmp, path):
        raise RuntimeError("figures need matplotlib: pip install matplotlib")

    monkeypatch.setattr(comparison_report, "plot_comparison", no_matplotlib)
    path = write_comparison_report(cmp, tmp_path / "r")
    assert "Figures not drawn: figures need matplotlib" in path.read_text(encoding="utf-8")
    assert "data:image/png" not in (tmp_path / "r" / "report.html").read_text(encoding="utf-8")


def test_writes_stay_in_the_folder(cmp, tmp_path, monkeypatch):
    """A folder name with a dot keeps the figures inside it; a symlink planted at a report file's
    name is replaced, not followed."""
    use_figures_or_stand_ins(monkeypatch)
    folder = tmp_path / "report.v1"
    folder.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (folder / "report.md").symlink_to(victim)
    write_comparison_report(cmp, folder)
    assert victim.read_text() == "keep me"
    assert not (folder / "report.md").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.v1", "victim.txt"]
    assert list(folder.glob("*.png")) and not list(folder.glob(".*.tmp"))


def test_frontier_report(cmp, tmp_path, monkeypatch):
    """write_frontier_report on a frontier built from the solved comparison (no new solve)."""
    use_figures_or_stand_ins(monkeypatch)
    names = [cmp.names[0], "breadth"]
    table = pd.DataFrame({"value": [0.5, 1.0], "scenario": names, "termination": ["optimal", "optimal"],
                          "optimal": [True, True], "objective": [cmp.results[n].objective for n in names],
                          "bound": [cmp.results[n].bound for n in names], "gap": [0.0, 0.0], "size": [4, 4],
                          "changed": [False, True], "added": ["", "C057"], "dropped": ["", "C022"]})
    sub = Comparison({n: cmp.scenarios[n] for n in names}, {n: cmp.results[n] for n in names})
    fr = Frontier("breadth", table, sub)
    path = write_frontier_report(fr, tmp_path / "fr")
    md = path.read_text(encoding="utf-8")
    assert "| breadth from | to | termination | objective | partners | added | dropped |  |" in md
    assert "breadth between 0.5 and 1: in: Chennai ICT Cluster (C057); out: Bangalore Biotech Cluster (C022)" in md
    assert "](frontier.png)" in md and (tmp_path / "fr" / "frontier.png").is_file()
    assert list(pd.read_csv(tmp_path / "fr" / "frontier.csv").columns) == list(table.columns)
