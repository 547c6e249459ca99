"""Time limits that hold: the HiGHS watchdog cancels, then abandons, a run that ignores its limit;
Ctrl-C during a solve returns the incumbent as interrupted."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from optimizer.solvers import highs as highs_adapter

REPO = Path(__file__).resolve().parents[2]


class StubHighs:
    """Stands in for highspy.Highs: a solve thread that stops on cancel, or never."""

    def __init__(self, seconds: float, honours_cancel: bool) -> None:
        self.seconds, self.honours_cancel = seconds, honours_cancel
        self.cancelled = threading.Event()
        self.HandleUserInterrupt = False

    def startSolve(self) -> threading.Thread:
        def run() -> None:
            end = time.monotonic() + self.seconds
            while time.monotonic() < end:
                if self.honours_cancel and self.cancelled.is_set():
                    return
                time.sleep(0.01)
        t = threading.Thread(target=run, daemon=True)
        t.start()
        return t

    def cancelSolve(self) -> None:
        self.cancelled.set()


def test_a_run_that_ends_in_time_is_left_alone(monkeypatch):
    monkeypatch.setattr(highs_adapter, "OVERRUN_GRACE", 0.2)
    stub = StubHighs(0.1, honours_cancel=True)
    assert highs_adapter.run_with_watchdog(stub, time_limit=5.0) == (True, False)
    assert not stub.cancelled.is_set() and stub.HandleUserInterrupt


def test_an_overrunning_run_is_cancelled_and_finishes(monkeypatch):
    monkeypatch.setattr(highs_adapter, "OVERRUN_GRACE", 0.2)
    stub = StubHighs(30.0, honours_cancel=True)
    assert highs_adapter.run_with_watchdog(stub, time_limit=0.3) == (True, False)
    assert stub.cancelled.is_set()


def test_a_run_that_ignores_cancel_is_abandoned(monkeypatch):
    monkeypatch.setattr(highs_adapter, "OVERRUN_GRACE", 0.2)
    stub = StubHighs(3.0, honours_cancel=False)
    before = len(highs_adapter._abandoned)
    t0 = time.monotonic()
    assert highs_adapter.run_with_watchdog(stub, time_limit=0.3) == (False, False)
    assert stub.cancelled.is_set()
    assert len(highs_adapter._abandoned) == before + 1
    assert time.monotonic() - t0 < 3.0  # returned before the run itself ended


@pytest.mark.parametrize("solver, wait", [("auto", 2.0), ("auto", 10.0), ("highs", 5.0)])
def test_ctrl_c_during_a_solve_returns_what_was_found_as_interrupted(solver, wait):
    code = ("from instances import generate_qkp\nfrom optimizer import solve\n"
            "print('ready', flush=True)\n"
            f"r = solve(generate_qkp(400, 100, seed=3), solver={solver!r}, threads=1)\n"
            "print(r.termination.value, r.objective is not None, r.bound is not None, flush=True)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(wait)  # auto: in the heuristic (2 s) or past it (10 s); highs: building or searching
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    status, has_x, has_bound = out.split()
    assert status == "interrupted", out
    if solver == "auto":  # the pipeline always has the heuristic's portfolio and a bound
        assert has_x == "True" and has_bound == "True"
