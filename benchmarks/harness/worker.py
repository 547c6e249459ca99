"""One benchmark cell in its own process: `python -m benchmarks.harness.worker CELL.json RESULT.jsonl [LOG]`.

The worker appends JSON lines to RESULT: {"phase": "loaded", n, pairs} once the
instance is in memory, then {"phase": "done", ...} with the verified result, the
pipeline's stages and the formulation the model was built with. With LOG, the
solver's log is written there.
If the process is killed or crashes, the harness still knows how far it got.
Nothing is pickled: the cell arrives as JSON and the instance is loaded here.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import traceback
from collections.abc import Mapping


def _plain(value: object) -> object:
    """Stages as dicts, numpy scalars (in stages) as Python numbers; anything else as its text."""
    if isinstance(value, Mapping):
        return dict(value)
    return value.item() if hasattr(value, "item") else str(value)


def _append(path: str, record: dict) -> None:
    with open(path, "a") as fh:
        fh.write(json.dumps(record, default=_plain) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _peak_mb() -> float:
    """Largest resident size of this process and of the children it waited for: HiGHS runs in a
    child process of its own (optimizer/solvers/highs_child.py)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0  # Linux reports KiB


def run(cell_path: str, result_path: str, log_path: str | None = None) -> int:
    """Load, solve and report one cell; always ends with a 'done' line unless killed. With `log_path`,
    the solver's log is written there before the done line."""
    with open(cell_path) as fh:
        data = json.load(fh)
    t0 = time.perf_counter()
    # imported before the memory cap: the cap is meant for the model and the solver, and an
    # interpreter that cannot load numpy says nothing useful
    from benchmarks.harness.suite import Cell
    from optimizer import AllianceError, Scenario, solve

    limit = data.get("memory_limit_mb")
    if limit:
        # an address-space cap turns an oversized model into a MemoryError we can report
        cap = int(float(limit) * 1024 * 1024)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    done: dict = {"phase": "done"}
    log = ""
    try:

        cell = Cell.from_dict(data)
        instance = cell.instance.load()
        problem = instance.compile().problem if isinstance(instance, Scenario) else instance
        _append(result_path, {"phase": "loaded", "n": problem.n, "pairs": problem.n_pairs,
                              "load_seconds": time.perf_counter() - t0})
        result = solve(problem, solver=cell.solver, formulation=cell.formulation, time_limit=cell.time_limit,
                       mip_gap=cell.mip_gap, threads=cell.threads, seed=cell.seed,
                       memory_limit=cell.memory_limit_mb)
        done.update(termination=result.termination.value, objective=result.objective, bound=result.bound,
                    gap=result.gap, build_seconds=result.build_seconds, solve_seconds=result.solve_seconds,
                    total_seconds=result.build_seconds + result.solve_seconds,
                    solver_version=result.solver_version, formulation_used=result.formulation,
                    stages=result.stages,
                    error=result.message if result.termination.value == "error" else None)
        log = result.log
    except MemoryError:
        done.update(termination="error", error=f"memory limit of {limit:g} MB exceeded (MemoryError)")
    except BaseException as exc:  # noqa: BLE001 - every failure becomes a recorded row
        if isinstance(exc, KeyboardInterrupt):
            done.update(termination="interrupted", error="interrupted")
        elif isinstance(exc, AllianceError):  # a documented error: its message says it all
            done.update(termination="error", error=f"{type(exc).__name__}: {exc}"[:4000])
        else:
            tb = traceback.format_exc(limit=-3)
            done.update(termination="error", error=f"{type(exc).__name__}: {exc}\n{tb}"[:4000])
    error = done.get("error") or ""
    if limit and ("memory" in error.lower() or "bad_alloc" in error) and "memory limit of" not in error:
        done["error"] = f"memory limit of {limit:g} MB exceeded: {error}"
    if log_path and log:
        try:
            with open(log_path, "w") as fh:
                fh.write(log)
        except OSError:  # a log that cannot be written must not cost the result
            pass
    done["peak_memory_mb"] = _peak_mb()
    done["worker_seconds"] = time.perf_counter() - t0
    _append(result_path, done)
    return 0


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        print("usage: python -m benchmarks.harness.worker CELL.json RESULT.jsonl [LOG]", file=sys.stderr)
        sys.exit(2)
    sys.exit(run(*sys.argv[1:]))
