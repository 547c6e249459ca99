"""Formulations: canonical problem -> array model. Each is one module with `NAME` and `build`.

Register a new formulation by adding its module to `REGISTRY`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from formulations.model import MipModel

if TYPE_CHECKING:
    from optimizer.problem import SelectionProblem

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

    Measured in benchmarks/formulations.py (see benchmarks/README.md): on the
    standard QKP instances with HiGHS the standard linearization beats Glover's
    on every density, so it is the default wherever it is supported; Glover's
    is kept for problems whose pair count makes one column per pair too large.
    """
    if "standard" in supported and problem.n_pairs <= 20 * max(problem.n, 1) ** 1.5:
        return "standard"
    for name in ("glover", "standard", "miqp"):
        if name in supported:
            return name
    return supported[0]
