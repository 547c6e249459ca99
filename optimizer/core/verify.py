"""Independent check of a solver's answer against the canonical arrays.

Nothing here trusts the solver or the formulation: x is rounded to 0/1 only if
it is within `INTEGRALITY_TOL` of it, every constraint is evaluated from
`SelectionProblem` directly, and the objective is recomputed.
"""

from __future__ import annotations

import numpy as np

from optimizer.core.errors import VerificationError
from optimizer.core.problem import SelectionProblem

INTEGRALITY_TOL = 1e-5
FEASIBILITY_TOL = 1e-6


def objective_tolerance(value: float) -> float:
    """Allowed difference between a solver's objective and the recomputed one."""
    return 1e-6 * max(1.0, abs(value))


def to_binary(problem: SelectionProblem, x: np.ndarray) -> np.ndarray:
    """Round a solver's x to 0/1, refusing values that are not near-integral."""
    x = np.asarray(x, dtype=np.float64)
    if x.shape != (problem.n,):
        raise VerificationError(f"solution has {x.size} values, the problem has {problem.n} items")
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        k = int(bad[0])
        raise VerificationError(f"solution value of item {k} ({problem.names[k]}) is {x[k]}, not 0 or 1")
    rounded = np.round(x)
    off = np.flatnonzero((np.abs(x - rounded) > INTEGRALITY_TOL) | (rounded < 0) | (rounded > 1))
    if off.size:
        k = int(off[0])
        raise VerificationError(
            f"solution value of item {k} ({problem.names[k]}) is {x[k]!r}, not 0 or 1 "
            f"({off.size} fractional or out-of-range value(s))"
        )
    return rounded.astype(np.int8)


def violations(problem: SelectionProblem, x: np.ndarray, limit: int = 5) -> list[str]:
    """Plain-language list of the constraints a 0/1 vector breaks (at most `limit`)."""
    x = np.asarray(x, dtype=np.float64)
    out: list[str] = []
    use = problem.A @ x
    for r in np.flatnonzero(use > problem.b + FEASIBILITY_TOL * np.maximum(1.0, np.abs(problem.b))):
        out.append(f"row {problem.row_names[r]!r}: uses {use[r]:g} > limit {problem.b[r]:g}")
    size = int(round(x.sum()))
    if size < problem.size_min:
        out.append(f"portfolio size {size} < size_min {problem.size_min}")
    if size > problem.size_max:
        out.append(f"portfolio size {size} > size_max {problem.size_max}")
    if problem.conflicts.size:
        both = np.flatnonzero(x[problem.conflicts[:, 0]] + x[problem.conflicts[:, 1]] > 1.5)
        for k in both[:limit]:
            i, j = problem.conflicts[k]
            out.append(f"conflict {k}: both {problem.names[i]} and {problem.names[j]} chosen")
    for k, g in enumerate(problem.groups):
        if x[g].sum() > 1.5:
            out.append(f"group {k}: {int(x[g].sum())} items chosen, at most 1 allowed")
    for k, cov in enumerate(problem.covers):
        if x[cov].sum() < 0.5:
            out.append(f"cover {k}: none of its {cov.size} items chosen")
    for i in problem.forced_in[x[problem.forced_in] < 0.5]:
        out.append(f"item {problem.names[i]} is forced in but not chosen")
    for i in problem.forced_out[x[problem.forced_out] > 0.5]:
        out.append(f"item {problem.names[i]} is forced out but chosen")
    return out[:limit]


def is_feasible(problem: SelectionProblem, x: np.ndarray) -> bool:
    """True when the 0/1 vector x satisfies every constraint."""
    return not violations(problem, x, limit=1)


def verify_solution(problem: SelectionProblem, x: np.ndarray, claimed_objective: float | None,
                    source: str = "solver", exact: bool = True) -> tuple[np.ndarray, float]:
    """Check x and the claimed objective; return (binary x, recomputed objective).

    With `exact=False` the claim may fall short of the recomputed value (a
    linearization's product columns need not be tight away from the optimum,
    and they only ever undervalue x); it may never exceed it. Raises
    :class:`VerificationError` naming the violated constraint or the mismatch.
    """
    if claimed_objective is not None and not np.isfinite(claimed_objective):
        raise VerificationError(f"{source} reported objective {claimed_objective!r}, not a finite number")
    xb = to_binary(problem, x)
    broken = violations(problem, xb)
    if broken:
        raise VerificationError(f"{source} returned an infeasible solution: " + "; ".join(broken))
    value = problem.objective(xb)
    if claimed_objective is None:
        return xb, value
    diff = claimed_objective - value
    if diff > objective_tolerance(value) or (exact and -diff > objective_tolerance(value)):
        raise VerificationError(
            f"{source} reported objective {claimed_objective!r} but the solution's objective "
            f"recomputed from the problem is {value!r} (difference {claimed_objective - value:.6g})"
        )
    return xb, value
