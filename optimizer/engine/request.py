"""What a caller asked `solve` for, checked once: the options every stage of the engine reads."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from optimizer.core.checks import check_seed, is_int, is_real, machine_cores
from optimizer.core.errors import ProblemError
from optimizer.core.problem import SelectionProblem
from optimizer.core.verify import to_binary, violations


@dataclass(frozen=True)
class Request:
    """Checked solve options. `threads` is already capped at the cores; `notes` say what was
    changed or ignored (they end up in Result.message)."""

    time_limit: float | None = None
    mip_gap: float | None = None
    threads: int | None = None
    seed: int = 0
    verbose: bool = False
    memory_limit: float | None = None
    notes: tuple[str, ...] = ()

    @classmethod
    def checked(cls, *, time_limit: object = None, mip_gap: object = None, threads: object = None,
                seed: object = 0, verbose: bool = False, memory_limit: object = None) -> Request:
        """The options as given to `solve`, or ValueError naming the one that is wrong."""
        if time_limit is not None and not (is_real(time_limit) and time_limit > 0):  # type: ignore[operator]
            raise ValueError(f"time_limit must be a positive number of seconds or None, got {time_limit!r}")
        if mip_gap is not None and not (is_real(mip_gap) and 0 <= mip_gap < 1):  # type: ignore[operator]
            raise ValueError(f"mip_gap must be a relative gap in [0, 1) or None, got {mip_gap!r}")
        if threads is not None and not (is_int(threads) and threads >= 1):  # type: ignore[operator]
            raise ValueError(f"threads must be a whole number >= 1 or None, got {threads!r}")
        if memory_limit is not None and not (is_real(memory_limit) and memory_limit > 0):  # type: ignore[operator]
            raise ValueError(f"memory_limit must be a positive number of MB or None, got {memory_limit!r}")
        notes = []
        cores = machine_cores()
        if threads is not None and threads > cores:  # type: ignore[operator]
            # HiGHS starts every thread it is given (100,000 of them hung the machine)
            notes.append(f"threads={threads} capped at {cores}, the cores this machine gives this process")
            threads = cores
        return cls(time_limit=None if time_limit is None else float(time_limit),  # type: ignore[arg-type]
                   mip_gap=None if mip_gap is None else float(mip_gap),  # type: ignore[arg-type]
                   threads=None if threads is None else int(threads),  # type: ignore[call-overload]
                   seed=check_seed(seed), verbose=bool(verbose),
                   memory_limit=None if memory_limit is None else float(memory_limit),  # type: ignore[arg-type]
                   notes=tuple(notes))


def start_vector(problem: SelectionProblem,
                 warm_start: Sequence[float] | Collection[str] | np.ndarray) -> tuple[np.ndarray | None, str]:
    """(0/1 start over the items, "") from a vector or from the names of the chosen items; (None,
    why) when the start breaks a constraint, so that it is ignored and the caller says so."""
    if isinstance(warm_start, str):
        warm_start = [warm_start]
    values = list(warm_start) if not isinstance(warm_start, np.ndarray) else None
    if values is not None and values and all(isinstance(v, str) for v in values):
        where = {name: i for i, name in enumerate(problem.names)}
        unknown = [v for v in values if v not in where]
        if unknown:
            close = difflib.get_close_matches(unknown[0], problem.names, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ProblemError(f"warm_start names {unknown[0]!r}, which is not an item of the problem{hint} "
                               f"(give item names such as {problem.names[0]!r}, or one 0/1 value per item)")
        ws = np.zeros(problem.n)
        ws[[where[v] for v in values]] = 1.0
    else:
        try:
            ws = np.asarray(warm_start, dtype=float)
        except (TypeError, ValueError):
            raise ProblemError(f"warm_start must be one 0/1 value per item ({problem.n} values) or the names of "
                               f"the chosen items, got {warm_start!r}") from None
        if ws.shape != (problem.n,):
            raise ProblemError(f"warm_start has shape {ws.shape}, expected ({problem.n},): one 0/1 value per item "
                               f"(or the names of the chosen items)")
    try:
        start = to_binary(problem, ws).astype(float)
    except Exception as exc:
        raise ProblemError(f"warm_start: {exc}") from None
    broken = violations(problem, start)
    if broken:
        return None, "warm start ignored, it is infeasible: " + "; ".join(broken)
    return start, ""
