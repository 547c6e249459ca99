"""One way in for every instance: a file, a bundle folder or a generator spec.

    load("../shared/instances/qkp-standard/jeu_100_25_1.txt")   # SelectionProblem
    load("examples/alliance-60")                               # Scenario
    load("qkp:n=60,density=50,seed=1")                         # generated

`READERS` is the one table of file formats: the command line (`alliance solve`), the
benchmark harness (instance sets and the worker) and `load` all read through it. A new
format is one module with a ``read_file(path, *, budget=None)`` and one row here.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, NamedTuple

from instances.errors import SpecError
from instances.specs import generate, is_spec, parse_spec


class Reader(NamedTuple):
    """A format on disk: its kind (stored in benchmark keys), what it looks like, and the module whose
    ``read_file(path, *, budget=None)`` reads it (imported when first used)."""

    kind: str                                  # "bundle", "file" (a QKP file)
    folder: bool                               # a folder (bundle) rather than a file
    suffixes: tuple[str, ...]                  # a folder's marker file, or the file endings of the format
    module: str                                # defines read_file(path, *, budget=None) -> Scenario | SelectionProblem
    any_named: bool = False                    # also reads a file named directly whatever its ending

    def read(self, path: Path, *, budget: int | None = None) -> Any:
        """The instance at `path`."""
        return importlib.import_module(self.module).read_file(Path(path), budget=budget)


#: every format on disk, first match wins
READERS: tuple[Reader, ...] = (
    Reader("bundle", True, ("scenario.toml",), "instances.bundle"),
    Reader("file", False, (".txt", ".dat", ".qkp", ".in"), "instances.qkp", any_named=True),
)


def reader_of(path: Path, *, named: bool = True) -> Reader | None:
    """The reader of `path`: a folder holding a bundle, or a file with a known ending; a file named
    directly (`named`) with another ending goes to the reader that takes any (QKP text)."""
    for reader in READERS:
        if reader.folder and path.is_dir() and any((path / marker).exists() for marker in reader.suffixes):
            return reader
        if not reader.folder and path.is_file() and path.suffix.lower() in reader.suffixes:
            return reader
    if named and path.is_file():
        return next((reader for reader in READERS if reader.any_named), None)
    return None


def read(kind: str, path: str | Path, budget: int | None = None) -> Any:
    """Read `path` with the reader of `kind` (as stored in a benchmark cell)."""
    for reader in READERS:
        if reader.kind == kind:
            return reader.read(Path(path), budget=budget)
    raise ValueError(f"unknown instance kind {kind!r}; known: {', '.join(r.kind for r in READERS)}")


def load(source: str | Path, *, budget: int | None = None) -> Any:
    """The SelectionProblem or Scenario that `source` names: a QKP file, a bundle folder (or its
    scenario.toml), or a spec of one generated instance (`qkp:n=60,seed=1`, `alliance:n=60,seed=7`)."""
    text = str(source)
    if is_spec(text):
        kind, instances = parse_spec(text, where=f"bad instance spec {text!r}")
        if len(instances) != 1:
            raise SpecError(f"bad instance spec {text!r}: it names {len(instances)} instances; give one seed "
                            f"(seed=3), or run the range with `alliance bench run --instances {text}`")
        return generate(kind, instances[0])
    path = Path(text)
    if path.name == "scenario.toml" and path.is_file():      # a bundle given by its settings file
        path = path.parent
    if not path.exists():
        raise FileNotFoundError(f"{text}: no such file or folder (give a QKP file, a scenario bundle folder, "
                                f"or a spec like qkp:n=60,density=50,seed=1)")
    reader = reader_of(path)
    if reader is None:
        return READERS[0].read(path, budget=budget)   # a folder without scenario.toml: the bundle reader says why
    return reader.read(path, budget=budget)
