"""`alliance bench run | report | export` end to end, and their one-line errors."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.cli import main
from benchmarks.harness.store import ResultsStore
from instances import generate_qkp, write_qkp
from tests.benchmarks.harness.test_store import _big_store, _corrupt, _digest, _notes, _tables_and_journal
from tests.problem_strategies import enumerate_optimum
from tests.shared_data import require_qkp_standard

REPO = Path(__file__).resolve().parents[2]
NOBODY = 65534


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


def _rows(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]


def _summary(out: str, config: str) -> list[str]:
    """The cells of one configuration's line of the summary table."""
    line = next(ln for ln in out.splitlines() if ln.startswith(config + " "))
    return line.split()[1:]


# ------------------------------------------------------------------ one suite, however it is typed

def test_a_suite_run_from_its_folder_and_by_its_absolute_path_is_stored_once(tmp_path, folder, capsys, monkeypatch):
    suite = tmp_path / "suite.toml"
    suite.write_text(f'instances = ["{folder.name}"]\nsolvers = ["bruteforce"]\nresults = "r.sqlite"\n')
    monkeypatch.chdir(tmp_path)
    assert main(["bench", "run", "suite.toml", "--no-progress"]) == 0
    assert "3 cells run, 0 already in" in capsys.readouterr().err
    monkeypatch.chdir(folder)                         # somewhere else, the same suite by its absolute path
    assert main(["bench", "run", str(suite), "--no-progress"]) == 0
    assert "0 cells run, 3 already in" in capsys.readouterr().err
    # the same files typed as a pattern, one by one, or through a link to the folder
    (tmp_path / "link").symlink_to(folder)
    assert main(["bench", "run", "--instances", str(tmp_path / "link" / "*.txt"), "../set/jeu_10_50_1.txt",
                 "--solvers", "bruteforce", "--no-progress", "--results", str(tmp_path / "r.sqlite")]) == 0
    assert "0 cells run, 3 already in" in capsys.readouterr().err
    assert _rows(tmp_path / "r.sqlite") == 3


# ------------------------------------------------------------------ references for files and patterns

def test_single_files_and_patterns_are_checked_against_the_optima_beside_them(tmp_path, folder, capsys,
                                                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["--solvers", "bruteforce", "--no-progress", "--results", "r.sqlite"]
    assert main(["bench", "run", "--instances", "set/jeu_10_50_1.txt", "set/jeu_10_50_2.txt", *args]) == 0
    out = capsys.readouterr().out
    assert _summary(out, "bruteforce/auto")[-2:] == ["0", "2"]          # wrong 0, correct 2 (was correct 0)
    assert main(["bench", "run", "--instances", "se?/jeu_10_50_[12].txt", *args]) == 0   # a folder pattern too
    assert _summary(capsys.readouterr().out, "bruteforce/auto")[-2:] == ["0", "2"]
    monkeypatch.chdir(folder)                          # a report from elsewhere finds them by the stored path
    assert main(["bench", "report", "--results", str(tmp_path / "r.sqlite"), "--out", str(tmp_path / "rep")]) == 0
    assert _summary(capsys.readouterr().out, "bruteforce/auto")[-2:] == ["0", "2"]


def test_a_standard_instance_given_as_a_file_is_checked_against_its_published_optimum(tmp_path, capsys):
    instance = require_qkp_standard() / "jeu_100_25_1.txt"
    assert main(["bench", "run", "--instances", str(instance), "--solvers", "auto", "--time-limit", "60",
                 "--no-progress", "--results", str(tmp_path / "r.sqlite")]) == 0
    cells = _summary(capsys.readouterr().out, "auto/auto")
    assert cells[1] == "1", cells                       # optimal
    assert cells[-2:] == ["0", "1"], cells              # wrong 0, correct 1


def test_configurations_without_any_reference_value_say_n_a(tmp_path, capsys):
    assert main(["bench", "run", "--instances", "qkp:n=8,seeds=1", "--solvers", "bruteforce", "--no-progress",
                 "--results", str(tmp_path / "r.sqlite")]) == 0
    assert _summary(capsys.readouterr().out, "bruteforce/auto")[-2:] == ["n/a", "n/a"]


def test_a_suite_of_no_cells_exits_2_saying_why(tmp_path, capsys):
    assert main(["bench", "run", "--instances", "qkp:n=8,seeds=1", "--solvers", "heuristic", "--formulations",
                 "standard", "--no-progress", "--results", str(tmp_path / "r.sqlite")]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "expands to no cells" in line and "heuristic does not take formulation 'standard'" in line, line
    assert not (tmp_path / "r.sqlite").exists()


# ------------------------------------------------------------------ stores that cannot be used

def test_report_and_export_refuse_another_programs_database_and_leave_it_untouched(tmp_path, capsys):
    notes = _notes(tmp_path / "notes.sqlite")
    before = _digest(tmp_path)
    for argv in (["bench", "report", "--results", str(notes), "--out", str(tmp_path / "rep")],
                 ["bench", "export", str(tmp_path / "runs.csv"), "--results", str(notes)]):
        assert main(argv) == 2
        line = _one_line(capsys.readouterr().err)
        assert str(notes) in line and "not a results store" in line and "its tables: notes" in line, line
    assert _digest(tmp_path) == before                 # no tables added, no WAL, no report, no CSV
    assert _tables_and_journal(notes) == (["notes"], "delete")


def test_a_corrupted_store_exits_2_in_one_line_before_any_run(tmp_path, capsys):
    path = _corrupt(_big_store(tmp_path / "r.sqlite"))
    for argv in (["bench", "run", "--instances", "qkp:n=8,seeds=1", "--solvers", "bruteforce", "--no-progress",
                  "--results", str(path)],
                 ["bench", "report", "--results", str(path), "--out", str(tmp_path / "rep")],
                 ["bench", "export", str(tmp_path / "runs.csv"), "--results", str(path)]):
        assert main(argv) == 2, argv
        captured = capsys.readouterr()
        line = _one_line(captured.err)
        assert line.startswith(f"alliance: error: {path}: the results file is corrupted"), line
        assert ".recover" in line and "cells run" not in captured.err


@pytest.fixture
def place():
    """A folder another user may enter (pytest's own temporary folders are private to root)."""
    base = Path(tempfile.mkdtemp(prefix="alliance-test-"))
    base.chmod(0o755)
    (base / "home").mkdir()
    (base / "home").chmod(0o777)
    yield base
    for sub in [base, *base.rglob("*")]:
        if sub.is_dir() and not sub.is_symlink():
            sub.chmod(0o755)
    shutil.rmtree(base, ignore_errors=True)


def _alliance_without_root(argv: list[str], home: Path) -> subprocess.CompletedProcess:
    """`alliance ARGV` in a process bound by file permissions: as nobody when the tests run as root
    (root writes read-only files and folders), else as this user."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv (util-linux): cannot run as a user bound by permissions")
        prefix = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    code = "import sys; from benchmarks.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([*prefix, sys.executable, "-c", code, *argv], cwd=REPO, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "HOME": str(home), "MPLCONFIGDIR": str(home)})


def _store_in(folder: Path, mode: int, file_mode: int) -> Path:
    folder.mkdir()
    with ResultsStore(folder / "r.sqlite") as store:
        store.record({"key": "k", "instance": "x", "instance_set": "s", "solver": "bruteforce",
                      "formulation": "auto", "termination": "optimal", "objective": 1.0, "total_seconds": 0.1})
    (folder / "r.sqlite").chmod(file_mode)
    folder.chmod(mode)
    return folder / "r.sqlite"


RUN = ["bench", "run", "--instances", "qkp:n=8,seeds=1", "--solvers", "bruteforce", "--no-progress"]


def test_a_read_only_results_file_exits_2_saying_so(place):
    path = _store_in(place / "open", 0o777, 0o444)
    proc = _alliance_without_root([*RUN, "--results", str(path)], place / "home")
    assert proc.returncode == 2, proc.stderr
    line = _one_line(proc.stderr)
    assert line == (f"alliance: error: {path}: the results file is read-only; make it writable (chmod u+w {path}) "
                    f"or give --results another file"), line


def test_a_results_file_in_a_read_only_folder_exits_2_saying_the_folder_is_not_writable(place):
    existing = _store_in(place / "locked", 0o555, 0o666)
    for path in (place / "locked" / "new.sqlite", existing):
        proc = _alliance_without_root([*RUN, "--results", str(path)], place / "home")
        assert proc.returncode == 2, proc.stderr
        line = _one_line(proc.stderr)
        assert f"{path}: the folder {path.parent} is not writable" in line, line
        assert "give --results a file in a writable folder" in line
    assert not (place / "locked" / "new.sqlite").exists()


def test_a_report_reads_a_store_in_a_folder_it_cannot_write(place):
    path = _store_in(place / "locked", 0o555, 0o444)
    before = _digest(path.parent)
    proc = _alliance_without_root(["bench", "report", "--results", str(path), "--out", str(place / "home" / "rep")],
                                  place / "home")
    assert proc.returncode == 0, proc.stderr
    assert _summary(proc.stdout, "bruteforce/auto")[:2] == ["1", "1"]
    assert _digest(path.parent) == before
