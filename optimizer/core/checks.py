"""Checks of the plain options the API takes (numbers, seeds, thread counts), shared by every entry point."""

from __future__ import annotations

import math
import numbers
import os

from optimizer.core.errors import ProblemError


def is_real(v: object) -> bool:
    """A finite real number (not a bool)."""
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(float(v))


def is_int(v: object) -> bool:
    """A whole number type (not a bool)."""
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def check_seed(seed: object, name: str = "seed") -> int:
    """`seed` as an int >= 0 (numpy's generators and HiGHS take nothing else), or ProblemError naming it."""
    if not is_int(seed) or int(seed) < 0:  # type: ignore[call-overload]
        raise ProblemError(f"{name} must be a whole number >= 0, got {seed!r}; any such number gives a "
                           f"reproducible run, e.g. {name}=0")
    return int(seed)  # type: ignore[call-overload]


def machine_cores() -> int:
    """Cores this process may run on (its CPU affinity where the system tells, else the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)
