"""Solver registry: each solver is one module defining `Adapter`, listed once here.

Modules are imported lazily, so an optional solver package that is missing
costs nothing until asked for, and its absence is reported with a reason.
"""

from __future__ import annotations

import difflib
import importlib
from typing import TYPE_CHECKING

from optimizer.core.errors import SolverUnavailableError
from optimizer.solvers.base import Capabilities, RawAnswer, SolveOptions, SolverAdapter, model_too_large

if TYPE_CHECKING:
    import pandas as pd

    from optimizer.core.problem import SelectionProblem

#: the engine's own pipeline (optimizer/engine/pipeline.py): the default solver name, listed first
#: everywhere; it is not an adapter, and runs HiGHS for its MIP stage
PIPELINE = "auto"
PIPELINE_DESCRIPTION = ("heuristic, Lagrangian bound and variable fixing, then branch and bound (classic QKPs) "
                        "or HiGHS on what is left")

#: solver name -> module, in the order every list shows them. "pyomo" takes a suffix:
#: "pyomo:<pyomo solver name>". A new solver is one module defining `Adapter`, added here.
REGISTRY: dict[str, str] = {
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

__all__ = ["PIPELINE", "REGISTRY", "Capabilities", "RawAnswer", "SolveOptions", "SolverAdapter", "available_solvers",
           "get_solver", "parse_solver_name", "solver_capabilities", "solver_formulations", "solver_names",
           "unknown_solver_message"]


def solver_names() -> list[str]:
    """The solver names a user can give, the pipeline first; the Pyomo family as 'pyomo:<name>'."""
    return [PIPELINE, *(f"{n}:<name>" if _suffix(n)[1] else n for n in REGISTRY)]


def parse_solver_name(name: str) -> tuple[str, str]:
    """(registered name, suffix) of a solver name such as "highs" or "pyomo:scip_direct": the one
    place names are checked (API, command line, suites, comparison files). SolverUnavailableError
    says what is wrong: an unknown name (with the closest one), a missing or unexpected suffix."""
    if not isinstance(name, str) or not name.strip():
        raise SolverUnavailableError(f"a solver name is text such as 'auto' or 'highs', got {name!r}; "
                                     f"known solvers: {', '.join(solver_names())}")
    base, _, arg = name.partition(":")
    if name == PIPELINE:
        return PIPELINE, ""
    if base not in REGISTRY:
        raise SolverUnavailableError(unknown_solver_message(name))
    takes, needs = _suffix(base)
    if needs and not arg:
        hint = importlib.import_module(REGISTRY[base]).Adapter.suffix_hint
        raise SolverUnavailableError(f"solver {base!r} needs {hint}")
    if arg and not takes:
        raise SolverUnavailableError(f"solver {name!r}: {base!r} takes no ':<name>' suffix; use {base!r}")
    return base, arg


def _suffix(base: str) -> tuple[bool, bool]:
    """(takes a ':<name>' suffix, needs one): read from the adapter's declared capabilities."""
    suffix = importlib.import_module(REGISTRY[base]).Adapter.capabilities.suffix
    return suffix != "none", suffix == "required"


def _adapter(name: str) -> SolverAdapter:
    """The adapter for a checked name, without asking whether it can run here."""
    base, arg = parse_solver_name(name)
    if base == PIPELINE:
        raise SolverUnavailableError("'auto' is the engine's pipeline, not an adapter: run it with "
                                     "optimizer.solve(problem, solver='auto')")
    module = importlib.import_module(REGISTRY[base])
    return module.Adapter(arg) if arg else module.Adapter()


def solver_capabilities(name: str) -> Capabilities:
    """What a solver declares it can do (the pipeline: its HiGHS stage's), without asking whether it
    is installed here."""
    return _adapter("highs" if name == PIPELINE else name).capabilities


def solver_formulations(name: str) -> tuple[str, ...]:
    """Formulations a solver takes (the pipeline: those of its HiGHS stage), read from the adapter
    without asking whether it is installed here (a suite's cells may run on another machine)."""
    return tuple(_adapter("highs" if name == PIPELINE else name).formulations)


def _suggestion(name: str) -> str | None:
    """The solver a mistyped or incomplete `name` most likely means, or None."""
    bare = name.strip().lower()
    # a Pyomo solver given without its family: 'cbc' -> 'pyomo:cbc'; a family name such as
    # 'gurobi' or 'scip' -> the interface that is probed ('pyomo:gurobi_direct')
    for probe in PYOMO_PROBES:
        if bare == probe or probe.startswith(bare + "_"):
            return f"pyomo:{probe}"
    choices = {p: f"pyomo:{p}" for p in PYOMO_PROBES} | {n: n for n in (PIPELINE, *REGISTRY)
                                                         if n == PIPELINE or not _suffix(n)[1]}
    close = difflib.get_close_matches(bare.removeprefix("pyomo:"), list(choices), n=1)
    return choices[close[0]] if close else None


def unknown_solver_message(name: str) -> str:
    """What to say about a solver name that is not registered: the closest name and the known ones."""
    hint = _suggestion(name)
    return (f"unknown solver {name!r}" + (f" (did you mean {hint!r}?)" if hint else "")
            + f"; known solvers: {', '.join(solver_names())} ('alliance solvers' lists which run here)")


def get_solver(name: str) -> SolverAdapter:
    """The adapter for `name` ("highs", "pyomo:<name>", ...); raises if unknown or unusable here."""
    adapter = _adapter(name)
    ok, why = adapter.availability()
    if not ok:
        raise SolverUnavailableError(f"solver {name!r} is not available here: {why}")
    return adapter


def available_solvers(problem: SelectionProblem | None = None) -> pd.DataFrame:
    """Every registered solver (and probed Pyomo solver) with whether it can run here and why not.

    With a `problem`, a solver whose licence is too small for the problem's
    model in its first formulation is marked unavailable, with the sizes.
    """
    import pandas as pd

    highs_ok, highs_why = _adapter("highs").availability()
    rows = [{"solver": PIPELINE, "available": highs_ok, "detail": f"{PIPELINE_DESCRIPTION} ({highs_why})",
             "formulations": ",".join(solver_formulations(PIPELINE))}]
    names = [n for n in REGISTRY if not _suffix(n)[1]] + [f"pyomo:{p}" for p in PYOMO_PROBES]
    for name in names:
        try:
            adapter = _adapter(name)
            ok, why = adapter.availability()
            forms = ",".join(adapter.formulations) or "-"
            if ok and problem is not None and adapter.formulations and adapter.size_limit() is not None:
                import formulations

                model = formulations.build(formulations.choose(problem, adapter.formulations).name, problem)
                too_large = model_too_large(adapter, model)
                ok, why = (False, too_large) if too_large else (ok, why)
        except Exception as exc:  # a broken optional package must not hide the others
            ok, why, forms = False, f"{type(exc).__name__}: {exc}", "-"
        rows.append({"solver": name, "available": ok, "detail": why, "formulations": forms})
    return pd.DataFrame(rows)
