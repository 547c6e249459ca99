"""The page's jobs: a cancel reaches a worker that lost its first SIGINT (SCS's setup drops one)."""

from __future__ import annotations

import time

import pytest

from optimizer.app import jobs
from optimizer.app.jobs import Jobs


def deaf_once() -> str:
    """A worker that loses the first Ctrl-C, as one inside SCS's setup does, and stops at the second."""
    caught = 0
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        try:
            time.sleep(0.01)
        except KeyboardInterrupt:
            caught += 1
            if caught == 2:
                return "stopped at the second"
    return "never stopped"


def _wait(queue: Jobs, job: str, seconds: float) -> jobs.Job:
    deadline = time.monotonic() + seconds
    while True:
        found = queue.poll(job)
        assert found is not None
        if found.state != "running" or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@pytest.mark.parametrize("resend", [True, False])
def test_a_cancel_the_worker_lost_is_sent_again_and_the_answer_kept(monkeypatch, resend):
    monkeypatch.setattr(jobs, "GRACE", 2.5)
    monkeypatch.setattr(jobs, "RESEND", 0.5 if resend else 100.0)
    queue = Jobs()
    try:
        job = queue.start("solve", deaf_once, ())
        time.sleep(1.0)                         # the worker is running (forked, imported)
        queue.cancel(job)
        found = _wait(queue, job, 15.0)
        if resend:
            assert found.state == "done" and found.result == "stopped at the second"
        else:                                   # one SIGINT only: terminated after GRACE, nothing kept
            assert found.state == "cancelled" and found.result is None
    finally:
        queue.shutdown()
