"""One HiGHS run in a process of its own: `python -P highs_child.py FD PARENT_PID`.

Started by :mod:`optimizer.solvers.highs` for every solve, so that a run which
ignores its time limit (HiGHS does not poll the clock in parts of presolve) is
killed with its process instead of being left running: highspy's run lock is a
class attribute shared by every `Highs` object of a process, so one abandoned
run made every later solve in that process fail with "Solver is already
running" (seen with highspy 1.16), and it kept a core busy until it ended.

It runs by file path, not as a module: importing the `optimizer` package would
cost the imports of the whole engine, and this process needs numpy and highspy
only. Everything crosses the socket FD as JSON headers and raw array bytes, so
nothing received is ever run as code:

  parent -> child   {"options": ..., "arrays": [[name, dtype, length], ...]}, the arrays, later {"cancel": true}
  child -> parent   {"event": "loaded"}, {"event": "log", "text"}, {"event": "incumbent", "objective"} + item
                    values, {"event": "progress", "bound", "nodes"}, {"event": "done", ...} + column
                    values, or {"event": "error", "message"}

Incumbents and bounds are streamed while HiGHS runs, so a run that has to be
killed still hands over the best portfolio and the best bound it had found.
"""

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)  # first: Ctrl-C is the parent's to handle (it cancels us)

import json  # noqa: E402 - after the signal handler, on purpose
import os  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from multiprocessing.connection import Connection  # noqa: E402

#: seconds between two progress messages (bound, nodes): often enough to lose little when killed
PROGRESS_EVERY = 0.2
PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int) -> None:
    """On Linux, be killed when the parent dies, even while HiGHS holds the interpreter."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the closed socket ends us instead
        pass
    if os.getppid() != parent_pid:  # the parent died before the line above
        os._exit(1)


class _Channel:
    """The socket to the parent; sends from HiGHS's callbacks and the main thread are serialised."""

    def __init__(self, fd: int) -> None:
        self.conn = Connection(fd)
        self.lock = threading.Lock()

    def send(self, header: dict, payload=None) -> None:
        data = json.dumps(header).encode()
        with self.lock:
            self.conn.send_bytes(data)
            if payload is not None:
                self.conn.send_bytes(memoryview(payload).cast("B"))

    def recv(self) -> dict:
        return json.loads(self.conn.recv_bytes())


def _read_model(channel: _Channel):
    import numpy as np

    header = channel.recv()
    arrays = {}
    for name, dtype, length in header["arrays"]:
        data = channel.conn.recv_bytes()
        arrays[name] = np.frombuffer(data, dtype=dtype, count=length)
    return header["options"], arrays


def _listen(channel: _Channel, cancel: threading.Event, grace: float) -> None:
    """Wait for a cancel request; a closed socket means the parent is gone: stop, then exit."""
    try:
        while True:
            if channel.recv().get("cancel"):
                cancel.set()
    except (EOFError, OSError, ValueError):
        cancel.set()
        time.sleep(grace)  # time to stop at the next interrupt check; then nobody is listening anyway
        os._exit(1)


def _run(channel: _Channel, options: dict, arrays: dict) -> None:
    import highspy
    import numpy as np

    cancel = threading.Event()
    threading.Thread(target=_listen, args=(channel, cancel, options["grace"]), daemon=True).start()
    received = time.perf_counter()

    h = highspy.Highs()
    h.setOptionValue("output_flag", True)
    h.setOptionValue("log_to_console", True)  # our stdout is /dev/null; the logging callback forwards the text
    if options["time_limit"] is not None:
        h.setOptionValue("time_limit", float(options["time_limit"]))
    if options["mip_gap"] is not None:
        h.setOptionValue("mip_rel_gap", float(options["mip_gap"]))
    if options["abs_gap"] is not None:
        h.setOptionValue("mip_abs_gap", float(options["abs_gap"]))
    if options["threads"] is not None:
        h.setOptionValue("threads", int(options["threads"]))
    h.setOptionValue("random_seed", int(options["seed"]))

    lp = highspy.HighsLp()
    lp.num_col_ = int(options["num_col"])
    lp.num_row_ = int(options["num_row"])
    lp.col_cost_ = arrays["col_cost"]
    lp.col_lower_ = arrays["col_lower"]
    lp.col_upper_ = arrays["col_upper"]
    lp.row_lower_ = arrays["row_lower"]
    lp.row_upper_ = arrays["row_upper"]
    lp.offset_ = float(options["offset"])
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = lp.num_col_
    lp.a_matrix_.num_row_ = lp.num_row_
    lp.a_matrix_.start_ = arrays["row_start"]
    lp.a_matrix_.index_ = arrays["row_index"]
    lp.a_matrix_.value_ = arrays["row_value"]
    h.passModel(lp)
    ints = arrays["integer_columns"]
    h.changeColsIntegrality(ints.size, ints, np.full(ints.size, 1, dtype=np.uint8))
    if "warm_start" in arrays:
        start = highspy.HighsSolution()
        start.col_value = arrays["warm_start"]
        start.value_valid = True
        h.setSolution(start)
    del arrays, lp  # HiGHS holds its own copy now
    if options["time_limit"] is not None:  # loading counts against the limit too
        h.setOptionValue("time_limit", max(0.05, float(options["time_limit"]) - (time.perf_counter() - received)))
    n_items = int(options["n_items"])
    channel.send({"event": "loaded", "seconds": time.perf_counter() - received,
                  "version": f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"})

    last = [0.0]

    def interrupt(e) -> None:
        if cancel.is_set():
            e.interrupt()

    def progress(e) -> None:
        # MIP interrupt checks can be seconds apart (3 in 3 s in a dense n = 200 root LP, measured), so
        # every MIP event reports the bound: a run killed in such a phase still hands over its last one
        now = time.perf_counter()
        if now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            out = e.data_out
            channel.send({"event": "progress", "bound": float(out.mip_dual_bound), "nodes": int(out.mip_node_count)})

    def mip_interrupt(e) -> None:
        interrupt(e)
        progress(e)

    def improving(e) -> None:
        values = np.array(e.data_out.mip_solution[:n_items], dtype=np.float64)
        channel.send({"event": "incumbent", "objective": float(e.data_out.objective_function_value)}, values)
        last[0] = 0.0
        progress(e)

    def logging(e) -> None:
        channel.send({"event": "log", "text": e.message})

    h.cbLogging.subscribe(logging)
    h.cbSimplexInterrupt.subscribe(interrupt)
    h.cbIpmInterrupt.subscribe(interrupt)
    h.cbMipInterrupt.subscribe(mip_interrupt)
    h.cbMipImprovingSolution.subscribe(improving)
    h.cbMipLogging.subscribe(progress)

    h.run()

    status = h.getModelStatus()
    info = h.getInfo()
    feasible = info.primal_solution_status == 2  # kSolutionStatusFeasible
    columns = np.asarray(h.getSolution().col_value, dtype=np.float64) if feasible else None
    channel.send({"event": "done", "status": status.name, "feasible": feasible,
                  "objective": float(info.objective_function_value), "bound": float(info.mip_dual_bound),
                  "nodes": int(info.mip_node_count), "cancelled": cancel.is_set()}, columns)


def main(fd: int, parent_pid: int) -> int:
    """Serve one solve on socket `fd`."""
    _die_with_parent(parent_pid)
    channel = _Channel(fd)
    try:
        options, arrays = _read_model(channel)
        _run(channel, options, arrays)
    except (EOFError, BrokenPipeError, ConnectionResetError):  # the parent is gone: nobody to tell
        return 1
    except BaseException as exc:  # noqa: BLE001 - every failure is reported to the parent, which decides
        try:
            channel.send({"event": "error", "message": f"{type(exc).__name__}: {exc}"})
        except OSError:
            pass
        return 1
    return 0


if __name__ == "__main__":
    code = main(int(sys.argv[1]), int(sys.argv[2]))
    sys.stdout.flush()
    os._exit(code)  # no interpreter teardown under HiGHS's worker threads
