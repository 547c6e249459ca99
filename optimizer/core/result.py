"""Plain data objects for solver answers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np


class Termination(StrEnum):
    """Why the solver stopped: kept apart from what it found."""

    OPTIMAL = "optimal"          # proven optimal (within the requested mip_gap)
    TIME_LIMIT = "time_limit"    # stopped at the time limit; incumbent and bound kept
    FEASIBLE = "feasible"        # a heuristic stopped by its own rule: a portfolio, no proof of optimality
    INFEASIBLE = "infeasible"    # proven that no portfolio satisfies the constraints
    INTERRUPTED = "interrupted"  # stopped by the user (Ctrl-C) or another limit
    ERROR = "error"              # the solver failed; see Result.message

    def __str__(self) -> str:
        return self.value


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """(bound - objective) / max(|objective|, 1); None when either is missing."""
    if objective is None or bound is None:
        return None
    return max(0.0, (bound - objective)) / max(abs(objective), 1.0)


@dataclass(frozen=True)
class Stage(Mapping[str, Any]):
    """One stage of a solve (heuristic, bound, branch-and-bound, mip, compile, warm start, ...).

    Its name and time are fields; what the stage found (objective, bound, nodes, the rule
    that stopped it, what it fixed, why it was skipped) is in `info`. A stage reads like the
    dict {"stage": name, "seconds": seconds, **info}, which is how reports, the command line
    and the results store show it.
    """

    stage: str
    seconds: float = 0.0
    info: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        if key == "stage":
            return self.stage
        if key == "seconds":
            return self.seconds
        return self.info[key]

    def __iter__(self) -> Iterator[str]:
        yield "stage"
        yield "seconds"
        yield from self.info

    def __len__(self) -> int:
        return 2 + len(self.info)


@dataclass(frozen=True)
class Result:
    """What a solve returned: why it stopped, what it found, how long it took. Built once, by
    the engine, after the answer is verified (a changed copy: dataclasses.replace)."""

    termination: Termination
    x: np.ndarray | None = None            # 0/1 vector over the problem's items, verified
    objective: float | None = None         # recomputed from the canonical arrays
    bound: float | None = None             # best proven upper bound (maximization)
    selected: tuple[str, ...] = ()         # names of the chosen items
    solver: str = ""
    solver_version: str = ""
    formulation: str = ""
    build_seconds: float = 0.0             # building the model (formulation + passing it to the solver)
    solve_seconds: float = 0.0             # the solver's own run
    nodes: int | None = None
    message: str = ""                      # plain-language reason (infeasibility, error, ...)
    log: str = ""                          # the solver's log
    stages: tuple[Stage, ...] = ()         # stages that ran, in order, with times
    report: Any = None                     # PortfolioReport when a Scenario was solved

    def __post_init__(self) -> None:
        # one type whichever solver answered (HiGHS gives integral bounds as ints): floats, or None
        for name in ("objective", "bound"):
            value = getattr(self, name)
            if value is not None and type(value) is not float:
                object.__setattr__(self, name, float(value))

    @property
    def has_solution(self) -> bool:
        """True when a verified portfolio is attached."""
        return self.x is not None

    @property
    def gap(self) -> float | None:
        """Relative gap (bound - objective) / max(|objective|, 1)."""
        return relative_gap(self.objective, self.bound)

    @property
    def total_seconds(self) -> float:
        """Build plus solve time."""
        return self.build_seconds + self.solve_seconds

    def summary(self) -> str:
        """A short multi-line text for people."""
        lines = [f"termination  {self.termination.value}"]
        if self.message:
            lines.append(f"message      {self.message}")
        if self.has_solution:
            lines.append(f"objective    {self.objective:.10g}")
        if self.bound is not None:
            lines.append(f"bound        {self.bound:.10g}")
        if self.gap is not None:
            lines.append(f"gap          {self.gap:.4%}")
        if self.has_solution:
            shown = ", ".join(self.selected[:40]) + (" ..." if len(self.selected) > 40 else "")
            lines.append(f"selected     {len(self.selected)} items: {shown}")
        lines.append(f"solver       {self.solver} {self.solver_version} / formulation {self.formulation}")
        timing = f"build {self.build_seconds:.3f} s, solve {self.solve_seconds:.3f} s"
        if self.nodes is not None:
            timing += f", {self.nodes} nodes"
        lines.append(f"time         {timing}")
        return "\n".join(lines)

    def __str__(self) -> str:  # printing a result shows its summary
        return self.summary()
