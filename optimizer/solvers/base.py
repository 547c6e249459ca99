"""What a solver adapter receives and returns."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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


@dataclass(frozen=True)
class Capabilities:
    """What a solver declares it can do (as linopy's solver_capabilities and cvxpy's `accepts` do).
    The registry, the resource guard, `available_solvers` and the engine read these declarations,
    never solver names."""

    model: bool = True               # solves a formulation's model; False: works on the problem itself
    quadratic: bool = False          # takes a quadratic objective: offered the quadratic formulations (miqp)
    suffix: str = "none"             # named <name>:<what> (pyomo:scip_direct): "none", "optional" or "required"
    bytes_per_nonzero: float = 0.0   # memory per model nonzero on top of the arrays (Pyomo: Python objects)


class Adapter(ABC):
    """The base of every solver adapter (a module's class `Adapter`): declare `name` and
    `capabilities`, implement `availability` and `solve`; override `size_limit` for a size-limited
    licence and `accepts` for a solver that takes some problems only."""

    name: str = ""
    suffix_hint: str = "a name after ':'"     # what a suffix names, for an error when it is missing
    capabilities: Capabilities = Capabilities()

    def memory_mb(self, problem: SelectionProblem) -> float | None:
        """Memory (MB) this solver needs for `problem` beyond the interpreter, for solvers without a model
        (the resource guard estimates models itself); None: not declared."""
        return None

    @property
    def formulations(self) -> tuple[str, ...]:
        """The formulations this solver takes, read from its capabilities: none without a model, the
        quadratic ones only when it takes a quadratic objective."""
        import formulations

        return formulations.taken_by(self.capabilities.quadratic) if self.capabilities.model else ()

    @abstractmethod
    def availability(self) -> tuple[bool, str]:
        """(True, version or note) when usable here, else (False, why not)."""

    @abstractmethod
    def solve(self, problem: SelectionProblem, model: MipModel | None, options: SolveOptions) -> RawAnswer:
        """Solve and return the raw answer; never verify, never raise on limits."""

    def size_limit(self) -> tuple[int, int] | None:
        """(columns, rows) a licence allows, or None when the model size is free."""
        return None

    def accepts(self, problem: SelectionProblem) -> str | None:
        """Why this solver cannot take `problem` (asked before anything is built), or None when it can."""
        return None


#: the interface the engine relies on (every adapter derives from Adapter)
SolverAdapter = Adapter


def model_too_large(adapter: SolverAdapter, model: MipModel) -> str | None:
    """Why `adapter` cannot take `model` (a size-limited licence), or None when it can."""
    limit = adapter.size_limit()
    if limit is None or (model.num_col <= limit[0] and model.num_row <= limit[1]):
        return None
    return (f"solver {adapter.name!r} has a size-limited licence ({limit[0]} variables, {limit[1]} constraints); "
            f"the {model.formulation} model has {model.num_col} variables and {model.num_row} constraints. "
            f"Try formulation 'glover' or 'miqp' (fewer variables), or solver 'highs'")
