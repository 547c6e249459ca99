"""A misbehaving HiGHS child process for tests: `python -P fake_highs_child.py FD PARENT_PID` with
FAKE_HIGHS_MODE set; it speaks the protocol of optimizer/solvers/highs_child.py.

It reads the model, reports that it loaded, reports the incumbent "every item but the
last" (objective recomputed from the columns' costs, enough for the tests' problems,
which have no pair terms) and a bound, then behaves according to its mode:

    hang       ignores the cancel request and never answers (a presolve that does not poll)
    cancel     stops when cancelled and answers kInterrupt without a final solution
    abort      kills itself (os.abort), as a crashing native solver would
    lie        reports a bound below its own incumbent

It writes its pid to FAKE_HIGHS_PID_FILE so a test can check that it was killed. The mode is
read from the environment when the process starts: tests drop the spare process first.
"""

import json
import os
import sys
import time
from multiprocessing.connection import Connection

import numpy as np


def main(fd: int) -> None:
    conn = Connection(fd)
    mode = os.environ["FAKE_HIGHS_MODE"]
    header = json.loads(conn.recv_bytes())
    with open(os.environ["FAKE_HIGHS_PID_FILE"], "w") as fh:  # now, not at start: a spare waits unused
        fh.write(str(os.getpid()))
    arrays = {}
    for name, dtype, length in header["arrays"]:
        arrays[name] = np.frombuffer(conn.recv_bytes(), dtype=dtype, count=length)
    n = header["options"]["n_items"]
    send = lambda event: conn.send_bytes(json.dumps(event).encode())  # noqa: E731
    send({"event": "loaded", "seconds": 0.0, "version": "0.0.0-fake"})
    send({"event": "log", "text": "fake HiGHS: loaded\n"})
    x = np.ones(n)
    x[-1] = 0.0
    objective = float(arrays["col_cost"][:n] @ x)
    send({"event": "incumbent", "objective": objective})
    conn.send_bytes(x.tobytes())
    bound = objective - 1.0 if mode == "lie" else objective + 1.5
    send({"event": "progress", "bound": bound, "nodes": 7})
    if mode == "abort":
        sys.stderr.write("fake HiGHS: giving up\n")
        sys.stderr.flush()
        os.abort()
    if mode in ("hang", "lie"):
        while True:
            time.sleep(1)
    while not json.loads(conn.recv_bytes()).get("cancel"):
        pass
    send({"event": "done", "status": "kInterrupt", "feasible": False, "objective": 0.0, "bound": bound,
          "nodes": 9, "cancelled": True})


if __name__ == "__main__":
    main(int(sys.argv[1]))
