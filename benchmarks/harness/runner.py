"""Run benchmark cells: each in its own process, killed past its wall-clock limit, recorded as it ends.

Locally, `--jobs N` threads each watch one worker process; with `--dask ADDRESS`
the same `run_cell` runs on the workers of a dask.distributed cluster and the
rows come back to the submitting side, which alone writes the store.

Each run works in a folder `alliance-cell-<pid>-*` of the temporary directory,
with `owner.json` inside naming the process that made it (host, pid, start
time). A harness killed with SIGKILL cannot remove its folders; the next
`run_suite` on the same host removes those whose owner is gone, and never one
whose owner still runs, whose owner is unknown, or that belongs to another user
or host.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from benchmarks.harness.instance_sets import SuiteError
from benchmarks.harness.store import ResultsStore, explain
from benchmarks.harness.suite import Cell
from optimizer.core.errors import SolverUnavailableError
from optimizer.engine.parallel import dask_client

#: packages whose versions every row records
PACKAGES = ("numpy", "pandas", "highspy", "pyomo", "networkx", "pyscipopt", "gurobipy")

#: name of a run's working folder in the temporary directory, followed by the owner's pid
CELL_PREFIX = "alliance-cell-"
#: the file inside that folder that names its owner
OWNER_FILE = "owner.json"

_live: set[int] = set()          # process groups of running workers, killed on Ctrl-C
_live_lock = threading.Lock()


@functools.cache
def environment() -> dict:
    """Where a run happened: host, Python, package versions, git commit of this code."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    commit = None
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=10)
        if out.returncode == 0:
            commit = out.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    return {"host": socket.gethostname(), "python": platform.python_version(),
            "packages": json.dumps(versions, sort_keys=True), "git_commit": commit,
            "highs_version": _highs_version(), "package_version": _package_version()}


def _highs_version() -> str | None:
    """The HiGHS library's own version (highspy's package version may differ from it)."""
    try:
        import highspy

        return f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"
    except Exception:  # noqa: BLE001 - a broken highspy is recorded as no version, the run says the rest
        return None


def _package_version() -> str:
    from optimizer.core.version import __version__

    return __version__


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _base_row(cell: Cell) -> dict:
    path = cell.instance.path
    return {"key": cell.key, "instance": cell.instance.name, "instance_set": cell.instance.set,
            "instance_path": None if path is None else str(path.resolve()),
            "solver": cell.solver, "formulation": cell.formulation, "settings": cell.settings,
            **cell.settings, "seed": cell.seed, "repetition": cell.repetition, **environment()}


def run_cell(data: dict, keep_logs: bool = False) -> dict:
    """Run one cell (given as `Cell.to_dict()`) in a fresh process; return its results row
    (with the solver's log as `log` when `keep_logs`).

    Never raises for a solver's failure: a crash, a kill past the limit or an
    error inside the solver all come back as a row saying so.
    """
    cell = Cell.from_dict(data)
    row = _base_row(cell)
    tmp = _cell_folder()
    try:
        cell_path, result_path, err_path, log_path = (os.path.join(tmp, f) for f in
                                                      ("cell.json", "result.jsonl", "stderr", "solver.log"))
        with open(cell_path, "w") as fh:
            json.dump(data, fh)
        t0 = time.monotonic()
        with open(err_path, "w") as err:
            proc = subprocess.Popen([sys.executable, "-m", "benchmarks.harness.worker", cell_path, result_path,
                                     *([log_path] if keep_logs else [])],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                    start_new_session=True,  # own group: Ctrl-C is ours to handle
                                    preexec_fn=_die_with_parent)
        with _live_lock:
            _live.add(proc.pid)
        killed = False
        try:
            status, usage = _wait(proc.pid, t0 + cell.wall_limit)
            if status is None:
                killed = True
                _kill(proc.pid)
                _, status, usage = os.wait4(proc.pid, 0)
        finally:
            with _live_lock:
                _live.discard(proc.pid)
            proc.returncode = 0  # reaped by wait4; keep Popen from waiting again
        wall = time.monotonic() - t0
        records = _records(result_path)
        full_stderr = Path(err_path).read_text(errors="replace")
        stderr = full_stderr[-2000:]
        if keep_logs:
            # a worker that died before writing the solver's log leaves its stderr as the only trace
            solver_log = Path(log_path).read_text(errors="replace") if os.path.exists(log_path) else ""
            row["log"] = solver_log or full_stderr or None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    loaded = next((r for r in records if r.get("phase") == "loaded"), {})
    done = next((r for r in records if r.get("phase") == "done"), None)
    row.update(n=loaded.get("n"), pairs=loaded.get("pairs"), wall_seconds=wall,
               peak_memory_mb=usage.ru_maxrss / 1024.0,
               timestamp=datetime.now(UTC).isoformat(timespec="seconds"))
    if killed:
        row.update(termination="timeout", total_seconds=wall,
                   error=f"killed after {wall:.1f} s: time limit {cell.time_limit:g} s plus {cell.grace:g} s grace "
                         f"passed without an answer")
    elif done is None:
        how = (f"killed by {_signal_name(-_exit_code(status))}" if _exit_code(status) < 0
               else f"exited with status {_exit_code(status)}")
        row.update(termination="error", total_seconds=wall,
                   error=f"worker crashed ({how}) before reporting a result"
                   + (f": {stderr.strip()}" if stderr.strip() else ""))
    else:
        for k in ("termination", "objective", "bound", "gap", "build_seconds", "solve_seconds", "total_seconds",
                  "error", "formulation_used", "stages"):
            row[k] = done.get(k)
        row["solver_version"] = done.get("solver_version")
    return row


def _cell_folder() -> str:
    """A new working folder for one run, named with this process's pid and holding `owner.json`, so
    that a later harness can tell whether its owner is gone."""
    tmp = tempfile.mkdtemp(prefix=f"{CELL_PREFIX}{os.getpid()}-")
    owner = {"host": socket.gethostname(), "pid": os.getpid(), "started": _started(os.getpid())}
    with open(os.path.join(tmp, OWNER_FILE), "w") as fh:
        json.dump(owner, fh)
    return tmp


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (which may hold spaces); [] where absent."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _started(pid: int) -> int | None:
    """When the process started (clock ticks since boot, Linux), which tells a pid reused by another
    process from the owner itself; None where /proc is absent."""
    fields = _stat(pid)
    try:
        return int(fields[19])   # field 22 of the line
    except (IndexError, ValueError):
        return None


def _owner_gone(owner: dict) -> bool:
    """Whether the process that made a cell folder on this host has ended."""
    pid = owner.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False              # unreadable owner: keep the folder
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:       # another user's process holds the pid: not the owner, who was us
        return True
    fields = _stat(pid)
    if fields[:1] == ["Z"]:       # killed, not yet reaped by its parent: it will never use the folder again
        return True
    started = owner.get("started")
    return started is not None and _started(pid) not in (None, started)   # the pid now names another process


def clean_stale_cell_folders(folder: str | Path | None = None) -> int:
    """Remove the run folders of harnesses that were killed (their owner is gone) from `folder` (the
    temporary directory by default); return how many were removed.

    Only folders of this user on this host, with a readable owner record, whose owner process has
    ended: a folder of a running harness, of another user or host, or without an owner record (made
    by an earlier version) is left alone."""
    removed = 0
    for entry in Path(folder or tempfile.gettempdir()).glob(f"{CELL_PREFIX}*"):
        try:
            info = entry.lstat()
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
                continue
            owner = json.loads((entry / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(owner, dict) or owner.get("host") != socket.gethostname() or not _owner_gone(owner):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed += not entry.exists()
    return removed


def _find_prctl():
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux
        return None


_prctl = _find_prctl()  # looked up here: the forked child must not import anything


def _die_with_parent() -> None:
    """In the worker, before exec: on Linux, be killed when the harness dies (a SIGKILLed harness
    must not leave solvers running for hours). Elsewhere a no-op."""
    if _prctl is not None:
        _prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _exit_code(status: int) -> int:
    return os.waitstatus_to_exitcode(status)


def _wait(pid: int, deadline: float) -> tuple[int | None, object]:
    """Poll the worker until it ends (status, rusage) or the deadline passes (None, None)."""
    delay = 0.01
    while True:
        got, status, usage = os.wait4(pid, os.WNOHANG)
        if got == pid:
            return status, usage
        if time.monotonic() >= deadline:
            return None, None
        time.sleep(delay)
        delay = min(0.2, delay * 1.5)


def _kill(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _records(path: str) -> list[dict]:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:  # a line cut short by a kill
            pass
    return out


def kill_running() -> None:
    """Kill every worker process this harness started (on Ctrl-C)."""
    with _live_lock:
        pids = list(_live)
    for pid in pids:
        _kill(pid)


@dataclass
class RunSummary:
    """What a `run_suite` call did."""

    total: int = 0
    skipped: int = 0          # already in the store
    taken: int = 0            # run by another harness on the same store at the same time
    finished: int = 0
    failures: int = 0         # error or timeout rows written by this call
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)


def _is_failure(row: dict) -> bool:
    return row.get("termination") in ("error", "timeout")


def run_suite(cells: list[Cell], store: ResultsStore, *, jobs: int = 1, rerun: bool = False,
              progress: bool = True, dask: str | None = None, keep_logs: bool = False,
              on_row: Callable[[dict], None] | None = None) -> RunSummary:
    """Run the cells not yet in the store (all of them with `rerun`), writing each row as it ends;
    `keep_logs` stores each run's solver log (compressed) with its row.

    Rows of a store written before cells were keyed by their instance's identity are found under
    their old key (the instance set as typed then) and moved to the new one; rows that still match
    none are named in a note, not silently run again beside."""
    clean_stale_cell_folders()
    summary = RunSummary(total=len(cells))
    _adopt_legacy_rows(cells, store, summary)
    done = set() if rerun else store.done_keys()
    todo = [c for c in cells if c.key not in done]
    summary.skipped = len(cells) - len(todo)
    bar = _progress(len(todo), progress)

    def record(row: dict | None) -> None:
        if row is None:  # another harness had claimed it
            summary.taken += 1
            bar.update(1)
            return
        try:
            store.record(row)
        except (SuiteError, sqlite3.Error, OSError) as exc:
            kill_running()
            if isinstance(exc, SuiteError):
                raise SuiteError(f"{exc}; every run finished before is kept: run the same command again to "
                                 f"resume") from None
            problem, fix = explain(store.path, exc)
            raise SuiteError(f"{store.path}: cannot write the result of a run ({problem}); every run finished "
                             f"before is kept: {fix}, then run the same command again to resume") from None
        summary.finished += 1
        summary.failures += _is_failure(row)
        if on_row is not None:
            on_row(row)
        bar.update(1)
        bar.set_postfix(failures=summary.failures, refresh=False)

    try:
        if dask:
            todo = [c for c in todo if store.claim(c.key, rerun)]  # the submitting side claims for the cluster
            summary.taken += len(cells) - summary.skipped - len(todo)
            bar.total = len(todo)
            _run_dask(todo, dask, record, jobs, keep_logs)
        else:
            _run_local(todo, jobs, record, lambda key: store.claim(key, rerun), keep_logs)
    except KeyboardInterrupt:
        kill_running()
        summary.interrupted = True
    finally:
        bar.close()
    return summary


def _adopt_legacy_rows(cells: list[Cell], store: ResultsStore, summary: RunSummary) -> None:
    old = store.legacy_rows()
    if not old:
        return
    store.adopt((c.legacy_key, c.key, None if c.instance.path is None else str(c.instance.path.resolve()))
                for c in cells)
    names = {c.instance.name for c in cells}
    left = [s for s, name in store.legacy_rows() if name in names]
    if left:
        sets = ", ".join(repr(s) for s in dict.fromkeys(left))
        summary.notes.append(f"{store.path} holds {len(left)} runs written by an earlier version for instances of "
                             f"this suite under instance sets typed differently ({sets}); they are not counted as "
                             f"done: run once with the sets typed as they were then (the rows are then recognized "
                             f"and moved to the new keys), or let this suite run the cells again beside them")


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="cell", desc="cells", disable=not enabled or total == 0, file=sys.stderr,
                dynamic_ncols=True)


def _run_local(todo: list[Cell], jobs: int, record: Callable[[dict | None], None],
               claim: Callable[[str], bool], keep_logs: bool = False) -> None:
    stopping = threading.Event()

    def claimed_run(cell: Cell) -> dict | None:
        # claimed when it starts, not before: a second harness on the same store takes what is left
        if stopping.is_set() or not claim(cell.key):
            return None
        return run_cell(cell.to_dict(), keep_logs)

    pool = ThreadPoolExecutor(max_workers=jobs)
    pending = {pool.submit(claimed_run, c) for c in todo}
    try:
        while pending:
            # short timeout: the main thread must wake up to see Ctrl-C
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for fut in finished:
                record(fut.result())
    finally:
        # on an error or Ctrl-C no thread may outlive this call: the caller closes the store next
        stopping.set()
        for fut in pending:
            fut.cancel()
        while pending:
            kill_running()  # a cell that started meanwhile is killed too
            _, pending = wait(pending, timeout=0.2)
        pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(todo: list[Cell], address: str, record: Callable[[dict], None], jobs: int = 1,
              keep_logs: bool = False) -> None:
    try:
        with dask_client(address, jobs) as client:
            _gather(client, todo, record, keep_logs)
    except SolverUnavailableError as exc:
        raise SuiteError(f"--{exc}") from None


def _gather(client, todo: list[Cell], record: Callable[[dict], None], keep_logs: bool = False) -> None:
    """Submit every cell and record rows in the order they finish."""
    from distributed import as_completed

    futures = {client.submit(run_cell, c.to_dict(), keep_logs, key=f"cell-{i}-{abs(hash(c.key))}", pure=False,
                             retries=0): c for i, c in enumerate(todo)}
    try:
        for fut in as_completed(futures):
            cell = futures[fut]
            try:
                row = fut.result()
            except Exception as exc:  # the worker died or lost the task: still a row
                row = _lost_row(cell, f"dask: {type(exc).__name__}: {exc}")
            record(row)
    except KeyboardInterrupt:
        client.cancel(list(futures))
        raise


def _lost_row(cell: Cell, error: str) -> dict:
    return {**_base_row(cell), "termination": "error", "error": error,
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds")}
