"""Formulations: canonical problem -> array model, one module each.

A formulation module defines `NAME`, `QUADRATIC` (its objective keeps products x_i x_j,
for solvers that take them), `size(problem) -> ModelSize` (counted without building,
for the resource guard) and `build(problem) -> MipModel`. Register a new one by adding
its module to `REGISTRY`: solvers take it by its QUADRATIC flag, the resource guard by its
size, and `auto` by its place in the registry.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, NamedTuple

from formulations.common import ModelSize
from formulations.model import MipModel

if TYPE_CHECKING:
    from optimizer.core.problem import SelectionProblem

#: name -> module. `auto` picks by problem class (PREFERENCES below), falling back to this order.
REGISTRY: dict[str, str] = {
    "rlt": "formulations.rlt",
    "standard": "formulations.standard",
    "glover": "formulations.glover",
    "miqp": "formulations.miqp",
}



class Preference(NamedTuple):
    """The formulations `auto` prefers for one class of problems, best first, and the measurement behind it."""

    kind: str                                       # the class, in words
    applies: Callable[[SelectionProblem], bool]
    order: tuple[str, ...]
    measured: str                                   # where the order comes from (benchmarks/README.md)


#: problem class -> preferred formulations, first match wins. Measured with the harness, HiGHS 1.16, one
#: thread (benchmarks/README.md, "Which formulation auto chooses"):
PREFERENCES: tuple[Preference, ...] = (
    Preference("negative pair terms (redundancy, conflict, complexity: alliance scenarios)",
               lambda p: bool((p.pair_q < 0).any()), ("glover", "rlt", "standard", "miqp"),
               "alliance scenarios n = 60-300, with and without engagement levels: glover proves n = 60 2-4x "
               "faster and ends n = 150 with the smallest gaps (benchmarks/suites/formulations.toml)"),
    Preference("no negative pair terms (the classic quadratic knapsack)", lambda p: True,
               ("rlt", "standard", "glover", "miqp"),
               "the 39 standard QKP instances with n = 100: rlt has the lowest shifted geometric mean at "
               "every density"),
)


class Choice(NamedTuple):
    """The formulation `auto` picked and why, in words (recorded in Result.stages)."""

    name: str
    reason: str


__all__ = ["PREFERENCES", "REGISTRY", "Choice", "MipModel", "ModelSize", "build", "choose", "size", "taken_by"]


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


def choose(problem: SelectionProblem, supported: tuple[str, ...]) -> Choice:
    """The formulation `auto` picks among those the solver takes, by the problem's class (PREFERENCES)."""
    for pref in PREFERENCES:
        if pref.applies(problem):
            for name in (*pref.order, *REGISTRY):
                if name in supported:
                    return Choice(name, f"{name} for {pref.kind}: {pref.measured}")
    return Choice(supported[0], f"{supported[0]}: the only formulation the solver takes")
