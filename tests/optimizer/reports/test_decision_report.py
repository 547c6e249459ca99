"""The what-it-takes and robustness report sections: the numbers shown are the analysis's, the files are
written, and a comparison report carries both sections when given them."""

from __future__ import annotations

import pandas as pd
import pytest

from instances import generate_alliance
from optimizer.analysis.compare import compare
from optimizer.analysis.robust import robustness
from optimizer.analysis.sensitivity import what_it_takes
from optimizer.domain.uncertainty import Uncertainty
from optimizer.reports.comparison_report import write_comparison_report
from optimizer.reports.decision_report import write_robustness_report, write_takes_report


@pytest.fixture(scope="module")
def scenario():
    return generate_alliance(14, n_domains=4, seed=6).replace(
        name="small", uncertainty=Uncertainty(relative={"reputation": 0.3, "k_*": 0.1}))


@pytest.fixture(scope="module")
def takes(scenario):
    return what_it_takes(scenario, candidates=scenario.ids[:8], time_limit=60)


@pytest.fixture(scope="module")
def rob(scenario):
    return robustness(scenario, samples=5, seed=1, time_limit=60)


def test_the_takes_report_ranks_the_closest_partners_with_their_thresholds(takes, tmp_path):
    md = write_takes_report(takes, tmp_path / "takes", title="What it takes: small")
    text = md.read_text(encoding="utf-8")
    assert text.startswith("# What it takes: small")
    assert pd.read_csv(tmp_path / "takes" / "what_it_takes.csv")["id"].tolist() == takes["id"].tolist()
    left = takes[takes["status"] == "left out"].dropna(subset=["threshold"]).sort_values("threshold")
    closest = left.iloc[0]
    assert f"Closest to entering ({min(len(left), 10)} of" in text
    row = next(line for line in text.splitlines() if line.startswith(f"| {closest['id']} "))
    assert f"{closest['threshold']:.4g}"[:4] in row
    assert (tmp_path / "takes" / "what_it_takes.png").read_bytes()[:4] == b"\x89PNG"
    html = (tmp_path / "takes" / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html


def test_the_robustness_report_shows_the_summary_tables_and_chart(rob, tmp_path):
    md = write_robustness_report(rob, tmp_path / "rob")
    text = md.read_text(encoding="utf-8")
    assert text.startswith("# Robustness of small to its estimates")
    for line in rob.summary().splitlines()[1:]:
        assert line.strip().replace("*", "\\*")[:60] in text
    samples = pd.read_csv(tmp_path / "rob" / "robustness_samples.csv")
    assert len(samples) == 5 and samples["objective"].tolist() == pytest.approx(rob.samples["objective"].tolist())
    inclusion = pd.read_csv(tmp_path / "rob" / "robustness_inclusion.csv")
    assert inclusion["frequency"].tolist() == pytest.approx(rob.inclusion["frequency"].tolist())
    worst = rob.samples.loc[rob.samples["recommended feasible"], "recommended value"].min()
    assert f"{worst:.4g}" in text.split("The value of the portfolio over the samples")[1]
    assert (tmp_path / "rob" / "robustness.png").read_bytes()[:4] == b"\x89PNG"


def test_a_comparison_report_carries_both_sections(scenario, takes, rob, tmp_path):
    cmp = compare([scenario, scenario.variant("wide", breadth=1.0)], time_limit=60)
    md = write_comparison_report(cmp, tmp_path / "cmp", takes=takes, robust=rob)
    text = md.read_text(encoding="utf-8")
    assert "## What it takes: small" in text and "## How sure is the recommendation? Robustness to estimates" in text
    assert text.index("## Why the portfolios differ") < text.index("## What it takes")
    for name in ("what_it_takes.csv", "robustness_samples.csv", "robustness_inclusion.csv", "what_it_takes.png",
                 "robustness.png"):
        assert (tmp_path / "cmp" / name).exists(), name
