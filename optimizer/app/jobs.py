"""Long work off the request thread: each solve or comparison runs in a worker process of its own.

    jobs = Jobs()
    job = jobs.start("solve", solve_scenario, (scenario, 60.0), time_limit=60.0)
    jobs.poll(job).state          # "running", then "done" (job.result) or "failed" (job.error)
    jobs.cancel(job)              # Ctrl-C to the worker: the engine stops and returns what it found

A process per job means two browser tabs never wait for each other and a cancel never touches
the server. Cancel sends SIGINT, which the engine turns into a result with the incumbent and a
valid bound (Termination.INTERRUPTED); one that has not answered RESEND seconds later gets it once
more (a Ctrl-C can be lost: SCS's setup swallows one), and one that has not answered `GRACE` seconds
later is terminated and the job marked cancelled.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from optimizer.analysis.compare import Comparison, compare
from optimizer.core.result import Result
from optimizer.domain.scenario import Scenario
from optimizer.engine.solve import solve

#: seconds a cancelled worker has to send what it found before it is terminated
GRACE = 5.0
#: seconds after which a cancelled worker that has not answered gets its SIGINT again: SCS's setup installs a
#: handler of its own that drops a SIGINT (optimizer/algorithms/semidefinite.py, `_solver`), and the engine
#: answers a delivered one within a second (0.02-0.4 s measured, under load)
RESEND = 1.0
#: jobs kept per server (the oldest finished ones are forgotten first)
KEPT = 200


def solve_scenario(scenario: Scenario, time_limit: float | None) -> Result:
    """One solve, as a job runs it (module level: the worker imports it by name)."""
    return solve(scenario, time_limit=time_limit)


def compare_scenarios(scenarios: Sequence[Scenario], time_limit: float | None) -> Comparison:
    """A comparison of saved variants, as a job runs it."""
    return compare(list(scenarios), time_limit=time_limit)


def frontier_of(scenario: Scenario, vary: str, points: int, time_limit: float | None) -> Any:
    """The efficient frontier over one limit, as a job runs it."""
    from optimizer.analysis.frontier import frontier

    return frontier(scenario, vary=vary, points=points, time_limit=time_limit)


def takes_of(scenario: Scenario, time_limit: float | None) -> Any:
    """What it takes for every candidate, as a job runs it."""
    from optimizer.analysis.sensitivity import what_it_takes

    return what_it_takes(scenario, time_limit=time_limit)


def robustness_of(scenario: Scenario, samples: int, time_limit: float | None) -> Any:
    """Robustness to the scenario's uncertainty, as a job runs it."""
    from optimizer.analysis.robust import robustness

    return robustness(scenario, samples=samples, time_limit=time_limit)


def _work(conn: Connection, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """The worker: run, send ("done", result) or ("failed", message), exit."""
    try:
        answer = function(*args)
        signal.signal(signal.SIGINT, signal.SIG_IGN)     # a repeated cancel must not lose the answer now
        conn.send(("done", answer))
    except KeyboardInterrupt:
        conn.send(("cancelled", None))
    except Exception as exc:  # noqa: BLE001 - the page shows any failure as a message, never a traceback
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _interrupt(job: Job) -> None:
    """SIGINT to the job's worker (gone already: nothing to do)."""
    try:
        os.kill(job.process.pid, signal.SIGINT)
    except (ProcessLookupError, TypeError):
        pass


@dataclass
class Job:
    """One piece of work in a worker process, and what came of it."""

    id: str
    kind: str
    started: float
    time_limit: float | None
    process: Any
    conn: Connection
    state: str = "running"          # running, done, failed, cancelled
    result: Any = None
    error: str = ""
    cancelled_at: float | None = None
    resent: bool = False              # whether the cancel's SIGINT went a second time
    finished: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def elapsed(self) -> float:
        """Seconds since the job started (until it finished)."""
        return (self.finished or time.monotonic()) - self.started

    @property
    def progress(self) -> float:
        """A share in [0, 1]: time used of the time limit (0.5 at most without one), 1 when finished."""
        if self.state != "running":
            return 1.0
        if not self.time_limit:
            return min(0.5, self.elapsed / 60.0)
        return min(0.99, self.elapsed / self.time_limit)


class Jobs:
    """The server's jobs, by id; safe to use from the web server's threads."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        # a fork server: workers fork from a clean single-threaded process that has the engine imported
        # already (never from the threaded web server), so a job starts in milliseconds, not the
        # second and a half a fresh interpreter takes to import the engine
        self._context = mp.get_context("forkserver")
        self._context.set_forkserver_preload(["optimizer.app.jobs"])

    def start(self, kind: str, function: Callable[..., Any], args: tuple[Any, ...], *,
              time_limit: float | None = None, **meta: Any) -> str:
        """Start `function(*args)` in a new worker process; the job's id."""
        parent, child = self._context.Pipe(duplex=False)
        process = self._context.Process(target=_work, args=(child, function, args), daemon=True)
        process.start()
        child.close()
        job = Job(uuid.uuid4().hex, kind, time.monotonic(), time_limit, process, parent, meta=dict(meta))
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        return job.id

    def get(self, job_id: str) -> Job | None:
        """The job, or None for an id this server does not know (a restart, a stale page)."""
        with self._lock:
            return self._jobs.get(job_id)

    def poll(self, job_id: str) -> Job | None:
        """The job with what its worker sent so far; a worker that died without answering fails it."""
        job = self.get(job_id)
        if job is None or job.state != "running":
            return job
        with self._lock:
            if job.conn.poll():
                try:
                    job.state, payload = job.conn.recv()
                except (EOFError, OSError):
                    job.state, payload = "failed", "the worker ended without an answer"
                if job.state == "done":
                    job.result = payload
                elif job.state == "failed":
                    job.error = str(payload)
                job.finished = time.monotonic()
                job.process.join(timeout=1.0)
            elif not job.process.is_alive():
                job.state, job.finished = "failed", time.monotonic()
                job.error = f"the worker stopped (exit code {job.process.exitcode}) without an answer"
            elif job.cancelled_at is not None and time.monotonic() - job.cancelled_at > GRACE:
                job.process.terminate()
                job.state, job.finished = "cancelled", time.monotonic()
            elif job.cancelled_at is not None and not job.resent and time.monotonic() - job.cancelled_at > RESEND:
                job.resent = True
                _interrupt(job)
        return job

    def cancel(self, job_id: str) -> Job | None:
        """Ask the worker to stop (SIGINT: the engine returns its incumbent); see GRACE."""
        job = self.get(job_id)
        if job is not None and job.state == "running" and job.cancelled_at is None:
            job.cancelled_at = time.monotonic()
            _interrupt(job)
        return job

    def shutdown(self) -> None:
        """Stop every running worker (the server is going away)."""
        with self._lock:
            for job in self._jobs.values():
                if job.state == "running" and job.process.is_alive():
                    job.process.terminate()

    def _forget_old(self) -> None:
        finished = sorted((j for j in self._jobs.values() if j.state != "running"), key=lambda j: j.started)
        for job in finished[:max(0, len(self._jobs) - KEPT)]:
            del self._jobs[job.id]
