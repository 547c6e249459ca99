"""Formulations: canonical problem -> array model. Each is one module with `NAME` and `build`.

Register a new formulation by adding its module to `REGISTRY`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from formulations.model import MipModel

if TYPE_CHECKING:
    from optimizer.core.problem import SelectionProblem

REGISTRY: dict[str, str] = {
    "standard": "formulations.standard",
    "rlt": "formulations.rlt",
    "glover": "formulations.glover",
    "miqp": "formulations.miqp",
}

__all__ = ["REGISTRY", "MipModel", "build", "choose"]


def build(name: str, problem: "SelectionProblem") -> MipModel:
    """Build the named formulation of `problem`."""
    if name not in REGISTRY:
        raise KeyError(f"unknown formulation {name!r}; known: {', '.join(REGISTRY)}")
    return importlib.import_module(REGISTRY[name]).build(problem)


def choose(problem: "SelectionProblem", supported: tuple[str, ...]) -> str:
    """The formulation `auto` picks for this problem among those the solver takes.

    Measured (benchmarks/README.md, with the script since replaced by `alliance bench`) on the 39 standard QKP
    instances with n = 100 (HiGHS, one thread; benchmarks/README.md): the
    RLT-strengthened linearization has the lowest shifted geometric mean at
    every density, so it is first wherever the solver takes it; then the
    standard linearization, Glover's, and the quadratic objective.
    """
    for name in ("rlt", "standard", "glover", "miqp"):
        if name in supported:
            return name
    return supported[0]
