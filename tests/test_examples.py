"""The example scripts run as a user would run them, and the bundled example stays in sync."""

from __future__ import annotations

import contextlib
import io
import runpy
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from instances import generate_alliance, read_scenario

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(script: str) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _run_here(script: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run an example script as __main__ in this process (its code as written; no new interpreter to start)."""
    monkeypatch.setattr(sys, "argv", [str(EXAMPLES / script)])
    monkeypatch.syspath_prepend(str(EXAMPLES))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    return out.getvalue()


def test_portfolio_report_example() -> None:
    out = _run("portfolio_report.py")
    assert "optimal: objective" in out
    assert "Objective breakdown" in out and "Chosen partners" in out
    assert "Why not the most reputable candidate left out?" in out


def test_quickstart_example() -> None:
    out = _run("quickstart.py")
    assert "termination  optimal" in out and "chosen items" in out


def test_bundled_example_is_the_generated_one() -> None:
    # examples/alliance-60 is generate_alliance(60, seed=7) written by make_example_bundle.py
    bundled = read_scenario(EXAMPLES / "alliance-60")
    fresh = generate_alliance(60, seed=7)
    pd.testing.assert_frame_equal(bundled.candidates.reset_index(drop=True).astype(object),
                                  fresh.candidates.reset_index(drop=True).astype(object), check_dtype=False)
    assert bundled.compile().problem.n == fresh.compile().problem.n


def test_large_sparse_example_on_a_smaller_network() -> None:
    done = subprocess.run([sys.executable, str(EXAMPLES / "large_sparse.py"), "800", "2"], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "collab_800_1_b0.05@budget1" in done.stdout and "heuristic (2 s)" in done.stdout
    assert "breakpoints:" in done.stdout and "start: breakpoints" in done.stdout
    assert "bound" in done.stdout and ("Lagrangian" in done.stdout or "breakpoints' cut" in done.stdout)


def test_strategy_examples_give_different_portfolios_and_say_why(monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    portfolios, outs = {}, {}
    for script, term in (("young_cluster_reputation.py", "reputation +"), ("established_cluster_breadth.py", None),
                         ("fast_changing_industry.py", "diversity +"), ("regional_subsidy.py", None)):
        out = outs[script] = _run_here(script, monkeypatch)
        assert "Proven best" in out, out
        explanation = out.split(" vs ", 1)[1]
        assert "objective" in explanation and "objective terms that moved" in explanation
        if term:
            assert term in explanation, explanation
        table = out.split("Chosen partners", 1)[1].split("\n\n", 1)[0]
        portfolios[script] = frozenset(re.findall(r"^\s*(C\d{3})\s", table, re.MULTILINE))
        assert portfolios[script], out
    assert len(set(portfolios.values())) == 4  # four visibly different portfolios
    # the subsidy brings a Latin American partner in
    assert re.search(r"added .*\(Latin America\)", outs["regional_subsidy.py"].split(" vs ", 1)[1])


@pytest.mark.slow     # 10 s; `alliance compare` with its report runs by default in tests/benchmarks/test_cli_compare.py
def test_compare_strategies_example_prints_the_table_and_writes_the_report(tmp_path) -> None:
    done = subprocess.run([sys.executable, str(EXAMPLES / "compare_strategies.py"), "--out", str(tmp_path / "rep")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for name in ("young cluster, reputation", "established cluster, breadth", "fast-changing industry",
                 "subsidy Latin America"):
        assert name in out.splitlines()[0] or name in out  # a column of the table
        assert f"{name} vs " in out  # and its explanation
    assert f"report written to {tmp_path / 'rep' / 'report.md'}" in out
    rep = tmp_path / "rep"
    for f in ("summary.csv", "portfolios.csv", "diffs.csv", "report.md", "report.html"):
        assert (rep / f).stat().st_size > 200, f
    pngs = sorted(rep.glob("*.png"))
    assert len(pngs) >= 2
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    assert "data:image/png;base64," in (rep / "report.html").read_text()
    summary = pd.read_csv(rep / "summary.csv", index_col=0)
    assert (summary.loc["termination"] == "optimal").all()


def test_strategies_comparison_file_holds_the_four_strategies() -> None:
    # `alliance compare` itself is tested end to end in tests/benchmarks/test_cli_compare.py
    sys.path.insert(0, str(EXAMPLES))
    try:
        import strategies
    finally:
        sys.path.remove(str(EXAMPLES))
    from instances import read_comparison

    spec = read_comparison(EXAMPLES / "strategies.toml")
    base = read_scenario(EXAMPLES / "alliance-60")
    expected = [make(base) for make in strategies.STRATEGIES]
    assert [v.name for v in spec.variants] == [base.name] + [v.name for v in expected]
    for got, want in zip(spec.variants[1:], expected):
        assert (got.strategy, got.focal, got.peers, got.policy, dict(got.limits)) == \
            (want.strategy, want.focal, want.peers, want.policy, dict(want.limits))
    assert spec.solve == {"time_limit": 60}
