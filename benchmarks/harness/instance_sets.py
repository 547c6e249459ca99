"""Instance sets of a benchmark suite: named by a folder, a file, or a generator spec.

    ../shared/instances/qkp-standard       every QKP file in the folder (optima.csv there is the reference)
    path/to/instance.txt                   one QKP file (Billionnet-Soutif or edge-list)
    path/to/bundle                          a scenario bundle (a folder with scenario.toml)
    path/to/bundles                         a folder of scenario bundles
    "qkp-standard/jeu_100_*.txt"            the QKP files a pattern matches
    qkp:n=300,density=50,seeds=1-5         generated QKP instances (Gallo, Hammer & Simeone)
    alliance:n=200,seeds=1-10,levels=true  generated alliance scenarios
    collab:n=10000,seeds=1,budget_share=0.05   sparse collaboration-shaped QKP

An `InstanceRef` is a small JSON-able description that the worker process loads
on its own, so instances never travel between processes as pickles.
"""

from __future__ import annotations

import csv
import glob
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from instances.errors import SpecError
from instances.readers import READERS, Reader, read, reader_of
from instances.specs import generate, instance_name, is_spec, parse_spec
from optimizer.core.errors import AllianceError


class SuiteError(AllianceError, ValueError):
    """A suite, instance set or reference file that cannot be used as written."""


@dataclass(frozen=True)
class InstanceRef:
    """One instance of a set: how to load it, and the names results are stored under."""

    set: str
    name: str
    kind: str                       # "file", "bundle", "qkp", "alliance", "collab"
    args: dict = field(default_factory=dict, hash=False, compare=False)

    def to_dict(self) -> dict:
        """JSON-able form, sent to the worker process."""
        return {"set": self.set, "name": self.name, "kind": self.kind, "args": dict(self.args)}

    @classmethod
    def from_dict(cls, data: dict) -> InstanceRef:
        """Inverse of `to_dict`."""
        return cls(data["set"], data["name"], data["kind"], dict(data.get("args", {})))

    @property
    def identity(self) -> dict:
        """What the instance is, however its set was typed: the resolved path of a file or bundle
        (symbolic links followed), or a generator and its arguments. Cell keys are built on it,
        so `cd S && bench run suite.toml` and `bench run /abs/S/suite.toml` name the same cells."""
        if self.kind in ("file", "bundle"):
            return {self.kind: str(Path(self.args["path"]).resolve()),
                    **({"budget": self.args["budget"]} if self.args.get("budget") is not None else {})}
        return {self.kind: {k: self.args[k] for k in sorted(self.args)}}

    @property
    def path(self) -> Path | None:
        """The file or bundle folder, for instances read from disk."""
        return Path(self.args["path"]) if self.kind in ("file", "bundle") else None

    def load(self):
        """The SelectionProblem or Scenario this reference names (read through instances.readers.READERS)."""
        a = self.args
        if is_spec(self.kind + ":"):
            return generate(self.kind, a)
        try:
            return read(self.kind, a["path"], budget=a.get("budget"))
        except ValueError as exc:
            if self.kind not in {r.kind for r in READERS}:
                raise SuiteError(f"instance {self.name!r}: {exc}") from None
            raise


def _generated(spec: str) -> list[InstanceRef]:
    try:
        kind, instances = parse_spec(spec, where=f"instance set {spec!r}")
    except SpecError as exc:
        raise SuiteError(str(exc)) from None
    return [InstanceRef(spec, instance_name(kind, args), kind, args) for args in instances]


def resolve(spec: str) -> list[InstanceRef]:
    """Every instance of the set named by `spec` (see the module docstring), in a stable order."""
    spec = str(spec).strip()
    if is_spec(spec):
        return _generated(spec)
    if any(ch in spec for ch in "*?["):
        matches = sorted((Path(p) for p in glob.glob(spec)), key=_natural)
        # each match read by its own format (a bundle folder, a QKP file, ...), as if named alone
        refs = [_ref(spec, p, reader) for p in matches if (reader := reader_of(p)) is not None]
        if not refs:
            raise SuiteError(f"instance set {spec!r}: the pattern matches no instance files or bundles")
        return refs
    path = Path(spec)
    try:
        exists = path.exists()
    except OSError as exc:      # a name too long for the file system, ...
        raise SuiteError(f"instance set {spec!r}: cannot be used as a path ({exc.strerror or exc}); give a folder "
                         f"of QKP files, a QKP file, a scenario bundle, or a spec like "
                         f"qkp:n=300,density=50,seeds=1-5") from None
    if not exists:
        raise SuiteError(f"instance set {spec!r}: no such file or folder; give a folder of QKP files, a QKP file, "
                         f"a scenario bundle, or a spec like qkp:n=300,density=50,seeds=1-5")
    set_name = spec  # as the user wrote it: `bench report` finds optima.csv beside it again
    named = reader_of(path)
    if named is not None:               # a file, or a bundle folder
        return [_ref(set_name, path, named)]
    # a folder of instances: every entry a reader takes in a scan (bundles first, then files in natural order)
    found = [(p, reader_of(p, named=False)) for p in sorted(path.iterdir(), key=_natural)]
    refs = [_ref(set_name, p, r) for p, r in found if r is not None and r.folder]
    refs += [_ref(set_name, p, r) for p, r in found if r is not None and not r.folder]
    if not refs:
        suffixes = ", ".join(s for r in READERS if not r.folder for s in r.suffixes)
        raise SuiteError(f"instance set {spec!r}: the folder holds no QKP files ({suffixes}) "
                         f"and no scenario bundles (folders with scenario.toml)")
    return refs


def _ref(set_name: str, path: Path, reader: Reader) -> InstanceRef:
    return InstanceRef(set_name, path.name if reader.folder else path.stem, reader.kind, {"path": str(path.resolve())})


def _natural(p: Path) -> tuple:
    """jeu_100_25_2 before jeu_100_25_10."""
    return tuple(int(t) if t.isdigit() else t for t in p.stem.replace("-", "_").split("_"))


def read_reference(path: str | Path) -> dict[str, float]:
    """Known optima or best-known values: a CSV with an `instance` column and a value column
    (`value`, `optimum` or `best_known`, first found).

    Errors are :class:`SuiteError` naming the file, the line and the column, and what is expected."""
    path = Path(path)
    accepted = "expected a CSV with a header line such as instance,value and one line per instance"
    line = 0                    # the last line read whole (a CSV error is on the next one)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:   # a spreadsheet's "CSV UTF-8" starts with a BOM
            reader = csv.DictReader(fh)
            columns = [c for c in reader.fieldnames or [] if c is not None]
            line = reader.line_num
            if "instance" not in columns:
                raise SuiteError(f"{path}, line 1: reference CSV needs an 'instance' column; found "
                                 f"{', '.join(map(repr, columns)) or 'none'}; {accepted}")
            value_col = next((c for c in ("value", "optimum", "best_known") if c in columns), None)
            if value_col is None:
                raise SuiteError(f"{path}, line 1: reference CSV needs a value column named value, optimum or "
                                 f"best_known; found {', '.join(map(repr, columns))}")
            out: dict[str, float] = {}
            first_line: dict[str, int] = {}
            for row in reader:
                line = reader.line_num   # the line the row ends on (a quoted cell may hold line breaks)
                if not any((v or "").strip() for k, v in row.items() if k is not None):
                    continue             # a blank line
                cell = row[value_col]
                if cell is None:
                    raise SuiteError(f"{path}, line {line}: column {value_col!r} is missing (the line has fewer "
                                     f"cells than the header); expected a number such as 1234.5")
                try:
                    value = float(cell)
                except ValueError:
                    raise SuiteError(f"{path}, line {line}: column {value_col!r}: {value_col}={cell!r} is not a "
                                     f"number; expected a number such as 1234.5") from None
                if not math.isfinite(value):
                    raise SuiteError(f"{path}, line {line}: column {value_col!r}: {value_col}={cell!r} is not a "
                                     f"finite number; expected a number such as 1234.5")
                name = (row["instance"] or "").strip()
                if not name:
                    raise SuiteError(f"{path}, line {line}: column 'instance': empty instance name; expected the "
                                     f"instance's name, e.g. jeu_100_25_1 (its file name without the ending)")
                if name in out and out[name] != value:
                    raise SuiteError(f"{path}, line {line}: instance {name!r} listed twice with different values "
                                     f"({out[name]:g} on line {first_line[name]}, {value:g} here); keep one line "
                                     f"per instance")
                out[name] = value
                first_line.setdefault(name, line)
            return out
    except SuiteError:
        raise
    except csv.Error as exc:
        raise SuiteError(f"{path}, line {line + 1}: not readable as CSV ({exc}); {accepted}") from None
    except UnicodeDecodeError:
        raise SuiteError(f"{path}: the reference file is not text (expected a CSV of instance,value saved as "
                         f"UTF-8)") from None
    except (OSError, ValueError) as exc:   # ValueError: a NUL character in the name
        raise SuiteError(f"{path}: cannot read the reference file ({getattr(exc, 'strerror', None) or exc}); "
                         f"{accepted}") from None


def folder_reference(spec: str) -> dict[str, float]:
    """The `optima.csv` files beside the instances of a set typed as `spec` (a folder, a file, a
    pattern), merged; generated sets and sets that no longer resolve have none."""
    if is_spec(spec):
        return {}
    try:
        refs = resolve(spec)
    except SuiteError:      # a set that moved or vanished since it was run: no reference, not an error
        return {}
    return references_beside(ref.path for ref in refs if ref.path is not None)


def references_beside(paths: Iterable[str | Path]) -> dict[str, float]:
    """Known values from the `optima.csv` in each folder that holds one of `paths` (instance files or
    bundle folders), merged; the shared QKP folders have one. Each folder's file is read once."""
    out: dict[str, float] = {}
    for folder in dict.fromkeys(Path(p).parent for p in paths):
        if (folder / "optima.csv").is_file():
            out.update(read_reference(folder / "optima.csv"))
    return out
