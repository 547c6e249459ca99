"""What one browser tab works on, without any web framework: the scenario it started from, the
settings and candidate table the user edits, the variants they saved, and bundles as zip files.

The page's controls are named by the changes `Scenario.variant` takes (``budget``,
``reputation_weight``, ``size_min``, ``domain_weights.energy``, ``subsidies``, ...), so the
engine's own checks judge every value, and a `ProblemError` comes back to the control it names
(`Session.scenario` returns the errors by control, never raises). Everything here is plain
Python, tested without a browser (tests/optimizer/app/).
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from instances.bundle import read_scenario, write_scenario
from instances.errors import InstanceFormatError
from optimizer.core.errors import ProblemError
from optimizer.core.files import write_bytes
from optimizer.domain.scenario import Scenario

#: the bundle's files a zip may hold (anything else in it is ignored)
BUNDLE_FILES = ("scenario.toml", "candidates.csv", "pairs.csv", "uncertainty.csv")
#: zips larger than this are refused before they are opened (a bundle of 5,000 candidates is ~1 MB)
MAX_ZIP_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Control:
    """One setting on the page: the variant change it sets, its label, and its range."""

    key: str                    # a Scenario.variant change (a limit's name, size_min, domain_weights.<d>, ...)
    label: str
    group: str                  # where it sits on the page: limits, strategy, peers, policy
    value: Any
    low: float | None = None
    high: float | None = None
    step: float | None = None
    text: bool = False          # a text field (subsidies) rather than a number


def controls(scenario: Scenario) -> list[Control]:
    """The controls for `scenario`, with its current values."""
    st, f, p = scenario.strategy, scenario.focal, scenario.peers
    out = [Control(r, f"{r} limit", "limits", float(v), 0.0) for r, v in scenario.limits.items()]
    out += [Control("reputation_weight", "reputation weight (P4)", "strategy", float(st.reputation_weight), 0.0),
            Control("reputation_bar", "reputation bar (blank: none)", "strategy",
                    None if st.reputation_bar is None else float(st.reputation_bar), 0.0),
            Control("breadth", "breadth (0 depth .. 1 breadth)", "strategy", float(st.breadth), 0.0, 1.0, 0.05),
            Control("tech_change", "rate of technological change (tau)", "strategy", float(f.tech_change), 0.0),
            Control("diffusion_factor", "ability to spread outcomes (delta)", "strategy", float(f.diffusion),
                    0.0, 1.0, 0.05)]
    out += [Control(f"domain_weights.{d}", f"weight of {d}", "strategy",
                    float(st.domain_weights.get(d, 1.0)), 0.0) for d in scenario.domains]
    out += [Control("size_min", "peers: fewest partners", "peers", int(p.size_min), 0, step=1),
            Control("size_max", "peers: most partners (blank: any)", "peers",
                    None if p.size_max is None else int(p.size_max), 0, step=1),
            Control("foreign_share_min", "peers: lowest foreign share", "peers", float(p.foreign_share_min), 0.0, 1.0,
                    0.05),
            Control("foreign_share_max", "peers: highest foreign share", "peers", float(p.foreign_share_max), 0.0,
                    1.0, 0.05),
            Control("subsidies", "subsidies (key=share; ...)", "policy", subsidy_text(scenario.policy.subsidies),
                    text=True)]
    return out


def subsidy_text(table: dict[str, float] | Any) -> str:
    """{'region:Latin America': 0.8} -> 'region:Latin America=0.8'."""
    return "; ".join(f"{k}={float(v):g}" for k, v in dict(table).items())


def parse_subsidies(text: str) -> dict[str, Any]:
    """'region:Latin America=0.8; C017=0.5' -> {...}; a part without '=' raises naming it."""
    out: dict[str, Any] = {}
    for part in (p.strip() for p in str(text or "").split(";")):
        if not part:
            continue
        key, sep, value = part.rpartition("=")
        if not sep or not key.strip():
            raise ProblemError(f"subsidies: {part!r} is not key=share (e.g. region:Latin America=0.8 or C017=0.5)",
                               where=("subsidies",))
        out[key.strip()] = value.strip()
    return out


def _typed_rows(rows: list[dict[str, Any]], like: pd.DataFrame) -> pd.DataFrame:
    """The grid's rows as a candidate table in the original's column order: number columns as floats
    where every cell reads as one; a cell that does not stays as typed, so the error quotes it."""
    table = pd.DataFrame(rows, columns=list(like.columns))
    for col in like.columns:
        if pd.api.types.is_numeric_dtype(like[col]) and not pd.api.types.is_bool_dtype(like[col]):
            values = [_number_or_text(v) for v in table[col]]
            table[col] = pd.Series(values, dtype=float if all(isinstance(v, float) for v in values) else object)
    return table


def _number_or_text(v: Any) -> Any:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    try:
        return float(str(v).strip())
    except ValueError:
        return v


@dataclass
class Session:
    """One tab's work: the scenario it started from, and the variants saved so far (name -> scenario)."""

    base: Scenario
    variants: dict[str, Scenario] = field(default_factory=dict)
    comparison: Any = None          # the last comparison of saved variants (for the report download)

    def scenario(self, values: dict[str, Any], rows: list[dict[str, Any]] | None = None,
                 name: str | None = None) -> tuple[Scenario | None, dict[str, str]]:
        """The base with the page's `values` (control key -> value) and edited candidate `rows`, and the
        errors by control key ('table' for the candidate grid); (None, errors) when any."""
        errors: dict[str, str] = {}
        base = self.base
        if rows is not None:
            try:
                base = base.replace(candidates=_typed_rows(rows, base.candidates))
            except ProblemError as exc:
                return None, {"table": str(exc)}
        changes: dict[str, Any] = {}
        weights: dict[str, Any] = {}
        for key, value in values.items():
            if key.startswith("domain_weights."):
                weights[key.split(".", 1)[1]] = value
            elif key == "subsidies":
                try:
                    changes["subsidies"] = parse_subsidies(value)
                except ProblemError as exc:
                    errors["subsidies"] = str(exc)
            elif value is None or (isinstance(value, str) and not value.strip()):
                if key in ("reputation_bar", "size_max"):
                    continue        # blank: no bar, no upper size (set below on the base)
                errors[key] = f"{key}: empty; give a number"
            else:
                changes[key] = value
        if weights:
            changes["domain_weights"] = weights
        if errors:
            return None, errors
        base = _cleared(base, values)
        try:
            return base.variant(name or base.name, **changes), {}
        except ProblemError as exc:
            return None, {_control_of(exc.where, values): str(exc)}

    def save(self, name: str, scenario: Scenario) -> str:
        """Keep `scenario` as variant `name` (replacing one of that name); the name, or a ProblemError."""
        name = str(name or "").strip()
        if not name:
            raise ProblemError("give the variant a name", where=("variant name",))
        self.variants[name] = scenario.replace(name=name)
        return name


def _cleared(base: Scenario, values: dict[str, Any]) -> Scenario:
    """The base without the settings a blank control or an edited table replaces outright (a variant merges
    subsidies into the base's and cannot unset a bar or a size cap)."""
    strategy, peers, policy = base.strategy, base.peers, base.policy
    if "reputation_bar" in values and values["reputation_bar"] in (None, ""):
        strategy = replace(strategy, reputation_bar=None)
    if "size_max" in values and values["size_max"] in (None, ""):
        peers = replace(peers, size_max=None)
    if "subsidies" in values:
        policy = replace(policy, subsidies={})
    return base.replace(strategy=strategy, peers=peers, policy=policy)


def _control_of(where: tuple[object, ...], values: dict[str, Any]) -> str:
    """The control a ProblemError's `where` points at ('table' for the candidates, '' for none)."""
    if not where:
        return ""
    head = str(where[0])
    if head == "candidates":
        return "table"
    if head == "domain_weights" and len(where) > 1:
        return f"domain_weights.{where[1]}"
    if head == "limits" and len(where) > 1:
        return str(where[1])
    return head if head in values or head == "subsidies" else ""


def bundle_zip(scenario: Scenario) -> bytes:
    """The scenario as a bundle in a zip (scenario.toml, candidates.csv, and pairs.csv / uncertainty.csv
    when it has them)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "bundle"
        write_scenario(scenario, folder)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in BUNDLE_FILES:
                if (folder / name).exists():
                    zf.write(folder / name, name)
        return out.getvalue()


def read_bundle_zip(data: bytes, name: str = "upload.zip") -> Scenario:
    """A scenario from a zip of a bundle's files (at its top or in one folder). An error names the file,
    row and column as the bundle reader does, with the zip's name in front."""
    if len(data) > MAX_ZIP_BYTES:
        raise InstanceFormatError(name, f"is {len(data) / 1e6:.0f} MB; a bundle zip may hold at most "
                                        f"{MAX_ZIP_BYTES / 1e6:.0f} MB")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InstanceFormatError(name, "is not a zip file; upload a zip of scenario.toml, candidates.csv and "
                                        "(optionally) pairs.csv") from None
    with zf, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / Path(name).stem
        folder.mkdir()
        found = 0
        for info in zf.infolist():
            member = PurePosixPath(info.filename)
            if info.is_dir() or member.name not in BUNDLE_FILES or len(member.parts) > 2:
                continue        # only the bundle's own files, at the top or one folder down; never a path out
            if info.file_size > MAX_ZIP_BYTES:
                raise InstanceFormatError(f"{name}/{info.filename}", "is too large for a bundle file")
            write_bytes(folder / member.name, zf.read(info))
            found += 1
        if not found:
            raise InstanceFormatError(name, f"holds none of {', '.join(BUNDLE_FILES)}; upload a zip of a "
                                            f"scenario bundle folder")
        try:
            return read_scenario(folder)
        except InstanceFormatError as exc:   # name the file inside the zip, not the temporary folder
            raise _renamed(exc, str(folder), name) from None


def _renamed(exc: InstanceFormatError, folder: str, name: str) -> InstanceFormatError:
    """The same error with the temporary folder replaced by the zip's name."""
    out = InstanceFormatError(exc.path.replace(folder, name), "")
    out.args = (str(exc).replace(folder, name),)
    out.line, out.row, out.column, out.key = exc.line, exc.row, exc.column, exc.key
    return out

