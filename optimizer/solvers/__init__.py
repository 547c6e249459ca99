"""Solver registry: each solver is one module defining `Adapter`, listed once here.

Modules are imported lazily, so an optional solver package that is missing
costs nothing until asked for, and its absence is reported with a reason.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

import pandas as pd

from optimizer.errors import SolverUnavailableError
from optimizer.solvers.base import RawAnswer, SolveOptions, SolverAdapter, model_too_large

if TYPE_CHECKING:
    from optimizer.problem import SelectionProblem

#: solver name -> module. "pyomo" takes a suffix: "pyomo:<pyomo solver name>".
REGISTRY: dict[str, str] = {
    "highs": "optimizer.solvers.highs",
    "pyomo": "optimizer.solvers.pyomo",
    "bruteforce": "optimizer.solvers.bruteforce",
    "heuristic": "optimizer.solvers.heuristic",
    "bnb": "optimizer.solvers.bnb",
}



def _register_from_environment() -> None:
    """Extra adapters named in ALLIANCE_SOLVERS="name=module,name2=module2" (plugins, test doubles):
    benchmark workers are fresh processes, so a registration made in Python would not reach them."""
    import os

    for item in filter(None, (t.strip() for t in os.environ.get("ALLIANCE_SOLVERS", "").split(","))):
        name, eq, module = (t.strip() for t in item.partition("="))
        if eq and name and module:
            REGISTRY.setdefault(name, module)


_register_from_environment()

#: Pyomo solver names probed by `available_solvers()`.
PYOMO_PROBES = ("highs", "scip_direct", "gurobi_direct", "gurobi_persistent", "cbc", "glpk", "cplex_direct")

__all__ = ["REGISTRY", "RawAnswer", "SolveOptions", "SolverAdapter", "available_solvers", "get_solver"]


def get_solver(name: str) -> SolverAdapter:
    """The adapter for `name` ("highs", "bruteforce", "pyomo:<name>"); raises if unusable here."""
    base, _, arg = name.partition(":")
    if base not in REGISTRY:
        known = ", ".join(sorted(REGISTRY)).replace("pyomo", "pyomo:<name>")
        raise SolverUnavailableError(f"unknown solver {name!r}; known solvers: {known}")
    if base == "pyomo" and not arg:
        raise SolverUnavailableError("solver 'pyomo' needs a Pyomo solver name, e.g. 'pyomo:highs' or 'pyomo:scip_direct'")
    module = importlib.import_module(REGISTRY[base])
    try:
        adapter = module.Adapter(arg) if arg else module.Adapter()
    except TypeError:  # a suffix given to a solver that takes none
        raise SolverUnavailableError(f"solver {name!r}: {base!r} takes no ':<name>' suffix; use {base!r}") from None
    ok, why = adapter.availability()
    if not ok:
        raise SolverUnavailableError(f"solver {name!r} is not available here: {why}")
    return adapter


def available_solvers(problem: "SelectionProblem | None" = None) -> pd.DataFrame:
    """Every registered solver (and probed Pyomo solver) with whether it can run here and why not.

    With a `problem`, a solver whose licence is too small for the problem's
    model in its first formulation is marked unavailable, with the sizes.
    """
    rows = []
    names = [n for n in REGISTRY if n != "pyomo"] + [f"pyomo:{p}" for p in PYOMO_PROBES]
    for name in names:
        base, _, arg = name.partition(":")
        try:
            module = importlib.import_module(REGISTRY[base])
            adapter = module.Adapter(arg) if arg else module.Adapter()
            ok, why = adapter.availability()
            forms = ",".join(adapter.formulations) or "-"
            if ok and problem is not None and adapter.formulations and getattr(adapter, "size_limit", None):
                import formulations

                if adapter.size_limit() is not None:
                    model = formulations.build(formulations.choose(problem, adapter.formulations), problem)
                    too_large = model_too_large(adapter, model)
                    ok, why = (False, too_large) if too_large else (ok, why)
        except Exception as exc:  # a broken optional package must not hide the others
            ok, why, forms = False, f"{type(exc).__name__}: {exc}", "-"
        rows.append({"solver": name, "available": ok, "detail": why, "formulations": forms})
    return pd.DataFrame(rows)
