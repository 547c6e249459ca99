"""Run benchmark cells: each in its own process, killed past its wall-clock limit, recorded as it ends.

Locally, `--jobs N` threads each watch one worker process; with `--dask ADDRESS`
the same `run_cell` runs on the workers of a dask.distributed cluster and the
rows come back to the submitting side, which alone writes the store.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable

from benchmarks.instance_sets import SuiteError
from benchmarks.store import ResultsStore
from benchmarks.suite import Cell

#: packages whose versions every row records
PACKAGES = ("numpy", "pandas", "highspy", "pyomo", "networkx", "pyscipopt", "gurobipy")

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
            "packages": json.dumps(versions, sort_keys=True), "git_commit": commit}


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def run_cell(data: dict) -> dict:
    """Run one cell (given as `Cell.to_dict()`) in a fresh process; return its results row.

    Never raises for a solver's failure: a crash, a kill past the limit or an
    error inside the solver all come back as a row saying so.
    """
    cell = Cell.from_dict(data)
    row = {"key": cell.key, "instance": cell.instance.name, "instance_set": cell.instance.set,
           "solver": cell.solver, "formulation": cell.formulation, "settings": cell.settings,
           **cell.settings, "seed": cell.seed, "repetition": cell.repetition, **environment()}
    with tempfile.TemporaryDirectory(prefix="alliance-cell-") as tmp:
        cell_path, result_path, err_path = (os.path.join(tmp, f) for f in ("cell.json", "result.jsonl", "stderr"))
        with open(cell_path, "w") as fh:
            json.dump(data, fh)
        t0 = time.monotonic()
        with open(err_path, "w") as err:
            proc = subprocess.Popen([sys.executable, "-m", "benchmarks.worker", cell_path, result_path],
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
        stderr = Path(err_path).read_text(errors="replace")[-2000:]
    loaded = next((r for r in records if r.get("phase") == "loaded"), {})
    done = next((r for r in records if r.get("phase") == "done"), None)
    row.update(n=loaded.get("n"), pairs=loaded.get("pairs"), wall_seconds=wall,
               peak_memory_mb=usage.ru_maxrss / 1024.0,
               timestamp=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    if killed:
        row.update(termination="timeout", total_seconds=wall,
                   error=f"killed after {wall:.1f} s: time limit {cell.time_limit:g} s plus {cell.grace:g} s grace "
                         f"passed without an answer")
    elif done is None:
        how = (f"killed by {_signal_name(-_exit_code(status))}" if _exit_code(status) < 0
               else f"exited with status {_exit_code(status)}")
        row.update(termination="error", total_seconds=wall,
                   error=f"worker crashed ({how}) before reporting a result" + (f": {stderr.strip()}" if stderr.strip() else ""))
    else:
        for k in ("termination", "objective", "bound", "gap", "build_seconds", "solve_seconds", "total_seconds",
                  "solver_version", "error"):
            row[k] = done.get(k)
    return row


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
              progress: bool = True, dask: str | None = None,
              on_row: Callable[[dict], None] | None = None) -> RunSummary:
    """Run the cells not yet in the store (all of them with `rerun`), writing each row as it ends."""
    done = set() if rerun else store.done_keys()
    todo = [c for c in cells if c.key not in done]
    summary = RunSummary(total=len(cells), skipped=len(cells) - len(todo))
    bar = _progress(len(todo), progress)

    def record(row: dict | None) -> None:
        if row is None:  # another harness had claimed it
            summary.taken += 1
            bar.update(1)
            return
        try:
            store.record(row)
        except (sqlite3.Error, OSError) as exc:
            kill_running()
            raise SuiteError(f"{store.path}: cannot write the result of a run ({exc}); every run finished before "
                             f"is kept: free disk space (or fix the file) and run the same command again to "
                             f"resume") from None
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
            _run_dask(todo, dask, record, jobs)
        else:
            _run_local(todo, jobs, record, lambda key: store.claim(key, rerun))
    except KeyboardInterrupt:
        kill_running()
        summary.interrupted = True
    finally:
        bar.close()
    return summary


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="cell", desc="cells", disable=not enabled or total == 0, file=sys.stderr,
                dynamic_ncols=True)


def _run_local(todo: list[Cell], jobs: int, record: Callable[[dict | None], None],
               claim: Callable[[str], bool]) -> None:
    stopping = threading.Event()

    def claimed_run(cell: Cell) -> dict | None:
        # claimed when it starts, not before: a second harness on the same store takes what is left
        if stopping.is_set() or not claim(cell.key):
            return None
        return run_cell(cell.to_dict())

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


def _run_dask(todo: list[Cell], address: str, record: Callable[[dict], None], jobs: int = 1) -> None:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise SuiteError("--dask needs dask.distributed: pip install 'alliance-portfolio[distributed]'") from None
    cluster = None
    if address == "local":  # a throw-away cluster on loopback only, `jobs` single-threaded workers
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None)
        address = cluster.scheduler_address
    try:
        try:
            client = Client(address, timeout="30s")
        except OSError as exc:
            raise SuiteError(f"--dask {address}: cannot reach the scheduler ({exc}); start one with "
                             f"'dask scheduler' or use --dask local") from None
        with client:
            _gather(client, todo, record)
    finally:
        if cluster is not None:
            cluster.close()


def _gather(client, todo: list[Cell], record: Callable[[dict], None]) -> None:
    """Submit every cell and record rows in the order they finish."""
    from distributed import as_completed

    futures = {client.submit(run_cell, c.to_dict(), key=f"cell-{i}-{abs(hash(c.key))}", pure=False,
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
    return {"key": cell.key, "instance": cell.instance.name, "instance_set": cell.instance.set,
            "solver": cell.solver, "formulation": cell.formulation, "settings": cell.settings, **cell.settings,
            "seed": cell.seed, "repetition": cell.repetition, "termination": "error", "error": error,
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"), **environment()}
