"""`alliance bench run | report | export` end to end, and their one-line errors."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from benchmarks.cli import main
from instances import generate_qkp, write_qkp
from tests.problem_strategies import enumerate_optimum


def _one_line(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if not ln.startswith(("note:", "suite:"))]
    assert len(lines) == 1, f"expected one error line, got {lines!r}"
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def folder(tmp_path):
    """Three small QKP files with their optima, one of them deliberately wrong in optima.csv."""
    data = tmp_path / "set"
    data.mkdir()
    rows = ["instance,optimum"]
    for seed in (1, 2, 3):
        problem = generate_qkp(10, 50, seed=seed)
        write_qkp(problem, data / f"jeu_10_50_{seed}.txt")
        best = enumerate_optimum(problem)[1]
        rows.append(f"jeu_10_50_{seed},{best + (1 if seed == 3 else 0)}")
    (data / "optima.csv").write_text("\n".join(rows) + "\n")
    return data


def test_run_report_export_round_trip(tmp_path, folder, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    suite = tmp_path / "suite.toml"
    suite.write_text(f'instances = ["{folder.name}"]\nsolvers = ["highs", "bruteforce"]\ntime_limit = 20\n')
    assert main(["bench", "run", str(suite), "--no-progress", "--jobs", "2", "--results", "r.sqlite",
                 "--report", "rep"]) == 0
    out, err = capsys.readouterr()
    assert "6 cells run, 0 already in r.sqlite" in err
    # optima.csv beside the folder is the reference: the wrong value for seed 3 is flagged first, loudly
    assert out.lstrip().startswith("!!! 2 WRONG ANSWERS")
    assert out.count("jeu_10_50_3") >= 2
    assert (tmp_path / "rep" / "report.md").read_text().index("Wrong answers") < \
        (tmp_path / "rep" / "report.md").read_text().index("Summary")

    # a second run skips every cell
    assert main(["bench", "run", str(suite), "--no-progress", "--results", "r.sqlite"]) == 0
    assert "0 cells run, 6 already in r.sqlite" in capsys.readouterr().err
    with sqlite3.connect(tmp_path / "r.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 6

    assert main(["bench", "report", "--results", "r.sqlite", "--out", "again"]) == 0
    assert "WRONG ANSWERS" in capsys.readouterr().out
    assert (tmp_path / "again" / "performance_profile.png").exists()

    assert main(["bench", "export", "runs.csv", "--results", "r.sqlite"]) == 0
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert len(runs) == 6 and set(runs["termination"]) == {"optimal"}
    assert set(runs["solver"]) == {"highs", "bruteforce"}


def test_python_dash_m_benchmarks_run_is_bench_run(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "benchmarks", "run", "--instances", "qkp:n=8,seeds=1",
                           "--solvers", "bruteforce", "--no-progress", "--results", str(tmp_path / "r.sqlite")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "1 cells run" in proc.stderr


@pytest.mark.parametrize("argv, words", [
    (["bench", "run", "--instances", "qkp:n=8,seeds=1", "--solvers", "nosuch", "--no-progress"], "unknown solver"),
    (["bench", "run", "--instances", "missing/folder", "--no-progress"], "no such file or folder"),
    (["bench", "run", "--solvers", "highs", "--no-progress"], "names no instances"),
    (["bench", "run", "absent.toml"], "cannot read the suite file"),
    (["bench", "run", "--instances", "qkp:n=8", "--time-limit", "-3"], "positive number"),
    (["bench", "run", "--instances", "qkp:n=8", "--reference", "nope.csv", "--no-progress"], "reference file"),
    (["bench", "report", "--results", "none.sqlite"], "no such results file"),
    (["bench", "export", "out.xlsx", "--results", "none.sqlite"], "no such results file"),
    (["bench"], "required"),
])
def test_bad_bench_arguments_give_one_line_and_status_2(tmp_path, monkeypatch, capsys, argv, words):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(argv))
    assert exc.value.code == 2
    line = _one_line(capsys.readouterr().err)
    assert words in line, line


def test_dask_local_runs_a_loopback_cluster(tmp_path, capsys):
    pytest.importorskip("distributed", reason="dask.distributed is an optional extra (pip install '.[distributed]')")
    results = tmp_path / "r.sqlite"
    assert main(["bench", "run", "--instances", "qkp:n=9,seeds=1-3", "--solvers", "bruteforce", "--dask", "local",
                 "--jobs", "2", "--no-progress", "--results", str(results)]) == 0
    assert "3 cells run" in capsys.readouterr().err
    with sqlite3.connect(results) as db:
        assert db.execute("SELECT COUNT(*) FROM runs WHERE termination = 'optimal'").fetchone()[0] == 3
