"""Branch and bound for the classic quadratic knapsack, bounded by Lagrangian upper planes at every node.

The exact method of Caprara, Pisinger & Toth (1999). At a node some
items are fixed in (set S), some out, the rest free (F). Each positive pair
value inside F is split between its two items, q_ij = p_ij + p_ji with
p >= 0; item j's best partner gain given x_j = 1 is a continuous knapsack
over its shares p_ji with the room left once j is in; the node bound is f(S)
plus a continuous knapsack over F of

    gain_j = c_j + sum_{i in S} q_ij + partners_j.

It is valid for every split: the split is optimized at the root by subgradient
steps and kept below it. With the same gains every free item gets a bound with
it forced in and one with it forced out; an item that cannot beat the
incumbent either way is fixed (reduction at every node, not only at the root).
Depth-first, in a static order by root plane value per weight, "in" first.

It applies to the classic QKP: one knapsack row with nonnegative weights,
c >= 0 and q >= 0, items forced in or out allowed, nothing else (see
`applies`). The partner lists take n^2 entries (`MAX_ITEMS`).

`branch_and_bound` runs the compiled kernel of :mod:`optimizer.algorithms.qkp_kernel`
(the split frozen after the root, items fixed in place: microseconds per node). numba
is a declared dependency; where it cannot be imported the search is unavailable
(`available()` says why) and the pipeline proves with HiGHS instead. The numpy search
the kernel replaced lives on as a test oracle (tests/optimizer/algorithms/).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optimizer.algorithms import qkp_kernel
from optimizer.core.problem import SelectionProblem
from optimizer.core.result import Termination

MAX_ITEMS = 1000        # the kernel's partner lists: n^2 entries


def applies(problem: SelectionProblem) -> str | None:
    """None when the branch and bound can solve `problem`, else why not (one sentence)."""
    if problem.A.shape[0] != 1:
        return f"it takes exactly one knapsack row, the problem has {problem.A.shape[0]}"
    if np.any(problem.A < 0) or problem.b[0] < 0:
        return "its knapsack row must have nonnegative weights and limit"
    if np.any(problem.c < 0) or np.any(problem.pair_q < 0):
        return "it needs c >= 0 and q >= 0 (negative gains or pair terms present)"
    if problem.size_min > 0 or problem.size_max < problem.n:
        return "size bounds are not supported"
    if problem.conflicts.size or problem.groups or problem.covers:
        return "conflicts, groups and covers are not supported"
    if problem.n > MAX_ITEMS:
        return f"{problem.n} items is above its dense-matrix limit of {MAX_ITEMS}"
    return None


@dataclass
class Outcome:
    """What the search found and proved."""

    termination: Termination    # OPTIMAL, TIME_LIMIT, INTERRUPTED or INFEASIBLE
    x: np.ndarray | None
    objective: float
    bound: float
    root_bound: float
    nodes: int
    seconds: float
    note: str = ""              # what the search says about its run


def available() -> tuple[bool, str]:
    """Whether the search can run here (its compiled kernel needs numba), and why not."""
    return qkp_kernel.compiled_available()


def branch_and_bound(problem: SelectionProblem, *, incumbent: np.ndarray | None = None,
                     time_limit: float | None = None, integral: bool | None = None) -> Outcome:
    """Solve a classic QKP (see `applies`) to optimality, or until `time_limit` seconds.

    `incumbent` (a feasible 0/1 vector) starts the search with its value.
    The returned bound is valid at any stop: the largest bound of the nodes
    still open, or the incumbent's value when none is left. Needs numba
    (`available()`); a RuntimeError says why when it cannot be imported.
    """
    why = applies(problem)
    if why is not None:
        raise ValueError(f"branch and bound does not apply: {why}")
    ok, reason = qkp_kernel.compiled_available()
    if not ok:
        raise RuntimeError(f"the branch and bound needs its compiled kernel: {reason}")
    run = qkp_kernel.solve_compiled(problem, incumbent=incumbent, time_limit=time_limit, integral=integral)
    if run.x is None:
        return Outcome(run.termination, None, -math.inf, run.bound, run.root_bound, run.nodes, run.seconds, run.note)
    objective = problem.objective(run.x)   # exactly, from the problem's data (the kernel sums incrementally)
    bound = objective if run.termination is Termination.OPTIMAL else max(run.bound, objective)
    return Outcome(run.termination, run.x.astype(np.int8), objective, bound, run.root_bound, run.nodes,
                   run.seconds, run.note)
