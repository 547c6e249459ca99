"""benchmarks/timing/speed_targets.py runs end to end on tiny sizes (the real runs are in the README)."""

from __future__ import annotations

import csv

from benchmarks.timing.speed_targets import main


def test_heuristic_target_table(tmp_path, capsys):
    out = tmp_path / "h.csv"
    assert main(["heuristic", "--n", "60", "--densities", "50", "--time-limit", "0.5",
                 "--reference-seconds", "1", "--jobs", "1", "--csv", str(out)]) == 0
    text = capsys.readouterr().out
    assert "mean shortfall" in text
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 2 and all(float(r["shortfall_pct"]) >= 0 for r in rows)
    assert min(float(r["shortfall_pct"]) for r in rows) == 0.0   # the best run defines the reference
    assert {r["solver"] for r in rows} == {"heuristic"}


def test_the_short_runs_can_be_the_default_solve(tmp_path):
    out = tmp_path / "a.csv"
    assert main(["heuristic", "--n", "60", "--densities", "50", "--time-limit", "2", "--reference-seconds", "1",
                 "--jobs", "1", "--solver", "auto", "--csv", str(out)]) == 0
    rows = {r["run_seed"]: r for r in csv.DictReader(out.open())}
    assert rows["0"]["solver"] == "auto" and rows["1"]["solver"] == "heuristic"   # the reference stays the heuristic
    assert rows["0"]["termination"] == "optimal"     # n = 60: the default solve proves it


def test_sparse_target_table(tmp_path, capsys):
    assert main(["sparse", "--n", "400", "--budgets", "0.1", "--time-limit", "0.5",
                 "--reference-seconds", "1", "--jobs", "1"]) == 0
    assert "collab_400_1_b0.1" in capsys.readouterr().out


def test_alliance_target_table(tmp_path, capsys):
    assert main(["alliance", "--n", "30", "--levels", "0", "1", "--time-limit", "0.5", "--reference-seconds", "1",
                 "--jobs", "1"]) == 0
    text = capsys.readouterr().out
    assert "alliance_30_1 " in text and "alliance_30_1_levels" in text and "mean shortfall" in text


def test_build_target_row(tmp_path, capsys):
    out = tmp_path / "b.csv"
    assert main(["build", "--n", "40", "--formulations", "standard", "--pyomo", "--csv", str(out)]) == 0
    row = next(csv.DictReader(out.open()))
    assert int(row["pairs"]) == 40 * 39 // 2 and int(row["columns"]) == 40 + 780
    assert float(row["pyomo_build_s"]) >= 0 and float(row["peak_mb"]) > 0
