"""The harness runs each cell in its own process: crashes and hangs become rows, a killed harness
loses nothing and resumes, and a Dask cluster on loopback gives the local results."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.harness import report
from benchmarks.harness.instance_sets import read_reference
from benchmarks.harness.runner import run_suite
from benchmarks.harness.store import ResultsStore
from benchmarks.harness.suite import build_suite
from instances import generate_qkp
from tests.problem_strategies import enumerate_optimum
from tests.shared_data import require_qkp_standard

REPO = Path(__file__).resolve().parents[3]
FAKE = "fake=tests.optimizer.solvers.fake_solvers"


@pytest.fixture
def fake_solvers(monkeypatch):
    """The test doubles of tests/optimizer/solvers/fake_solvers.py, visible to worker processes too."""
    from optimizer.solvers import REGISTRY

    monkeypatch.setenv("ALLIANCE_SOLVERS", FAKE)
    monkeypatch.setitem(REGISTRY, "fake", "tests.optimizer.solvers.fake_solvers")
    monkeypatch.chdir(REPO)  # workers import tests.optimizer from here


def test_crashing_and_hanging_solvers_are_recorded_while_the_others_finish(tmp_path, fake_solvers):
    # grace 3 s: with 1 s a HiGHS cell (worker start, HiGHS child start) was killed on a loaded 2-core machine
    suite = build_suite(instances=["qkp:n=10,density=50,seeds=1-2"], solvers=["fake:abort", "fake:hang", "highs"],
                        time_limit=[1.0], grace=3.0)
    cells, _ = suite.cells()
    with ResultsStore(tmp_path / "r.sqlite") as store:
        summary = run_suite(cells, store, jobs=2, progress=False)
        runs = store.runs().set_index(["solver", "instance"])
    assert summary.finished == 6 and summary.failures == 4 and len(runs) == 6
    for inst in ("qkp_10_50_1", "qkp_10_50_2"):
        crash = runs.loc[("fake:abort", inst)]
        assert crash.termination == "error" and "SIGABRT" in crash.error
        hang = runs.loc[("fake:hang", inst)]
        assert hang.termination == "timeout" and "grace" in hang.error
        assert hang.wall_seconds < 10
        assert hang.n == 10  # the instance was loaded before the hang: its size is known
        ok = runs.loc[("highs", inst)]
        seed = int(inst.rsplit("_", 1)[1])
        assert ok.termination == "optimal"
        assert ok.objective == enumerate_optimum(generate_qkp(10, 50, seed=seed))[1]
        assert ok.peak_memory_mb > 10 and ok.git_commit and ok.host and "numpy" in ok.packages


def test_memory_cap_is_recorded_as_an_error(tmp_path):
    # half a million product columns do not fit in 400 MB of address space
    suite = build_suite(instances=["qkp:n=1000,density=100,seeds=1"], solvers=["highs"], formulations=["standard"],
                        time_limit=[5.0], memory_limit=400.0)
    cells, _ = suite.cells()
    with ResultsStore(tmp_path / "r.sqlite") as store:
        run_suite(cells, store, progress=False)
        row = store.runs().iloc[0]
    assert row.termination == "error"
    # the guard refuses before building, with the estimate and what to use instead
    assert row.error.startswith("ResourceError:") and "memory limit of 400 MB" in row.error, row.error
    assert "heuristic" in row.error and "Traceback" not in row.error
    assert row.n == 1000 and row.peak_memory_mb < 400


def _harness(args: list[str], **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "benchmarks", "run", *args, "--no-progress"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _rows(path: Path) -> list[tuple]:
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        try:
            return db.execute("SELECT key, timestamp, objective FROM runs").fetchall()
        except sqlite3.OperationalError:
            return []


def _kill_midway_and_resume(tmp_path: Path, args: list[str], total: int, kill_after: int) -> list[tuple]:
    results = tmp_path / "results.sqlite"
    args = [*args, "--results", str(results)]
    proc = _harness(args)
    deadline = time.monotonic() + 600
    while len(_rows(results)) < kill_after and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, "the suite finished before it could be killed; give it more cells"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = _rows(results)
    assert kill_after <= len(before) < total
    time.sleep(0.5)  # workers die with the harness (PDEATHSIG): nothing writes after this
    assert _rows(results) == before
    done = _harness(args)
    out, err = done.communicate(timeout=900)
    assert done.returncode == 0, err
    assert f"{len(before)} already in" in err
    after = _rows(results)
    assert len(after) == total and len({k for k, _, _ in after}) == total
    assert set(before) <= set(after)  # the rows written before the kill are untouched
    return after


def test_killed_harness_resumes_without_losing_or_duplicating_rows(tmp_path):
    args = ["--instances", "qkp:n=40,density=50,seeds=1-3", "--solvers", "highs,heuristic",
            "--time-limit", "1", "--jobs", "2"]
    _kill_midway_and_resume(tmp_path, args, total=6, kill_after=2)


# slow (12 s): the default suite keeps a kill-and-resume on generated instances (above) and `bench report`
# against a reference in tests/benchmarks/test_bench_command.py
@pytest.mark.slow
def test_standard_suite_resumes_and_every_instance_is_correct(tmp_path):
    # four n = 100, 25% standard instances (the full n = 100 set runs under the slow marker)
    folder = require_qkp_standard()
    pattern = str(folder / "jeu_100_25_[1-4].txt")
    args = ["--instances", pattern, "--solvers", "auto,heuristic", "--time-limit", "30", "--jobs", "2"]
    _kill_midway_and_resume(tmp_path, args, total=8, kill_after=3)
    _report_marks_auto_correct(tmp_path, folder, expected=4)


@pytest.mark.slow
def test_full_n100_standard_suite_resumes_and_every_instance_is_correct(tmp_path):
    folder = require_qkp_standard()
    args = ["--instances", str(folder / "jeu_100_*.txt"), "--solvers", "auto,highs", "--time-limit", "300",
            "--jobs", "2"]
    _kill_midway_and_resume(tmp_path, args, total=78, kill_after=10)
    _report_marks_auto_correct(tmp_path, folder, expected=39)


def _report_marks_auto_correct(tmp_path: Path, folder: Path, expected: int) -> None:
    out = tmp_path / "report"
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "report", "--results", str(tmp_path / "results.sqlite"),
                           "--reference", str(folder / "optima.csv"), "--out", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "WRONG" not in proc.stdout
    with ResultsStore(tmp_path / "results.sqlite") as store:
        runs = store.runs()
    verdicts = report.check_reference(runs, read_reference(folder / "optima.csv"))
    auto = runs["solver"] == "auto"
    assert (verdicts[auto] == "correct").sum() == expected, runs.loc[auto, ["instance", "termination", "objective"]]
    assert not verdicts.isin(["wrong optimum", "invalid bound"]).any()
    text = (out / "report.md").read_text()
    assert "correct" in text and (out / "performance_profile.png").stat().st_size > 2000


# slow (13 s): the default suite runs dask through `alliance bench run --dask local` (test_bench_command.py)
@pytest.mark.slow
def test_dask_cluster_on_loopback_gives_the_local_results(tmp_path):
    distributed = pytest.importorskip("distributed", reason="dask.distributed is an optional extra "
                                                            "(pip install '.[distributed]')")
    suite = build_suite(instances=["qkp:n=12,density=50,seeds=1-3", "alliance:n=10,seeds=1"],
                        solvers=["highs", "bruteforce"], time_limit=[20.0])
    cells, _ = suite.cells()
    with ResultsStore(tmp_path / "local.sqlite") as store:
        run_suite(cells, store, jobs=2, progress=False)
        local = store.runs().set_index("key")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        with ResultsStore(tmp_path / "dask.sqlite") as store:
            summary = run_suite(cells, store, progress=False, dask=cluster.scheduler_address)
            remote = store.runs().set_index("key")
    assert summary.finished == len(cells) == len(remote) == len(local)
    assert sorted(remote.index) == sorted(local.index)
    assert (remote["termination"] == "optimal").all()
    for key in local.index:
        assert remote.loc[key, "objective"] == pytest.approx(local.loc[key, "objective"], abs=1e-9)


def _processes_with(marker: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if marker.encode() in (proc / "environ").read_bytes():
                    pids.append(int(proc.name))
            except OSError:
                pass
    return pids


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find leftover worker processes (Linux)")
def test_ctrl_c_keeps_finished_cells_and_kills_the_running_workers(tmp_path):
    import uuid

    marker = f"ALLIANCE_TEST_MARK={uuid.uuid4().hex}"
    env = {**os.environ, "ALLIANCE_SOLVERS": FAKE, marker.split("=")[0]: marker.split("=")[1]}
    results = tmp_path / "r.sqlite"
    proc = _harness(["--instances", "qkp:n=10,seeds=1-2", "--solvers", "highs,fake:hang", "--time-limit", "60",
                     "--jobs", "2", "--results", str(results)], env=env)
    deadline = time.monotonic() + 120
    while len(_rows(results)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)  # the second hanging worker has started
    assert len(_processes_with(marker)) >= 3  # the harness and two hanging workers
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "run the same command again to resume" in err
    assert "Traceback" not in err
    rows = _rows(results)
    assert len(rows) == 2  # the two finished highs cells; the hanging ones are not recorded
    time.sleep(0.5)
    assert _processes_with(marker) == []


def test_two_harnesses_on_one_store_share_the_cells(tmp_path):
    results = tmp_path / "r.sqlite"
    args = ["--instances", "qkp:n=40,density=50,seeds=1-6", "--solvers", "highs", "--time-limit", "5",
            "--jobs", "1", "--results", str(results)]
    first, second = _harness(args), _harness(args)
    out1, err1 = first.communicate(timeout=600)
    out2, err2 = second.communicate(timeout=600)
    assert first.returncode == 0 and second.returncode == 0, err1 + err2
    rows = _rows(results)
    assert len(rows) == 6 and len({k for k, _, _ in rows}) == 6  # every cell exactly once
    # the work was shared: neither harness ran all eight
    ran = [int(err.split(" cells run")[0].split()[-1]) for err in (err1, err2)]
    assert sum(ran) == 6 and max(ran) < 6, (err1, err2)
    with sqlite3.connect(results) as db:
        assert db.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0  # no claim left behind


# slow (15 s): one kill and resume runs by default (test_killed_harness_resumes_...)
@pytest.mark.slow
def test_repeated_kills_at_random_moments_lose_nothing(tmp_path):
    import random

    rng = random.Random(7)
    results = tmp_path / "r.sqlite"
    args = ["--instances", "qkp:n=30,density=50,seeds=1-6", "--solvers", "highs,heuristic", "--time-limit", "1",
            "--jobs", "2", "--results", str(results)]
    seen: set[tuple] = set()
    for _ in range(2):
        proc = _harness(args)
        time.sleep(rng.uniform(1.0, 3.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        rows = set(_rows(results))
        assert seen <= rows  # nothing written before a kill is ever lost or rewritten
        seen = rows
    done = _harness(args)
    _, err = done.communicate(timeout=600)
    assert done.returncode == 0, err
    rows = _rows(results)
    assert len(rows) == 12 and len({k for k, _, _ in rows}) == 12
    assert seen <= set(rows)


def test_a_failed_write_stops_the_suite_cleanly_and_resume_completes_it(tmp_path, monkeypatch):
    import sqlite3 as sqlite

    from benchmarks.harness.instance_sets import SuiteError

    suite = build_suite(instances=["qkp:n=10,density=50,seeds=1-5"], solvers=["highs"], time_limit=[5.0])
    cells, _ = suite.cells()
    path = tmp_path / "r.sqlite"
    real = ResultsStore.record
    calls = {"n": 0}

    def full_disk(self, row):
        calls["n"] += 1
        if calls["n"] == 3:
            raise sqlite.OperationalError("database or disk is full")
        return real(self, row)

    monkeypatch.setattr(ResultsStore, "record", full_disk)
    with ResultsStore(path) as store, pytest.raises(SuiteError, match="disk is full.*resume"):
        run_suite(cells, store, jobs=1, progress=False)
    monkeypatch.setattr(ResultsStore, "record", real)
    with ResultsStore(path) as store:
        assert len(store) == 2  # the two runs written before the failure
        summary = run_suite(cells, store, jobs=1, progress=False)
        assert summary.skipped == 2 and summary.finished == 3 and len(store) == 5


# ------------------------------------------------------------------ what ran, and its log

def test_each_row_says_what_ran_and_keeps_the_solver_log_when_asked(tmp_path):
    from importlib import metadata

    import highspy

    cells, _ = build_suite(instances=["alliance:n=10,seeds=1", "qkp:n=8,seeds=1"], solvers=["auto"],
                           time_limit=[20.0]).cells()
    with ResultsStore(tmp_path / "r.sqlite") as store:
        run_suite(cells, store, progress=False, keep_logs=True)
        runs = store.runs(logs=True).set_index("instance")
    package = metadata.version("alliance-portfolio")
    highs = f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"
    for row in runs.itertuples():
        assert row.formulation == "auto"                          # the configuration, as asked
        assert row.solver_version == f"alliance-portfolio {package}"   # was blank
        assert (row.highs_version, row.package_version) == (highs, package)
    outer = runs.loc["alliance_10_1"]                             # ended in the outer approximation: no model
    stages = json.loads(outer.stages)
    assert stages[0]["stage"] == "heuristic" and stages[-1]["stage"] == "outer approximation", stages
    assert outer.formulation_used == "none" and "auto pipeline: stage=outer approximation" in outer.log
    bnb = runs.loc["qkp_8_50_1"]                                  # ended in the branch and bound: no model
    assert bnb.formulation_used == "none" and "branch-and-bound" in [s["stage"] for s in json.loads(bnb.stages)]
    # without --keep-logs no log is kept
    with ResultsStore(tmp_path / "plain.sqlite") as store:
        run_suite(cells[:1], store, progress=False)
        assert store.runs(logs=True)["log"].isna().all()


# ------------------------------------------------------------------ stores written with the old keys

def _old_key(cell) -> str:
    """A cell's key as the harness wrote it before instances had an identity: the set as typed first."""
    return json.dumps([cell.instance.set, cell.instance.name, cell.solver, cell.formulation, cell.settings,
                       cell.seed, cell.repetition], sort_keys=True)


def test_a_store_written_with_the_old_keys_resumes_and_moves_its_rows_to_the_new_keys(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for seed in (1, 2, 3):
        from instances import write_qkp

        write_qkp(generate_qkp(8, 50, seed=seed), data / f"q{seed}.txt")
    cells, _ = build_suite(instances=[str(data)], solvers=["bruteforce"], time_limit=[20.0]).cells()
    path = tmp_path / "r.sqlite"
    with ResultsStore(path) as store:
        store.record({"key": _old_key(cells[0]), "instance": cells[0].instance.name, "instance_set": str(data),
                      "solver": "bruteforce", "formulation": "auto", "termination": "optimal", "objective": 1.0})
        # the same instance run under a set typed another way (from another folder): not recognizable
        other = cells[1].instance.name
        store.record({"key": json.dumps(["elsewhere/data", other, "bruteforce", "auto", cells[1].settings, 0, 0],
                                        sort_keys=True),
                      "instance": other, "instance_set": "elsewhere/data", "solver": "bruteforce",
                      "formulation": "auto", "termination": "optimal", "objective": 2.0})
        summary = run_suite(cells, store, progress=False)
        runs = store.runs().set_index("key")
    assert summary.skipped == 1 and summary.finished == 2        # the first cell was recognized, not run again
    assert runs.loc[cells[0].key, "objective"] == 1.0            # ... and its row moved to the new key
    assert runs.loc[cells[0].key, "instance_path"] == str((data / "q1.txt").resolve())
    assert len(runs) == 4 and sum(k.startswith("[") for k in runs.index) == 1
    assert len(summary.notes) == 1 and "'elsewhere/data'" in summary.notes[0] and "earlier version" in summary.notes[0]


# ------------------------------------------------------------------ working folders of killed harnesses

def _cell_folders(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("alliance-cell-*")}


def test_the_folders_of_a_killed_harness_are_removed_by_the_next_run_and_no_others(tmp_path, fake_solvers):
    import json as json_module
    import shutil

    from benchmarks.harness import runner

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "ALLIANCE_SOLVERS": FAKE, "TMPDIR": str(tmp)}
    hang = ["--instances", "qkp:n=8,seeds=1", "--solvers", "fake:hang", "--time-limit", "120"]

    def started(proc: subprocess.Popen, before: set[str]) -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            new = _cell_folders(tmp) - before
            if new:
                time.sleep(0.5)   # the worker is running in it
                return new.pop()
            time.sleep(0.1)
        raise AssertionError(f"no cell folder appeared: {proc.communicate()}")

    alive = _harness([*hang, "--results", str(tmp_path / "a.sqlite")], env=env)
    killed = None
    try:
        mine = started(alive, set())                     # one after the other: each folder has a known owner
        killed = _harness([*hang, "--results", str(tmp_path / "b.sqlite")], env=env)
        gone = started(killed, {mine})
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        time.sleep(0.3)
        assert gone in _cell_folders(tmp)   # SIGKILL: the harness could not remove it
        # the same leftover, but another host's, and (as root) another user's: never touched
        other_host = tmp / f"{gone}-host"
        shutil.copytree(tmp / gone, other_host)
        owner = json_module.loads((other_host / runner.OWNER_FILE).read_text())
        (other_host / runner.OWNER_FILE).write_text(json_module.dumps({**owner, "host": "elsewhere.example"}))
        other_user = tmp / f"{gone}-user"
        if os.geteuid() == 0:
            shutil.copytree(tmp / gone, other_user)
            os.chown(other_user, 65534, 65534)
        no_owner = tmp / "alliance-cell-abc123"          # an earlier version's folder: its owner is unknown
        no_owner.mkdir()
        done = _harness(["--instances", "qkp:n=8,seeds=1", "--solvers", "bruteforce", "--results",
                         str(tmp_path / "c.sqlite")], env=env)
        _, err = done.communicate(timeout=120)
        assert done.returncode == 0, err
        left = _cell_folders(tmp)
        assert gone not in left                            # the killed harness's folder is gone
        assert {mine, other_host.name, no_owner.name} <= left
        assert other_user.name in left or os.geteuid() != 0
    finally:
        for proc in filter(None, (alive, killed)):
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
