"""HiGHS through highspy, the model passed as arrays in bulk (no Pyomo on this path)."""

from __future__ import annotations

import atexit
import math
import os
import re
import sys
import tempfile
import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from optimizer.result import Termination
from optimizer.solvers.base import RawAnswer, SolveOptions

if TYPE_CHECKING:
    from formulations.model import MipModel
    from optimizer.problem import SelectionProblem


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


class Adapter:
    """HiGHS MIP solver; linear formulations only (HiGHS has no MIQP)."""

    name = "highs"
    formulations = ("standard", "rlt", "glover")

    def availability(self) -> tuple[bool, str]:
        """highspy is a required dependency, but report cleanly if it is broken."""
        try:
            import highspy

            return True, f"HiGHS {highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"
        except Exception as exc:  # pragma: no cover - only with a broken install
            return False, f"highspy cannot be imported ({exc}); pip install highspy"

    def solve(self, problem: "SelectionProblem", model: "MipModel | None", options: SolveOptions) -> RawAnswer:
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

    def _run(self, model: "MipModel | None", options: SolveOptions) -> RawAnswer:
        import highspy

        assert model is not None
        if model.is_quadratic:
            raise ValueError("HiGHS cannot solve models with a quadratic objective over binaries")
        t0 = time.perf_counter()
        h = new_highs()
        log_fd, log_path = tempfile.mkstemp(prefix="highs-", suffix=".log")
        os.close(log_fd)
        try:
            h.setOptionValue("output_flag", True)
            h.setOptionValue("log_to_console", bool(options.verbose))
            h.setOptionValue("log_file", log_path)
            if options.time_limit is not None:
                h.setOptionValue("time_limit", float(options.time_limit))
            if options.mip_gap is not None:
                h.setOptionValue("mip_rel_gap", float(options.mip_gap))
            if options.abs_gap is not None:
                h.setOptionValue("mip_abs_gap", float(options.abs_gap))
            if options.threads is not None and not any(t.is_alive() for t in _abandoned):
                # one thread scheduler per process: reset it so a new thread count takes effect
                # (never under an abandoned run still using it)
                highspy.Highs.resetGlobalScheduler(True)
                h.setOptionValue("threads", int(options.threads))
            h.setOptionValue("random_seed", int(options.seed))
            if model.num_col == 0:  # HiGHS refuses an empty model; there is nothing to decide
                return RawAnswer(Termination.OPTIMAL, x=np.zeros(0), columns=np.zeros(0), objective=model.offset,
                                 bound=model.offset, nodes=0, version=self.availability()[1].split()[-1])

            lp = highspy.HighsLp()
            lp.num_col_ = model.num_col
            lp.num_row_ = model.num_row
            lp.col_cost_ = model.col_cost
            lp.col_lower_ = model.col_lower
            lp.col_upper_ = model.col_upper
            lp.row_lower_ = model.row_lower
            lp.row_upper_ = model.row_upper
            lp.offset_ = float(model.offset)
            lp.sense_ = highspy.ObjSense.kMaximize
            lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
            lp.a_matrix_.num_col_ = model.num_col
            lp.a_matrix_.num_row_ = model.num_row
            lp.a_matrix_.start_ = model.row_start.astype(np.int32)
            lp.a_matrix_.index_ = model.row_index.astype(np.int32)
            lp.a_matrix_.value_ = model.row_value
            h.passModel(lp)
            ints = np.flatnonzero(model.integrality).astype(np.int32)
            h.changeColsIntegrality(ints.size, ints, np.full(ints.size, 1, dtype=np.uint8))
            if options.warm_start is not None:
                start = highspy.HighsSolution()
                start.col_value = np.asarray(options.warm_start, dtype=np.float64)
                start.value_valid = True
                h.setSolution(start)
            load_seconds = time.perf_counter() - t0
            limit = None
            if options.time_limit is not None:  # loading the model counts against the limit too
                limit = max(0.05, float(options.time_limit) - load_seconds)
                h.setOptionValue("time_limit", limit)

            t1 = time.perf_counter()
            finished, interrupted = run_with_watchdog(h, limit)
            solve_seconds = time.perf_counter() - t1
            version = f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"
            if not finished:
                return RawAnswer(Termination.TIME_LIMIT, load_seconds=load_seconds, solve_seconds=solve_seconds,
                                 log=_read(log_path), version=version,
                                 message=f"HiGHS did not stop at its time limit of {options.time_limit:g} s (nor when "
                                         f"cancelled {OVERRUN_GRACE:g} s later; it is in a phase that does not check "
                                         f"the clock, such as presolve); its run was abandoned and finishes in the "
                                         f"background")

            status = h.getModelStatus()
            info = h.getInfo()
            termination = _termination(status.name)
            if termination is Termination.INTERRUPTED and not interrupted and status.name != "kIterationLimit":
                termination = Termination.TIME_LIMIT  # the watchdog cancelled it at the limit, not the user
            if termination is Termination.ERROR and status.name == "kNotset":
                # cancelled before HiGHS set a status (presolve, root LP): not a failure
                termination = Termination.INTERRUPTED if interrupted else Termination.TIME_LIMIT
            x = objective = columns = None
            if info.primal_solution_status == 2:  # kSolutionStatusFeasible
                columns = np.asarray(h.getSolution().col_value, dtype=np.float64)
                x = columns[: model.n_items]
                objective = float(info.objective_function_value)
            bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
            if termination is Termination.INFEASIBLE:
                bound = None
            message = "" if termination is not Termination.ERROR else f"HiGHS stopped with status {status.name}"
            return RawAnswer(termination=termination, x=x, columns=columns, objective=objective, bound=bound,
                             nodes=int(info.mip_node_count), load_seconds=load_seconds,
                             solve_seconds=solve_seconds, log=_read(log_path), message=message,
                             version=version)
        finally:
            try:
                os.unlink(log_path)
            except OSError:
                pass


#: seconds HiGHS may run past its time limit before it is cancelled, and again before it is abandoned
OVERRUN_GRACE = 1.0
_abandoned: list[threading.Thread] = []


@atexit.register
def _wait_for_abandoned() -> None:
    """At exit, let abandoned HiGHS runs end (cancelled already): an interpreter that exits under a
    running HiGHS thread aborts with 'terminate called without an active exception'."""
    for thread in _abandoned:
        thread.join(timeout=600)


def run_with_watchdog(h, time_limit: float | None) -> tuple[bool, bool]:
    """Run `h.solve` in HiGHS's own thread and watch the clock: (finished, interrupted by Ctrl-C).

    HiGHS checks its time limit in the search but not everywhere (a long presolve was seen
    running 329 s on a 120 s limit), so `solve(time_limit=T)` could not promise to return.
    Past T + OVERRUN_GRACE the run is cancelled (honoured wherever HiGHS polls its interrupt
    callback, which also serves Ctrl-C); if it is still running OVERRUN_GRACE later, it is
    abandoned: finished is False and the thread ends on its own. Ctrl-C cancels at once
    and is re-raised only if HiGHS does not stop.
    """
    h.HandleUserInterrupt = True
    thread = h.startSolve()
    deadline = math.inf if time_limit is None else time.perf_counter() + time_limit + OVERRUN_GRACE
    give_up = math.inf
    interrupted = False
    while True:
        try:
            thread.join(timeout=0.05)
        except KeyboardInterrupt:  # Ctrl-C: stop the search, keep its incumbent
            h.cancelSolve()
            interrupted = True
            give_up = min(give_up, time.perf_counter() + OVERRUN_GRACE)
            continue
        if not thread.is_alive():
            thread.join()
            return True, interrupted
        now = time.perf_counter()
        if now > give_up:
            _abandoned.append(thread)
            if interrupted:  # the caller reports an interruption, not a time limit
                raise KeyboardInterrupt
            return False, False
        if now > deadline and give_up == math.inf:
            h.cancelSolve()
            give_up = now + OVERRUN_GRACE


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


_banner_shown = False


def new_highs():
    """A Highs object; the banner HiGHS prints on the first one in a process goes nowhere, not to stdout."""
    import highspy

    global _banner_shown
    if _banner_shown:
        return highspy.Highs()
    _banner_shown = True
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no file descriptor 1 (some embedded interpreters): nothing to protect
        return highspy.Highs()
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""
