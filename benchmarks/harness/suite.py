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
import math
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from benchmarks.harness.instance_sets import InstanceRef, SuiteError, resolve
from instances.toml_file import KeyLines

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
        """Identity of the cell in the results store: a re-run of the same cell has the same key,
        however the instance's set was typed (relative or absolute path, a link, a pattern)."""
        return json.dumps({"instance": self.instance.identity, "solver": self.solver,
                           "formulation": self.formulation, "settings": self.settings, "seed": self.seed,
                           "repetition": self.repetition}, sort_keys=True)

    @property
    def legacy_key(self) -> str:
        """The key stores written before instances had an identity gave this cell (its set as typed,
        then its name): `run_suite` finds rows under it and moves them to `key`."""
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
    def from_dict(cls, data: dict) -> Cell:
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
        """Every cell of the grid (an instance that two sets name runs once), and a note per
        solver/formulation pair left out as meaningless; a grid of no cells is a `SuiteError`."""
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
        if not cells:
            raise SuiteError(f"the suite expands to no cells: {'; '.join(skipped)}; give formulations the solvers "
                             f"take (--formulations auto runs each solver's own choice)")
        first: dict[str, Cell] = {}
        for c in cells:
            first.setdefault(c.key, c)
        unique = list(first.values())
        if len(unique) < len(cells):
            # two sets naming one file (a folder and a pattern in it) would otherwise run it twice under one key
            skipped.append(f"{len(cells) - len(unique)} cells name an instance another set of the suite already "
                           f"has; each runs once")
        return unique, skipped


def solver_formulations(solver: str) -> tuple[str, ...]:
    """Formulations a solver takes, without asking whether it is installed here
    (cells run where it may be: another machine of a Dask cluster)."""
    from optimizer.core.errors import SolverUnavailableError
    from optimizer.solvers import solver_formulations as formulations_of

    try:
        return formulations_of(solver)
    except SolverUnavailableError as exc:
        raise SuiteError(str(exc)) from None


_LISTS = {"instances": str, "solvers": str, "formulations": str, "time_limit": float, "threads": int,
          "mip_gap": float}
_SCALARS = {"repeat": int, "seed": int, "memory_limit": float, "grace": float, "results": str,
            "reference": str, "jobs": int}


#: accepted values of the settings that have a range: a test, and the words that say what is accepted
_RANGES = {
    "time_limit": (lambda v: math.isfinite(v) and v > 0, "a positive number of seconds"),
    "threads": (lambda v: v >= 1, "a whole number >= 1"),
    "mip_gap": (lambda v: math.isfinite(v) and 0 <= v < 1, "a relative gap in [0, 1)"),
    "repeat": (lambda v: v >= 1, "a whole number, at least 1"),
    "jobs": (lambda v: v >= 1, "a whole number, at least 1"),
    "memory_limit": (lambda v: math.isfinite(v) and v > 0, "a positive number of MB"),
    "grace": (lambda v: math.isfinite(v) and v >= 0, "zero or more seconds"),
    "seed": (lambda v: v >= 0, "a whole number >= 0"),
}
#: what an empty list would hold, for the message
_EXAMPLES = {"instances": '["qkp:n=100,density=50,seeds=1-3"]', "solvers": '["auto", "highs"]',
             "formulations": '["auto"]', "time_limit": "[60]", "threads": "[1]", "mip_gap": "[0]"}


def _typed(key: str, value: object, kind: type, where: str, label: str | None = None) -> object:
    """`value` of setting `key` as `kind`, checked against its range; `label` names it in messages
    (an entry of a list: "time_limit (entry 2 of 3)")."""
    label = label or key
    if isinstance(value, bool) or (kind in (int, float) and not isinstance(value, (int, float))):
        raise SuiteError(f"{where}: {label} = {value!r} should be a {'whole number' if kind is int else 'number'}"
                         + (f"; expected {_RANGES[key][1]}" if key in _RANGES else ""))
    if kind is int and isinstance(value, float) and not value.is_integer():
        raise SuiteError(f"{where}: {label} = {value!r} should be a whole number")
    if kind is str and not isinstance(value, str):
        raise SuiteError(f"{where}: {label} = {value!r} should be text in quotes")
    try:
        typed = kind(value)
    except OverflowError:       # TOML integers have no size limit
        raise SuiteError(f"{where}: {label} is a number too large to compute with; expected "
                         f"{_RANGES[key][1] if key in _RANGES else 'a number of ordinary size'}") from None
    if key in _RANGES and not _RANGES[key][0](typed):
        raise SuiteError(f"{where}: {label} = {typed!r} is out of range; expected {_RANGES[key][1]}")
    return typed


def build_suite(file: str | Path | None = None, **overrides: object) -> Suite:
    """A suite from a TOML file (optional) with command-line overrides (None means: not given).

    Errors are :class:`SuiteError` naming the file and line (or "command line"), the key and what
    would be accepted."""
    data: dict[str, object] = {}
    where = "command line"
    lines = KeyLines("")
    base = Path(".")
    if file is not None:
        path = Path(file)
        where = str(path)
        base = path.parent
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SuiteError(f"{path}: the suite file is not text (expected TOML saved as UTF-8)") from None
        except (OSError, ValueError) as exc:    # ValueError: a NUL character in the name
            raise SuiteError(f"{path}: cannot read the suite file ({getattr(exc, 'strerror', None) or exc}); "
                             f"expected a TOML suite file") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
            at = f"{path}:{m.group(1) if m else len(text.splitlines()) or 1}"    # else: at the end of the file
            raise SuiteError(f"{at}: not valid TOML: {exc}; expected a suite file of key = value lines such as "
                             f"instances = [\"qkp:n=100,seeds=1-3\"]") from None
        except ValueError:      # tomllib's int() refuses integers of over 4300 digits
            raise SuiteError(f"{path}: a number of thousands of digits; expected numbers of ordinary size") from None
        lines = KeyLines(text)
        if isinstance(data.get("suite"), dict):  # a [suite] table is accepted as well as top-level keys
            data = {**{k: v for k, v in data.items() if k != "suite"}, **data["suite"]}
        unknown = sorted(set(data) - set(_LISTS) - set(_SCALARS))
        if unknown:
            raise SuiteError(f"{_at(where, lines, unknown[0])}: unknown key {unknown[0]!r}; known keys: "
                             f"{', '.join([*_LISTS, *_SCALARS])}")
    suite = Suite()
    for key, kind in _LISTS.items():
        for source, value in (("file", data.get(key)), ("option", overrides.get(key))):
            if value is None or (source == "file" and overrides.get(key) is not None):   # the option wins
                continue
            src = _at(where, lines, key) if source == "file" else "command line"
            values = value if isinstance(value, list) else [value]
            if not values:
                raise SuiteError(f"{src}: {key} is an empty list; expected at least one value, e.g. "
                                 f"{key} = {_EXAMPLES[key]}")
            typed = [_typed(key, v, kind, src, f"{key} (entry {k + 1} of {len(values)})" if len(values) > 1 else key)
                     for k, v in enumerate(values)]
            if key == "instances" and source == "file":
                typed = [_relative(str(v), base) for v in typed]
            setattr(suite, key, typed)
    for key, kind in _SCALARS.items():
        for value, src in ((data.get(key), _at(where, lines, key)), (overrides.get(key), "command line")):
            if value is not None and (src == "command line" or overrides.get(key) is None):   # the option wins
                typed = _typed(key, value, kind, src)
                if key in ("results", "reference") and src != "command line":
                    typed = _relative(str(typed), base)
                if key == "results" and src != "command line":
                    _inside(typed, base, src)
                setattr(suite, key, typed)
    return suite


def _inside(path: str, base: Path, where: str) -> None:
    """A suite file writes only inside its own folder (a shared suite must not overwrite other files);
    --results on the command line may go anywhere: the user chose it."""
    folder = base.resolve()
    target = Path(path).resolve()  # symbolic links followed: a link out of the folder is refused too
    if target != folder and folder not in target.parents:
        raise SuiteError(f"{where}: results = {path!r} is outside the suite file's folder {folder}; a suite file "
                         f"may only write inside its folder (give --results on the command line to write elsewhere)")


def _at(where: str, lines: KeyLines, key: str) -> str:
    """`where` with the line of `key` (top level or in [suite]) when the file has it."""
    line = lines.line_of_key.get((key,)) or lines.line_of_key.get(("suite", key))
    return f"{where}:{line}" if line else where


def _relative(spec: str, base: Path) -> str:
    """Paths in a suite file are relative to the file; generator specs are left alone."""
    if ":" in spec.partition("=")[0] and not _exists(spec):
        return spec
    path = Path(spec)
    return str(path if path.is_absolute() else base / path)


def _exists(spec: str) -> bool:
    try:
        return Path(spec).exists()
    except (OSError, ValueError):   # a name too long for the file system, a NUL byte: not a file
        return False
