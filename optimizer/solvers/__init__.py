"""Solver registry: each solver is one module defining `Adapter`, listed once here.

Modules are imported lazily, so an optional solver package that is missing
costs nothing until asked for, and its absence is reported with a reason.
"""

from __future__ import annotations

import difflib
import importlib
from typing import TYPE_CHECKING

import pandas as pd

from optimizer.core.errors import SolverUnavailableError
from optimizer.solvers.base import RawAnswer, SolveOptions, SolverAdapter, model_too_large

if TYPE_CHECKING:
    from optimizer.core.problem import SelectionProblem

#: solver name -> module, in the order every list shows them, the default first.
#: "pyomo" takes a suffix: "pyomo:<pyomo solver name>".
REGISTRY: dict[str, str] = {
    "auto": "optimizer.solvers.auto",
    "highs": "optimizer.solvers.highs",
    "heuristic": "optimizer.solvers.heuristic",
    "bnb": "optimizer.solvers.bnb",
    "bruteforce": "optimizer.solvers.bruteforce",
    "pyomo": "optimizer.solvers.pyomo",
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

__all__ = ["REGISTRY", "RawAnswer", "SolveOptions", "SolverAdapter", "available_solvers", "get_solver",
           "solver_names", "unknown_solver_message"]


def solver_names() -> list[str]:
    """The solver names a user can give, in registry order; the Pyomo family as 'pyomo:<name>'."""
    return [f"{n}:<name>" if n == "pyomo" else n for n in REGISTRY]


def _suggestion(name: str) -> str | None:
    """The solver a mistyped or incomplete `name` most likely means, or None."""
    bare = name.strip().lower()
    # a Pyomo solver given without its family: 'cbc' -> 'pyomo:cbc'; a family name such as
    # 'gurobi' or 'scip' -> the interface that is probed ('pyomo:gurobi_direct')
    for probe in PYOMO_PROBES:
        if bare == probe or probe.startswith(bare + "_"):
            return f"pyomo:{probe}"
    choices = {p: f"pyomo:{p}" for p in PYOMO_PROBES} | {n: n for n in REGISTRY if n != "pyomo"}
    close = difflib.get_close_matches(bare.removeprefix("pyomo:"), list(choices), n=1)
    return choices[close[0]] if close else None


def unknown_solver_message(name: str) -> str:
    """What to say about a solver name that is not registered: the closest name and the known ones."""
    hint = _suggestion(name)
    return (f"unknown solver {name!r}" + (f" (did you mean {hint!r}?)" if hint else "")
            + f"; known solvers: {', '.join(solver_names())} ('alliance solvers' lists which run here)")


def get_solver(name: str) -> SolverAdapter:
    """The adapter for `name` ("auto", "highs", "pyomo:<name>", ...); raises if unusable here."""
    base, _, arg = name.partition(":")
    if base not in REGISTRY:
        raise SolverUnavailableError(unknown_solver_message(name))
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
