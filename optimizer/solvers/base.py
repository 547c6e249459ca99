"""What a solver adapter receives and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from optimizer.core.result import Termination

if TYPE_CHECKING:
    from formulations.model import MipModel
    from optimizer.core.problem import SelectionProblem


@dataclass(frozen=True)
class SolveOptions:
    """Solver settings common to every adapter."""

    time_limit: float | None = None
    mip_gap: float | None = None       # relative gap at which to stop; None: prove optimality
    abs_gap: float | None = None       # absolute gap (set below 1 when the objective is integral)
    threads: int | None = None
    seed: int = 0
    warm_start: np.ndarray | None = None  # full column vector of the model, or None
    verbose: bool = False


@dataclass
class RawAnswer:
    """An adapter's answer before independent verification."""

    termination: Termination
    x: np.ndarray | None = None            # values of the item columns
    columns: np.ndarray | None = None      # values of every model column (checked against the objective)
    objective: float | None = None         # as claimed by the solver
    bound: float | None = None
    nodes: int | None = None
    load_seconds: float = 0.0              # passing the model to the solver
    solve_seconds: float = 0.0
    log: str = ""
    message: str = ""
    version: str = ""
    extra: dict = field(default_factory=dict)


class SolverAdapter(Protocol):
    """The interface every solver module provides (as class `Adapter`)."""

    name: str
    #: formulations the adapter can take, best first; empty: it works on the problem itself
    formulations: tuple[str, ...]

    def availability(self) -> tuple[bool, str]:
        """(True, version or note) when usable here, else (False, why not)."""

    def solve(self, problem: SelectionProblem, model: MipModel | None, options: SolveOptions) -> RawAnswer:
        """Solve and return the raw answer; never verify, never raise on limits."""

    # optional: def size_limit(self) -> tuple[int, int] | None - (columns, rows) a licence allows


def model_too_large(adapter: SolverAdapter, model: MipModel) -> str | None:
    """Why `adapter` cannot take `model` (a size-limited licence), or None when it can."""
    probe = getattr(adapter, "size_limit", None)
    limit = probe() if probe is not None else None
    if limit is None or (model.num_col <= limit[0] and model.num_row <= limit[1]):
        return None
    return (f"solver {adapter.name!r} has a size-limited licence ({limit[0]} variables, {limit[1]} constraints); "
            f"the {model.formulation} model has {model.num_col} variables and {model.num_row} constraints. "
            f"Try formulation 'glover' or 'miqp' (fewer variables), or solver 'highs'")
