"""Comparison files: a base scenario bundle and named variants of it, compared side by side.

    base = "alliance-60"            # scenario bundle folder, relative to this file
    output = "comparison-report"    # report folder, relative to this file (default: <file stem>-report)
    include_base = true             # the base is compared too, first, under its own name
    base_name = "today"             # optional: the base's name in this comparison (default: its scenario.toml name)
    title = "Budget and strategy"   # optional: the report's title

    [solve]                         # options for optimizer.engine.solve
    time_limit = 60                 # time_limit, mip_gap, threads, seed, solver, formulation

    [what_it_takes]                 # optional: the what-it-takes section, for the base scenario
    candidates = ["C017", "C042"]   # optional: these candidates only (default: all)
    [robust]                        # optional: the robustness section, for the base scenario
    samples = 200                   # seed = 0, tail = 0.1; relative = { reputation = 0.2 } replaces
                                    # the base bundle's [uncertainty] shares

    [[variant]]
    name = "lean budget"            # every variant needs a name of its own
    scale_limits = { budget = 0.7 } # then any change Scenario.variant() accepts
    [[variant]]
    name = "reputation"
    reputation_weight = 3.0
    size_max = 4

:func:`read_comparison` checks the whole file before anything is solved and
raises :class:`~instances.errors.InstanceFormatError` naming the file, the
line, the key (``variant[2].size_max``), the variant's number and name, and
what would be accepted. A variant the model refuses (a size_min above the
base's size_max, a subsidy above 1, ...) is not solved: it is kept in
``ComparisonSpec.invalid`` with that message and shown as invalid beside the
others. A variant that is valid but leaves no feasible portfolio is solved and
reported as infeasible.

The report folder (``output``) must lie inside the comparison file's folder:
an absolute path, a ``..`` that climbs out of it or a symbolic link that
points out of it is refused, so a comparison file received from someone else
cannot make the tool write elsewhere. (A folder given on the command line
with ``--out`` is the user's own choice and is not restricted.)
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from instances.bundle import read_scenario
from instances.errors import InstanceFormatError, require_existing
from instances.toml_file import TomlFile, describe
from optimizer.core.errors import ProblemError
from optimizer.domain.scenario import Scenario
from optimizer.domain.uncertainty import Uncertainty
from optimizer.domain.variants import KNOWN as VARIANT_CHANGES

#: accepted top-level keys of a comparison file
COMPARISON_KEYS = ("base", "base_name", "output", "include_base", "title", "solve", "variant", "what_it_takes",
                   "robust")
#: accepted keys of [what_it_takes] and [robust] (options of what_it_takes and robustness)
WHAT_IT_TAKES_KEYS = ("candidates",)
ROBUST_KEYS = ("samples", "seed", "tail", "relative")
#: accepted keys of [solve] (options of optimizer.engine.solve)
SOLVE_KEYS = ("time_limit", "mip_gap", "threads", "seed", "solver", "formulation")
#: variant changes that Scenario.variant() passes on unchecked: typed here, with the line and key
_WHOLE_NUMBERS = ("size_min", "size_max")
_SHARES = ("foreign_share_min", "foreign_share_max")


@dataclass
class ComparisonSpec:
    """A comparison file, read and checked: the scenarios to compare and how to solve them."""

    base: Scenario
    variants: list[Scenario]          # in file order; the base first unless include_base = false
    #: variants the model refuses (size_min above size_max, ...): name -> the error with file, line and key;
    #: compared beside the others as invalid rather than stopping the comparison
    invalid: dict[str, str] = field(default_factory=dict)
    solve: dict[str, Any] = field(default_factory=dict)
    output: Path = Path("comparison-report")
    path: Path | None = None          # the comparison file
    title: str | None = None
    #: [what_it_takes] and [robust]: options of optimizer.analysis's what_it_takes and robustness for the
    #: base scenario, or None when the file does not ask for that section
    what_it_takes: dict[str, Any] | None = None
    robust: dict[str, Any] | None = None

    @property
    def names(self) -> list[str]:
        """Names of the scenarios to compare, in order."""
        return [sc.name for sc in self.variants]


def read_comparison(path: str | os.PathLike) -> ComparisonSpec:
    """Read and check a comparison file (see the module docstring); nothing is solved here."""
    toml = _ComparisonToml(Path(path))
    return toml.spec()


class _ComparisonToml(TomlFile):
    """The TOML reader of scenario bundles (typed getters, key lines), on a comparison file."""

    SYNTAX = "not a TOML file"
    HINT = "expected a comparison file in TOML"
    UTF8 = "expected a TOML comparison file saved as UTF-8"

    def __init__(self, path: Path) -> None:   # noqa: D107 - the file must exist before it is parsed
        require_existing(path, "file", "a comparison file (TOML)",
                         missing="a comparison file (TOML with base = \"<bundle folder>\" and [[variant]] tables)")
        if path.is_dir():
            raise InstanceFormatError(path, "is a folder; expected a comparison file (TOML with base = "
                                            "\"<bundle folder>\" and [[variant]] tables)")
        super().__init__(path)

    # ------------------------------------------------------------------ the schema
    def spec(self) -> ComparisonSpec:
        top = self.data
        self.check_keys(top, (), COMPARISON_KEYS)
        folder = self.path.parent
        base = self._base(top, folder)
        if "base_name" in top:
            name = self.string(top, ("base_name",), "")
            if not name.strip():
                self.fail(("base_name",), "is empty; expected the name the base scenario goes by in this "
                                          "comparison, e.g. base_name = \"today\"")
            base = base.replace(name=name)
        output = self._output(top, folder)
        include_base = self.boolean(top, ("include_base",), True)
        title = self.string(top, ("title",), "") or None
        solve = self._solve(top)
        variants, invalid = self._variants(top, base, include_base)
        return ComparisonSpec(base=base, variants=([base] if include_base else []) + variants, invalid=invalid,
                              solve=solve, output=output, path=self.path, title=title,
                              what_it_takes=self._what_it_takes(top, base), robust=self._robust(top, base))

    def _what_it_takes(self, top: dict, base: Scenario) -> dict[str, Any] | None:
        """[what_it_takes]: the candidates to measure (all when not given), each a candidate id of the base."""
        if "what_it_takes" not in top:
            return None
        t = self.section(top, ("what_it_takes",), WHAT_IT_TAKES_KEYS)
        if "candidates" not in t:
            return {}
        ids = self.strings(t, ("what_it_takes", "candidates"))
        for cid in ids:
            if cid not in set(base.ids):
                close = difflib.get_close_matches(cid, base.ids, n=1)
                self.fail(("what_it_takes", "candidates"), f"{cid!r} is not a candidate id of the base"
                          + (f" (did you mean {close[0]!r}?)" if close else ""))
        return {"candidates": ids}

    def _robust(self, top: dict, base: Scenario) -> dict[str, Any] | None:
        """[robust]: samples, seed, tail and the relative errors (else the base bundle's [uncertainty])."""
        if "robust" not in top:
            return None
        r = self.section(top, ("robust",), ROBUST_KEYS)
        out: dict[str, Any] = {"samples": self.integer(r, ("robust", "samples"), 200, low=1),
                               "seed": self.integer(r, ("robust", "seed"), 0, low=0),
                               "tail": self.number(r, ("robust", "tail"), 0.1, low=0, high=1, low_open=True)}
        uncertainty = base.uncertainty
        if "relative" in r:
            shares = self.number_map(r, ("robust", "relative"), low=0)
            uncertainty = Uncertainty(relative=shares, ranges=None if uncertainty is None else uncertainty.ranges)
            try:
                uncertainty.check(base.candidates, base.estimated_columns)
            except ProblemError as exc:
                key = exc.where[2] if len(exc.where) > 2 and exc.where[1] == "relative" else None
                self.fail(("robust", "relative") + ((str(key),) if key is not None else ()), str(exc))
        if uncertainty is None:
            self.fail(("robust",), "the base bundle has no [uncertainty] to sample; give the shares here, e.g. "
                                   "relative = { reputation = 0.2, \"k_*\" = 0.1 }")
        out["uncertainty"] = uncertainty
        return out

    def _base(self, top: dict, folder: Path) -> Scenario:
        if "base" not in top:
            self.fail_top("missing key 'base'; expected base = \"<scenario bundle folder>\" (relative to the "
                          "comparison file's folder), e.g. base = \"alliance-60\"")
        text = self.string(top, ("base",), "")
        if not text.strip():
            self.fail(("base",), "is empty; expected the path of a scenario bundle folder, e.g. base = \"alliance-60\"")
        try:
            resolved = (folder / Path(text).expanduser()).resolve()
            exists = resolved.exists()
        except (OSError, ValueError, RuntimeError) as exc:   # too long, a NUL character, ~nobody
            self.fail(("base",), f"{text!r} is not a usable folder name ({exc}); expected the path of a scenario "
                                 f"bundle folder, e.g. base = \"alliance-60\"")
        if not exists:
            self.fail(("base",), f"scenario bundle {text!r} not found (looked for {resolved}); expected a folder "
                                 f"holding scenario.toml and candidates.csv, relative to {folder.resolve()}")
        return read_scenario(resolved)    # a bad bundle: its own InstanceFormatError, naming its file

    def _output(self, top: dict, folder: Path) -> Path:
        default = f"{self.path.stem}-report"
        text = self.string(top, ("output",), default)
        if not text.strip() or Path(text) == Path("."):
            self.fail(("output",), f"{text!r} does not name a folder; expected a report folder inside "
                                   f"{folder.resolve()}, e.g. output = \"{default}\"")
        given = Path(text)
        if given.is_absolute() or text.startswith("~"):
            self.fail(("output",), f"{text!r} is an absolute path; the report folder must be inside the comparison "
                                   f"file's folder ({folder.resolve()}): give a relative path such as "
                                   f"output = \"{default}\" (or choose any folder with --out on the command line)")
        root = folder.resolve()
        try:
            resolved = (root / given).resolve()      # follows '..' and symbolic links
        except (OSError, ValueError) as exc:         # a NUL character, a loop of links
            self.fail(("output",), f"{text!r} is not a usable folder name ({exc}); expected a report folder "
                                   f"inside {root}, e.g. output = \"{default}\"")
        if resolved == root or not resolved.is_relative_to(root):
            self.fail(("output",), f"{text!r} leads out of the comparison file's folder (to {resolved}); the "
                                   f"report folder must be inside {root}: give a relative path without '..', "
                                   f"such as output = \"{default}\" (or choose any folder with --out on the "
                                   f"command line)")
        return resolved

    def _solve(self, top: dict) -> dict[str, Any]:
        s = self.section(top, ("solve",), SOLVE_KEYS)
        out: dict[str, Any] = {}
        if "time_limit" in s:
            out["time_limit"] = self.number(s, ("solve", "time_limit"), 0.0, low=0, low_open=True)
        if "mip_gap" in s:
            gap = self.number(s, ("solve", "mip_gap"), 0.0, low=0, high=1)
            if gap >= 1:
                self.fail(("solve", "mip_gap"), f"{s['mip_gap']!r} is out of range; expected a relative gap in "
                                                f"[0, 1), such as 0.001")
            out["mip_gap"] = gap
        if "threads" in s:
            out["threads"] = self.integer(s, ("solve", "threads"), None, low=1)
        if "seed" in s:
            out["seed"] = self.integer(s, ("solve", "seed"), 0, low=None)
        if "solver" in s:
            out["solver"] = self._solver_name(self.string(s, ("solve", "solver"), "auto"))
        if "formulation" in s:
            out["formulation"] = self._formulation(self.string(s, ("solve", "formulation"), "auto"))
        return out

    def _solver_name(self, name: str) -> str:
        from optimizer.core.errors import SolverUnavailableError
        from optimizer.solvers import parse_solver_name

        try:
            parse_solver_name(name)
        except SolverUnavailableError as exc:
            self.fail(("solve", "solver"), str(exc))
        return name

    def _formulation(self, name: str) -> str:
        import formulations

        known = ["auto", *formulations.REGISTRY]
        if name not in known:
            self.fail(("solve", "formulation"), f"unknown formulation {name!r}; expected one of {', '.join(known)}")
        return name

    def _variants(self, top: dict, base: Scenario, include_base: bool) -> tuple[list[Scenario], dict[str, str]]:
        raw = top.get("variant", [])
        if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
            self.fail(("variant",), f"expected [[variant]] tables (an array of tables, each with a name), found "
                                    f"{describe(raw)}" + (" holding other values" if isinstance(raw, list) else ""))
        if not raw:
            self.fail_top("no [[variant]] tables; expected at least one, e.g.\n"
                          "[[variant]]\nname = \"lean budget\"\nscale_limits = { budget = 0.7 }")
        used: dict[str, str] = {base.name: "the base scenario"} if include_base else {}
        out: list[Scenario] = []
        invalid: dict[str, str] = {}
        for k, table in enumerate(raw):
            path = ("variant", k)
            label = f"variant {k + 1}"
            if "name" not in table:
                self.fail(path, f"{label} has no name; give each [[variant]] a name = \"...\" of its own")
            name = table["name"]
            if not isinstance(name, str) or not name.strip():
                self.fail(path + ("name",), f"{label}: expected a non-empty name in quotes, found {describe(name)}")
            if name in used:
                self.fail(path + ("name",), f"{label} ({name!r}): the name is already used by {used[name]}; "
                                            f"give each variant a name of its own")
            used[name] = f"variant {k + 1}"
            self._check_fields(path, label, name, table, base)
            changes = {key: value for key, value in table.items() if key != "name"}
            self._check_types(path, label, name, changes)
            try:
                out.append(base.variant(name, **changes))
            except ProblemError as exc:
                # a rule of the model (size_min above the base's size_max, ...): this variant is invalid,
                # the others are still compared; its message keeps the file, line and key
                try:
                    self._variant_error(path, label, name, changes, exc)
                except InstanceFormatError as located:
                    invalid[name] = str(located)
            except (TypeError, ValueError) as exc:   # a value of the wrong type: the file itself is wrong
                self._variant_error(path, label, name, changes, exc)
        return out, invalid

    def _check_types(self, path: tuple, label: str, name: str, changes: dict) -> None:
        """Changes that Scenario.variant() passes on unchecked: their types, with the line and key."""
        for key, value in changes.items():
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if key in _WHOLE_NUMBERS:
                whole = isinstance(value, int) or (number and float(value).is_integer())   # float(): no huge ints
                if not (number and whole and value >= 0):
                    self.fail(path + (key,), f"{label} ({name!r}): expected a whole number >= 0, found "
                                             f"{describe(value)}")
                changes[key] = int(value)
            if key in _SHARES and not (number and 0 <= value <= 1):
                self.fail(path + (key,), f"{label} ({name!r}): expected a share in [0, 1], found {describe(value)}")

    def _variant_error(self, path: tuple, label: str, name: str, changes: dict, exc: Exception) -> NoReturn:
        """An error of Scenario.variant(), at the key its ``where`` names (the variant's table otherwise)."""
        msg = str(exc)
        prefix = f"variant {name!r}: "
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
        where = tuple(getattr(exc, "where", ()))
        self.fail(path + (where if where[:1] and where[0] in changes else ()), f"{label} ({name!r}): {msg}")

    def _check_fields(self, path: tuple, label: str, name: str, table: dict, base: Scenario) -> None:
        """Every key of a [[variant]] is a change Scenario.variant() knows (in a file they are fields)."""
        accepted = ["name", *base.limits, *VARIANT_CHANGES]
        for key in table:
            if key not in accepted:
                close = difflib.get_close_matches(key, accepted, n=1, cutoff=0.6)
                self.fail(path + (key,), f"{label} ({name!r}): unknown field {key!r}"
                                         + (f" (did you mean {close[0]!r}?)" if close else "")
                                         + f"; accepted fields of a [[variant]]: {', '.join(accepted)}")

    def fail_top(self, message: str) -> NoReturn:
        raise InstanceFormatError(self.path, message)


__all__ = ["COMPARISON_KEYS", "SOLVE_KEYS", "ComparisonSpec", "read_comparison"]
