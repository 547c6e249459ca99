"""A benchmark suite: instance sets x solvers x formulations x settings x repetitions.

A suite is written on the command line or in a TOML file; lists in the file
expand to a grid and the command line overrides the file, key by key:

    instances = ["../shared/instances/qkp-standard", "qkp:n=300,density=50,seeds=1-5"]
    solvers = ["auto", "highs"]
    formulations = ["auto"]
    time_limit = 60            # seconds; a list runs each value
    threads = 1                # a list runs each value
    mip_gap = 0                # relative gap to stop at; 0 proves optimality
    repeat = 1                 # repetitions; repetition r runs with seed + r
    seed = 0
    memory_limit = 8000        # MB of address space per run (none by default)
    grace = 15                 # seconds past the time limit before a run is killed
    results = "results.sqlite"
    reference = "optima.csv"   # known optima / best-known values: instance,value
    jobs = 2
"""

from __future__ import annotations

import itertools
import json
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from benchmarks.instance_sets import InstanceRef, SuiteError, resolve

#: Settings stored in the results (their JSON is part of each cell's key).
SETTINGS = ("time_limit", "threads", "mip_gap", "memory_limit_mb")


@dataclass(frozen=True)
class Cell:
    """One run: an instance, a solver configuration, a seed and a repetition."""

    instance: InstanceRef
    solver: str
    formulation: str
    time_limit: float
    threads: int | None
    mip_gap: float | None
    memory_limit_mb: float | None
    seed: int
    repetition: int
    grace: float = 15.0

    @property
    def settings(self) -> dict:
        """The settings that define the run (besides solver, formulation, seed, repetition)."""
        return {k: getattr(self, k) for k in SETTINGS}

    @property
    def key(self) -> str:
        """Identity of the cell in the results store: a re-run of the same cell has the same key."""
        return json.dumps([self.instance.set, self.instance.name, self.solver, self.formulation,
                           self.settings, self.seed, self.repetition], sort_keys=True)

    @property
    def wall_limit(self) -> float:
        """Seconds after which the run's process is killed."""
        return self.time_limit + self.grace

    def to_dict(self) -> dict:
        """JSON-able form, sent to the worker process."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["instance"] = self.instance.to_dict()
        return d

    @classmethod
    def from_dict(cls, data: dict) -> "Cell":
        """Inverse of `to_dict`."""
        return cls(**{**data, "instance": InstanceRef.from_dict(data["instance"])})


@dataclass
class Suite:
    """What to run and where to keep it."""

    instances: list[str] = field(default_factory=list)
    solvers: list[str] = field(default_factory=lambda: ["auto"])
    formulations: list[str] = field(default_factory=lambda: ["auto"])
    time_limit: list[float] = field(default_factory=lambda: [60.0])
    threads: list[int] = field(default_factory=lambda: [1])
    mip_gap: list[float] = field(default_factory=lambda: [0.0])
    repeat: int = 1
    seed: int = 0
    memory_limit: float | None = None
    grace: float = 15.0
    results: str = "results.sqlite"
    reference: str | None = None
    jobs: int = 1

    def cells(self) -> tuple[list[Cell], list[str]]:
        """Every cell of the grid, and a note per solver/formulation pair left out as meaningless."""
        if not self.instances:
            raise SuiteError("the suite names no instances; give --instances (a folder, a file or a spec like "
                             "qkp:n=100,density=50,seeds=1-3) or instances = [...] in the suite file")
        if not self.solvers:
            raise SuiteError("the suite names no solvers; give --solvers auto,highs or solvers = [...]")
        refs = [ref for spec in self.instances for ref in resolve(spec)]
        combos, skipped = [], []
        for solver in self.solvers:
            takes = solver_formulations(solver)
            for form in self.formulations:
                if form == "auto" or form in takes:
                    combos.append((solver, form))
                else:
                    skipped.append(f"{solver} does not take formulation {form!r} "
                                   f"(it takes: auto{''.join(', ' + f for f in takes)}); left out")
        cells = [Cell(ref, solver, form, float(tl), None if th is None else int(th),
                      None if not gap else float(gap), self.memory_limit, self.seed + rep, rep, self.grace)
                 for ref, (solver, form), tl, th, gap, rep in itertools.product(
                     refs, combos, self.time_limit, self.threads, self.mip_gap, range(self.repeat))]
        return cells, skipped


def solver_formulations(solver: str) -> tuple[str, ...]:
    """Formulations a solver takes, without asking whether it is installed here
    (cells run where it may be: another machine of a Dask cluster)."""
    import importlib

    from optimizer.solvers import REGISTRY

    if solver == "auto":
        solver = "highs"
    base, _, arg = solver.partition(":")
    if base not in REGISTRY:
        known = ", ".join(["auto", *sorted(REGISTRY)]).replace("pyomo", "pyomo:<name>")
        raise SuiteError(f"unknown solver {solver!r}; known: {known}")
    module = importlib.import_module(REGISTRY[base])
    adapter = module.Adapter(arg) if arg else module.Adapter()
    return tuple(adapter.formulations)


_LISTS = {"instances": str, "solvers": str, "formulations": str, "time_limit": float, "threads": int,
          "mip_gap": float}
_SCALARS = {"repeat": int, "seed": int, "memory_limit": float, "grace": float, "results": str,
            "reference": str, "jobs": int}


def _typed(key: str, value: object, kind: type, where: str) -> object:
    if isinstance(value, bool) or (kind in (int, float) and not isinstance(value, (int, float))):
        raise SuiteError(f"{where}: {key} = {value!r} should be a {'whole number' if kind is int else 'number'}")
    if kind is int and isinstance(value, float) and not value.is_integer():
        raise SuiteError(f"{where}: {key} = {value!r} should be a whole number")
    if kind is str and not isinstance(value, str):
        raise SuiteError(f"{where}: {key} = {value!r} should be text in quotes")
    return kind(value)


def _check(suite: Suite, where: str) -> Suite:
    for key, minimum in (("time_limit", 0.0), ("threads", 1), ("mip_gap", 0.0)):
        for v in getattr(suite, key):
            if v < minimum or (key == "time_limit" and v <= 0) or (key == "mip_gap" and v >= 1):
                accepted = {"time_limit": "a positive number of seconds", "threads": "a whole number >= 1",
                            "mip_gap": "a relative gap in [0, 1)"}[key]
                raise SuiteError(f"{where}: {key} = {v!r} is out of range; expected {accepted}")
    for key, minimum in (("repeat", 1), ("jobs", 1)):
        if getattr(suite, key) < minimum:
            raise SuiteError(f"{where}: {key} = {getattr(suite, key)!r} should be at least {minimum}")
    if suite.memory_limit is not None and suite.memory_limit <= 0:
        raise SuiteError(f"{where}: memory_limit = {suite.memory_limit!r} should be a positive number of MB")
    if suite.grace < 0:
        raise SuiteError(f"{where}: grace = {suite.grace!r} should be zero or more seconds")
    return suite


def build_suite(file: str | Path | None = None, **overrides: object) -> Suite:
    """A suite from a TOML file (optional) with command-line overrides (None means: not given)."""
    data: dict[str, object] = {}
    where = "command line"
    base = Path(".")
    if file is not None:
        path = Path(file)
        where = str(path)
        base = path.parent
        try:
            data = tomllib.loads(path.read_text())
        except OSError as exc:
            raise SuiteError(f"{path}: cannot read the suite file ({exc.strerror})") from None
        except UnicodeDecodeError:
            raise SuiteError(f"{path}: the suite file is not text (expected TOML)") from None
        except tomllib.TOMLDecodeError as exc:
            raise SuiteError(f"{path}: not valid TOML: {exc}") from None
        if isinstance(data.get("suite"), dict):  # a [suite] table is accepted as well as top-level keys
            data = {**{k: v for k, v in data.items() if k != "suite"}, **data["suite"]}
        unknown = sorted(set(data) - set(_LISTS) - set(_SCALARS))
        if unknown:
            raise SuiteError(f"{path}: unknown key {unknown[0]!r}; known keys: {', '.join([*_LISTS, *_SCALARS])}")
    suite = Suite()
    for key, kind in _LISTS.items():
        for source, value, src in (("file", data.get(key), where), ("option", overrides.get(key), "command line")):
            if value is None:
                continue
            values = value if isinstance(value, list) else [value]
            if not values:
                raise SuiteError(f"{src}: {key} is an empty list")
            typed = [_typed(key, v, kind, src) for v in values]
            if key == "instances" and source == "file":
                typed = [_relative(str(v), base) for v in typed]
            setattr(suite, key, typed)
    for key, kind in _SCALARS.items():
        for value, src in ((data.get(key), where), (overrides.get(key), "command line")):
            if value is not None:
                typed = _typed(key, value, kind, src)
                if key in ("results", "reference") and src != "command line":
                    typed = _relative(str(typed), base)
                setattr(suite, key, typed)
    return _check(suite, where)


def _relative(spec: str, base: Path) -> str:
    """Paths in a suite file are relative to the file; generator specs are left alone."""
    if ":" in spec.partition("=")[0] and not Path(spec).exists():
        return spec
    path = Path(spec)
    return str(path if path.is_absolute() else base / path)
