"""HiGHS through highspy, the model passed as arrays in bulk (no Pyomo on this path)."""

from __future__ import annotations

import atexit
import json
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import formulations
from optimizer.algorithms.tabu import FirstPortfolio
from optimizer.core.result import Termination
from optimizer.core.verify import is_feasible
from optimizer.solvers.base import Adapter as SolverBase
from optimizer.solvers.base import Capabilities, RawAnswer, SolveOptions

if TYPE_CHECKING:
    from formulations.model import MipModel
    from optimizer.core.problem import SelectionProblem


def _termination(status_name: str) -> Termination:
    return {
        "kOptimal": Termination.OPTIMAL,
        "kInfeasible": Termination.INFEASIBLE,
        "kUnboundedOrInfeasible": Termination.INFEASIBLE,  # x is bounded: never unbounded
        "kTimeLimit": Termination.TIME_LIMIT,
        "kInterrupt": Termination.INTERRUPTED,
        "kHighsInterrupt": Termination.INTERRUPTED,
        "kIterationLimit": Termination.INTERRUPTED,
        "kSolutionLimit": Termination.INTERRUPTED,
        "kObjectiveBound": Termination.INTERRUPTED,
        "kObjectiveTarget": Termination.INTERRUPTED,
    }.get(status_name, Termination.ERROR)


class Adapter(SolverBase):
    """HiGHS MIP solver; linear formulations only (HiGHS has no MIQP)."""

    name = "highs"
    capabilities = Capabilities(model=True, quadratic=False)

    def availability(self) -> tuple[bool, str]:
        """highspy is a required dependency, but report cleanly if it is broken."""
        try:
            import highspy

            version = f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"
            return True, f"HiGHS {version}"
        except Exception as exc:  # pragma: no cover - only with a broken install
            return False, f"highspy cannot be imported ({exc}); pip install highspy"

    def solve(self, problem: SelectionProblem, model: MipModel | None, options: SolveOptions) -> RawAnswer:
        """Load the arrays into HiGHS, run it, read back status, x, objective and bound.

        A start that HiGHS's presolve carries into the reduced space with a different
        objective value (seen with HiGHS 1.16: the value is shifted, the search prunes on it
        and the answer claims a value its columns do not have) is dropped and the model
        solved again without it, in the time that is left.
        """
        answer = self._run(model, options)
        if options.warm_start is None:
            return answer
        shift = start_mistranslated(answer.log)
        if shift is None:
            return answer
        remaining = None
        if options.time_limit is not None:
            remaining = max(0.05, options.time_limit - answer.load_seconds - answer.solve_seconds)
        retry = self._run(model, replace(options, warm_start=None, time_limit=remaining))
        retry.load_seconds += answer.load_seconds
        retry.solve_seconds += answer.solve_seconds
        note = (f"HiGHS moved the warm start's objective from {shift[0]:.10g} to {shift[1]:.10g} in presolve; "
                "solved again without the warm start")
        retry.message = "; ".join(s for s in (retry.message, note) if s)
        retry.log = answer.log + "\n--- solved again without the warm start ---\n" + retry.log
        return retry

    def _run(self, model: MipModel | None, options: SolveOptions) -> RawAnswer:
        assert model is not None
        if model.is_quadratic:
            raise ValueError("HiGHS cannot solve models with a quadratic objective over binaries")
        if model.num_col == 0:  # HiGHS refuses an empty model; there is nothing to decide
            return RawAnswer(Termination.OPTIMAL, x=np.zeros(0), columns=np.zeros(0), objective=model.offset,
                             bound=model.offset, nodes=0, version=self.availability()[1].split()[-1])
        return run_in_child(model, options)


#: seconds HiGHS may run past its time limit before it is cancelled, and again before its process is killed
OVERRUN_GRACE = 1.0
#: the script each solve runs in (a test double can take its place)
CHILD_SCRIPT = Path(__file__).with_name("highs_child.py")


def _model_arrays(model: MipModel, warm_start: np.ndarray | None) -> dict[str, np.ndarray]:
    arrays = {
        "col_cost": model.col_cost, "col_lower": model.col_lower, "col_upper": model.col_upper,
        "row_lower": model.row_lower, "row_upper": model.row_upper,
        "row_start": model.row_start.astype(np.int32), "row_index": model.row_index.astype(np.int32),
        "row_value": model.row_value, "integer_columns": np.flatnonzero(model.integrality).astype(np.int32),
    }
    if warm_start is not None:
        arrays["warm_start"] = warm_start
    out = {}
    for name, a in arrays.items():
        a = np.ascontiguousarray(a)
        out[name] = a.astype(np.float64) if a.dtype.kind == "f" and a.dtype != np.float64 else a
    return out


class _Process:
    """A started HiGHS child process and our end of its socket; it waits for a model."""

    def __init__(self) -> None:
        parent, child = socket.socketpair()
        self.stderr = tempfile.TemporaryFile()
        self.owner = os.getpid()
        self.script = CHILD_SCRIPT
        try:
            self.proc = subprocess.Popen(
                # -P: the script's folder (optimizer/solvers, which holds a highs.py and a pyomo.py) must not
                # shadow installed packages
                [sys.executable, "-P", str(self.script), str(child.fileno()), str(os.getpid())],
                pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=self.stderr, close_fds=True)
        except BaseException:
            parent.close()
            self.stderr.close()
            raise
        finally:
            child.close()
        self.conn = Connection(parent.detach())

    def close(self) -> None:
        """Kill the process if it still runs and reap it: nothing is left behind."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.conn.close()
        self.stderr.close()


# A process started ahead of time, so a solve does not wait for Python and highspy to start in
# the next one (about 0.09 s measured, as long as a whole small solve).
_spare: _Process | None = None
_spare_lock = threading.Lock()


def _take_process() -> _Process:
    """The spare process when it is usable, a new one otherwise; a new spare is started for the next solve."""
    global _spare
    with _spare_lock:
        process, _spare = _spare, None
        if process is not None and process.owner != os.getpid():
            process = None  # inherited through a fork: it belongs to the parent, never touch it
        elif process is not None and (process.proc.poll() is not None or process.script != CHILD_SCRIPT):
            process.close()
            process = None
        if process is None:
            process = _Process()
        try:
            _spare = _Process()
        except OSError:  # out of processes: the next solve starts its own
            _spare = None
        return process


@atexit.register
def close_spare() -> None:
    """End the process kept ready for the next solve (it took this process's environment when it started)."""
    global _spare
    with _spare_lock:
        if _spare is not None and _spare.owner == os.getpid():
            _spare.close()
        _spare = None


class _Child:
    """The process running one HiGHS solve, and what it has reported so far."""

    def __init__(self, options: SolveOptions) -> None:
        self.process = _take_process()
        self.proc, self.conn = self.process.proc, self.process.conn
        self.verbose = options.verbose
        self.log: list[str] = []
        self.x: np.ndarray | None = None
        self.objective: float | None = None
        self.bound: float | None = None
        self.nodes: int | None = None
        self.version = ""
        self.loaded_at: float | None = None
        self.done: dict | None = None
        self.columns: np.ndarray | None = None
        self.error: str | None = None

    def send(self, header: dict, arrays: dict[str, np.ndarray] | None = None) -> None:
        self.conn.send_bytes(json.dumps(header).encode())
        for a in (arrays or {}).values():
            self.conn.send_bytes(np.ascontiguousarray(a).data.cast("B"))

    def cancel(self) -> None:
        """Ask the run to stop at its next interrupt check (HiGHS then returns what it has)."""
        try:
            self.send({"cancel": True})
        except OSError:  # already gone
            pass

    def read(self, timeout: float) -> bool:
        """Take the messages that arrived within `timeout` s; False once the child is gone."""
        try:
            if not self.conn.poll(timeout):
                return self.proc.poll() is None
            while True:
                self._take(json.loads(self.conn.recv_bytes()))
                if self.done is not None or self.error is not None or not self.conn.poll(0):
                    return True
        except (EOFError, OSError):
            return False

    def _take(self, event: dict) -> None:
        kind = event["event"]
        if kind == "log":
            self.log.append(event["text"])
            if self.verbose:
                sys.stdout.write(event["text"])
                sys.stdout.flush()
        elif kind == "incumbent":
            x = np.frombuffer(self.conn.recv_bytes(), dtype=np.float64).copy()
            if self.objective is None or event["objective"] > self.objective:
                self.x, self.objective = x, float(event["objective"])
        elif kind == "progress":
            self._progress(event)
        elif kind == "loaded":
            self.loaded_at, self.version = time.perf_counter(), event["version"]
        elif kind == "done":
            self._progress(event)
            if event["feasible"]:
                self.columns = np.frombuffer(self.conn.recv_bytes(), dtype=np.float64).copy()
            self.done = event
        elif kind == "error":
            self.error = event["message"]

    def _progress(self, event: dict) -> None:
        if math.isfinite(event["bound"]):
            self.bound = event["bound"] if self.bound is None else min(self.bound, event["bound"])
        self.nodes = max(self.nodes or 0, event["nodes"])

    def stop(self) -> str:
        """End the process (killed if it still runs, always reaped); what it wrote on stderr."""
        stderr = self.process.stderr
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.conn.close()
        stderr.seek(0)
        text = stderr.read().decode(errors="replace").strip()
        stderr.close()
        return text[-2000:]


def run_in_child(model: MipModel, options: SolveOptions) -> RawAnswer:
    """Run HiGHS on `model` in a child process watched by the clock.

    HiGHS checks its time limit in the search but not everywhere (a presolve was seen
    running 329 s on a 120 s limit), so a solve could not promise to return. Past the
    limit + OVERRUN_GRACE the run is cancelled (honoured wherever HiGHS polls its
    interrupt callback; Ctrl-C does the same at once); if it is still running
    OVERRUN_GRACE later, its process is killed. The incumbents and bounds HiGHS
    reported on the way are kept, so a killed or interrupted run still returns the
    best portfolio and the best bound it had.
    """
    t0 = time.perf_counter()
    child = _Child(options)
    arrays = _model_arrays(model, options.warm_start)
    interrupted = False
    killed = False
    try:
        try:
            child.send({"options": {"n_items": model.n_items, "num_col": model.num_col, "num_row": model.num_row,
                                    "offset": float(model.offset), "time_limit": options.time_limit,
                                    "mip_gap": options.mip_gap, "abs_gap": options.abs_gap,
                                    "threads": options.threads, "seed": int(options.seed), "grace": OVERRUN_GRACE},
                        "arrays": [[k, a.dtype.str, int(a.size)] for k, a in arrays.items()]}, arrays)
        except OSError:  # it died at once; what it said on stderr is reported below
            pass
        del arrays
        deadline = math.inf if options.time_limit is None else t0 + options.time_limit + OVERRUN_GRACE
        give_up = math.inf
        while child.done is None and child.error is None:
            try:
                alive = child.read(0.05)
            except KeyboardInterrupt:  # Ctrl-C: stop the search, keep its incumbent
                interrupted = True
                child.cancel()
                give_up = min(give_up, time.perf_counter() + OVERRUN_GRACE)
                continue
            if not alive:
                break
            now = time.perf_counter()
            if now > give_up:
                killed = True
                break
            if now > deadline and give_up == math.inf:
                child.cancel()
                give_up = now + OVERRUN_GRACE
    finally:
        detail = child.stop()
    end = time.perf_counter()
    loaded = child.loaded_at or end
    timing: dict[str, Any] = dict(load_seconds=loaded - t0, solve_seconds=end - loaded, log="".join(child.log),
                                  version=child.version, nodes=child.nodes)
    streamed: dict[str, Any] = dict(x=child.x, objective=child.objective, bound=child.bound)
    if child.done is None:
        if killed or interrupted:
            what = ("interrupted by the user" if interrupted else
                    f"HiGHS did not stop at its time limit of {options.time_limit:.3g} s (nor when cancelled "
                    f"{OVERRUN_GRACE:g} s later; it was in a phase that does not check the clock, such as presolve)")
            return RawAnswer(Termination.INTERRUPTED if interrupted else Termination.TIME_LIMIT, **streamed, **timing,
                             message=f"{what}: its process was stopped; the best portfolio and bound it had reported "
                                     f"are kept")
        why = child.error or f"the HiGHS process ended without an answer (exit status {child.proc.returncode})"
        raise RuntimeError(why + (f"; it printed: {detail}" if detail else ""))
    done = child.done
    termination = _termination(done["status"])
    if termination is Termination.INTERRUPTED and not interrupted and done["status"] != "kIterationLimit":
        termination = Termination.TIME_LIMIT  # the watchdog cancelled it at the limit, not the user
    if termination is Termination.ERROR and done["status"] == "kNotset":
        # cancelled before HiGHS set a status (presolve, root LP): not a failure
        termination = Termination.INTERRUPTED if interrupted else Termination.TIME_LIMIT
    x = objective = columns = None
    if child.columns is not None:
        columns = child.columns
        x, objective = columns[: model.n_items], float(done["objective"])
    elif child.x is not None:  # no final solution, but one was reported on the way
        x, objective = child.x, child.objective
    bound = done["bound"] if math.isfinite(done["bound"]) else child.bound
    if termination is Termination.INFEASIBLE:
        bound = None
    timing["nodes"] = done["nodes"]
    message = "" if termination is not Termination.ERROR else f"HiGHS stopped with status {done['status']}"
    return RawAnswer(termination=termination, x=x, columns=columns, objective=objective, bound=bound,
                     message=message, **timing)


_START = re.compile(r"MIP start solution is feasible: objective value is (\S+)")
_START_REDUCED = re.compile(r"MIP start solution is feasible in the reduced space: objective value is (\S+)")


def start_mistranslated(log: str) -> tuple[float, float] | None:
    """(original, reduced) start objectives from a HiGHS log when they disagree, else None."""
    original, reduced = _START.search(log), _START_REDUCED.search(log)
    if original is None or reduced is None:
        return None
    a, b = float(original.group(1)), float(reduced.group(1))
    if abs(a - b) <= 1e-6 * max(1.0, abs(a)):
        return None
    return a, b


def first_feasible(problem: SelectionProblem, time_limit: float, seed: int = 0) -> FirstPortfolio:
    """Any portfolio meeting every constraint, from HiGHS on the items alone (pair terms dropped):
    the repair the tabu search asks for when its greedy construction cannot satisfy the rows.

    The model has one column per item and the problem's rows, so it is small whatever the
    number of pairs; HiGHS may also prove that no portfolio exists.
    """
    linear = problem.replace(pair_i=[], pair_j=[], pair_q=[])
    options = SolveOptions(time_limit=time_limit, mip_gap=0.99, threads=1, seed=seed)
    raw = Adapter().solve(linear, formulations.build("standard", linear), options)
    if raw.termination is Termination.INFEASIBLE:
        return FirstPortfolio(None, Termination.INFEASIBLE, "HiGHS on the items alone")
    x = None if raw.x is None else np.round(raw.x).astype(np.int8)
    if x is None or not is_feasible(problem, x):
        return FirstPortfolio(None, Termination.TIME_LIMIT, "HiGHS on the items alone")
    return FirstPortfolio(x, Termination.FEASIBLE, "HiGHS on the items alone")
