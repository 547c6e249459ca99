"""Formulations: canonical problem -> array model, one module each.

A formulation module defines `NAME`, `QUADRATIC` (its objective keeps products x_i x_j,
for solvers that take them), `size(problem) -> ModelSize` (counted without building,
for the resource guard) and `build(problem) -> MipModel`. Register a new one by adding
its module to `REGISTRY`: solvers take it by its QUADRATIC flag, the resource guard by its
size, and `auto` by its place in the registry.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

from formulations.common import ModelSize
from formulations.model import MipModel

if TYPE_CHECKING:
    from optimizer.core.problem import SelectionProblem

#: name -> module, in the order `auto` prefers them. Measured (benchmarks/README.md) on the 39
#: standard QKP instances with n = 100 (HiGHS, one thread): the RLT-strengthened linearization
#: has the lowest shifted geometric mean at every density, then the standard linearization,
#: Glover's, and the quadratic objective.
REGISTRY: dict[str, str] = {
    "rlt": "formulations.rlt",
    "standard": "formulations.standard",
    "glover": "formulations.glover",
    "miqp": "formulations.miqp",
}

__all__ = ["REGISTRY", "MipModel", "ModelSize", "build", "choose", "size", "taken_by"]


def _module(name: str) -> ModuleType:
    if name not in REGISTRY:
        raise KeyError(f"unknown formulation {name!r}; known: {', '.join(REGISTRY)}")
    return importlib.import_module(REGISTRY[name])


def build(name: str, problem: SelectionProblem) -> MipModel:
    """Build the named formulation of `problem`."""
    return _module(name).build(problem)


def size(name: str, problem: SelectionProblem) -> ModelSize:
    """Columns, rows and nonzeros of the named formulation of `problem`, without building it."""
    return _module(name).size(problem)


def taken_by(quadratic: bool) -> tuple[str, ...]:
    """The formulations a solver takes: the linear ones, and the quadratic ones if it solves those."""
    return tuple(name for name in REGISTRY if quadratic or not _module(name).QUADRATIC)


def choose(problem: SelectionProblem, supported: tuple[str, ...]) -> str:
    """The formulation `auto` picks among those the solver takes: the first in REGISTRY."""
    for name in REGISTRY:
        if name in supported:
            return name
    return supported[0]
