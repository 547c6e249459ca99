"""Scenario bundles: a folder with ``scenario.toml``, ``candidates.csv`` and optional ``pairs.csv``.

People fill a bundle in with a spreadsheet and a text editor, so the reader
checks everything the :class:`~optimizer.domain.scenario.Scenario` constructor checks
(and a few things the compiler would only find later) *before* building the
scenario, and every complaint names the file, the line or spreadsheet row, the
column or TOML key, and what was expected. The layout is documented in
``docs/scenario-format.md``.

Typing of table columns, so that :func:`write_scenario` then
:func:`read_scenario` gives back equal DataFrames:

* text columns (id, name, region, country, industry, levels, pair a/b) are
  strings, kept verbatim (a blank cell is the empty string);
* flags (foreign, pair conflict) are booleans, written ``true``/``false`` and
  read from true/false/1/0/yes/no in any case;
* number columns are int64 when every cell is a whole number written without
  a decimal point, float64 otherwise; floats are written with ``repr`` so they
  read back bit for bit;
* any other column is typed by its content: all true/false -> bool, all whole
  numbers -> int64, all numbers (blanks = NaN) -> float64, otherwise text.

Nothing is read with pickle or eval: TOML goes through :mod:`tomllib`, CSV
through :mod:`csv`, numbers through a regular expression and ``float``/``int``.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import io
import json
import math
import os
import re
import secrets
import shutil
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd
import tomli_w

from instances.errors import BundleWriteError, InstanceFormatError, require_existing
from optimizer.core.errors import ProblemError
from optimizer.core.files import replace_files, write_text
from optimizer.core.problem import LARGEST_VALUE
from optimizer.domain.scenario import Scenario
from optimizer.domain.scoring import Scoring
from optimizer.domain.settings import (
    GROUP_KEYS,
    PAIR_COLUMNS,
    REQUIRED_COLUMNS,
    Focal,
    ForeignValue,
    Level,
    Peers,
    Policy,
    Strategy,
)

SCENARIO_FILE = "scenario.toml"
CANDIDATES_FILE = "candidates.csv"
PAIRS_FILE = "pairs.csv"

#: accepted keys per TOML table (limits, profile, weights, caps and policy tables take free keys)
TOP_KEYS = ("name", "focal", "limits", "strategy", "peers", "policy", "constraints", "levels", "foreign_value",
            "scoring")
FOCAL_KEYS = ("name", "region", "country", "diffusion", "tech_change", "profile")
STRATEGY_KEYS = ("reputation_weight", "breadth", "domain_weights")
PEERS_KEYS = ("size_min", "size_max", "foreign_share_min", "foreign_share_max")
POLICY_KEYS = ("subsidies", "bonus")
CONSTRAINT_KEYS = ("mandatory", "excluded", "required_domains", "region_caps")
LEVEL_KEYS = ("name", "gain", "strong", "use")
FOREIGN_VALUE_KEYS = ("breakpoints", "values")
SCORING_KEYS = tuple(f.name for f in dataclasses.fields(Scoring))

#: cell spellings of a flag (compared after strip + lower)
FLAG_VALUES = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}

_TEXT_COLUMNS = ("name", "region", "country", "industry", "levels")
_NONNEG_COLUMNS = ("endowment", "reputation", "coord_cost")
_PAIR_NUMBER_COLUMNS = ("rivalry", "synergy", "tie")

# Numbers in typed columns: plain decimal notation only (float() alone would take '1_000', ' nan', 'infinity').
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
# Columns of unknown meaning are typed only when the cells look like what the writer produces,
# so '007' or '1.50' stays text.
_CANON_INT = re.compile(r"[+-]?(?:0|[1-9]\d*)")
_CANON_FLOAT = re.compile(r"[+-]?(?:0|[1-9]\d*)(?:\.\d+)?(?:e[+-]?\d+)?|[+-]?inf|nan")
_INT64 = (-(2 ** 63), 2 ** 63 - 1)


def _int64(text: str, pattern: re.Pattern[str] = _INTEGER) -> int | None:
    """The int64 a cell spells, or None (checked on length first: int() refuses over 4300 digits)."""
    if len(text) > 21 or not pattern.fullmatch(text):
        return None
    value = int(text)
    return value if _INT64[0] <= value <= _INT64[1] else None

# The dtype pandas gives a column of Python strings (object in pandas 2, str in pandas 3):
# the reader uses it so its frames compare equal to frames the user built by hand.
_TEXT_DTYPE = pd.Series(["x"]).dtype


# ============================================================================ public API
def read_scenario(path: str | os.PathLike) -> Scenario:
    """Read a scenario bundle folder (``scenario.toml``, ``candidates.csv``, optional ``pairs.csv``).

    Raises :class:`InstanceFormatError` naming the file, the line or row, the
    column or key and what was expected, for any file that does not follow
    ``docs/scenario-format.md``.
    """
    folder = Path(path)
    require_existing(folder, "folder", "a scenario bundle folder",
                     missing=f"a scenario bundle: a folder holding {SCENARIO_FILE} and {CANDIDATES_FILE} "
                             f"(and optionally {PAIRS_FILE})")
    if folder.is_file() and folder.name == SCENARIO_FILE:   # people pass the toml file too; take its folder
        folder = folder.parent
    if not folder.is_dir():
        raise InstanceFormatError(folder, f"is a file; expected a scenario bundle folder holding {SCENARIO_FILE} "
                                          f"and {CANDIDATES_FILE}")
    for name in (SCENARIO_FILE, CANDIDATES_FILE):
        if not (folder / name).is_file():
            raise InstanceFormatError(folder / name, f"missing; a scenario bundle needs {SCENARIO_FILE} and "
                                                     f"{CANDIDATES_FILE} (pairs.csv is optional)")
    toml = _TomlFile(folder / SCENARIO_FILE)
    settings = toml.settings()
    candidates = _read_candidates(folder / CANDIDATES_FILE, settings)
    ids = candidates["id"].tolist()
    pairs = _read_pairs(folder / PAIRS_FILE, ids) if (folder / PAIRS_FILE).exists() else None
    toml.check_against_candidates(settings, candidates)
    try:
        return Scenario(candidates=candidates, pairs=pairs, **settings)
    except (ProblemError, ValueError) as exc:
        # Safety net: the checks above mirror the model's; if the model grows a new rule, the user
        # still gets an InstanceFormatError naming the file (and the TOML section when it can tell).
        toml.fail_model_error(folder, exc)


def write_scenario(scenario: Scenario, path: str | os.PathLike, *, overwrite: bool = False) -> None:
    """Write a scenario as a bundle folder that :func:`read_scenario` reads back equal.

    Every file is written under a temporary name first and renamed into place
    only when all are written, so a failure while writing leaves the previous
    bundle untouched; a new bundle appears with a single folder rename. An
    existing bundle (a folder with ``scenario.toml``) is
    replaced; a non-empty folder that is not a bundle is refused with
    :class:`BundleWriteError` unless ``overwrite=True``. A stale ``pairs.csv``
    is removed when the scenario has no pair table.
    """
    folder = Path(path)
    # Serialize everything first: a bad value fails here, before any file is touched.
    files = {CANDIDATES_FILE: _table_text(scenario.candidates)}
    if scenario.pairs is not None:
        files[PAIRS_FILE] = _table_text(scenario.pairs)
    files[SCENARIO_FILE] = _settings_text(scenario)    # last: renamed last, so it marks a complete bundle
    if folder.exists():
        if not folder.is_dir():
            raise BundleWriteError(f"{folder}: is a file; write_scenario writes a bundle folder")
        is_bundle = (folder / SCENARIO_FILE).is_file()
        if not is_bundle and not overwrite and any(folder.iterdir()):
            raise BundleWriteError(
                f"{folder}: folder is not empty and is not a scenario bundle (no {SCENARIO_FILE}); "
                f"pass overwrite=True to write the bundle files into it anyway")
        replace_files({folder / name: text for name, text in files.items()},
                      remove=() if scenario.pairs is not None else (folder / PAIRS_FILE,))
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    # A new bundle is built in a hidden sibling folder and renamed in one step.
    tmp = folder.parent / f".{folder.name}.{secrets.token_hex(4)}.tmp"
    os.mkdir(tmp)
    try:
        for name, text in files.items():
            write_text(tmp / name, text)
        os.rename(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:      # a folder named like the file, no permission, ...
        raise InstanceFormatError(path, f"cannot be read ({exc.strerror or exc}); expected a file") from None


# ============================================================================ TOML: reading
def _huge_integer(path: Path, text: str) -> InstanceFormatError:
    """The error for a TOML text that tomllib refuses with a plain ValueError: an integer too long for int()."""
    m = re.search(r"[0-9][0-9_]{999,}", text)     # only decimal integers have the limit
    line = text.count("\n", 0, m.start()) + 1 if m else None
    return InstanceFormatError(path, "a number of thousands of digits; expected numbers of ordinary size "
                                     "(a whole number fits in 19 digits)", line=line)


_BARE = r"[A-Za-z0-9_-]+"
_KEY_PART = rf"(?:{_BARE}|\"(?:[^\"\\]|\\.)*\"|'[^']*')"
_DOTTED = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_KEY_LINE = re.compile(rf"\s*({_DOTTED})\s*=")
_TABLE_LINE = re.compile(rf"\s*\[\s*({_DOTTED})\s*\]")
_AOT_LINE = re.compile(rf"\s*\[\[\s*({_DOTTED})\s*\]\]")
_PART = re.compile(_KEY_PART)

KeyPath = tuple[Any, ...]   # strings for keys, ints for [[array]] entries (0-based)


def _split_key(dotted: str) -> tuple[str, ...]:
    parts = []
    for m in _PART.finditer(dotted):
        p = m.group(0)
        if p.startswith('"'):
            try:
                p = json.loads(p)       # TOML basic-string escapes are JSON's (enough to locate a key)
            except ValueError:
                p = p[1:-1]
        elif p.startswith("'"):
            p = p[1:-1]
        parts.append(p)
    return tuple(parts)


def _show_key(path: KeyPath) -> str:
    """Dotted key as a user would write it; [[array]] entries 1-based, e.g. levels[2].gain."""
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p + 1}]"
        else:
            part = p if re.fullmatch(_BARE, p) else json.dumps(p, ensure_ascii=False)
            out += ("." if out else "") + part
    return out


class _KeyLines:
    """Where each key of a TOML text is (tomllib gives values, not positions).

    A line scanner that follows [table] and [[array]] headers and dotted keys;
    good enough to point a user at a line, which is all it is used for.
    """

    def __init__(self, text: str) -> None:
        self.line_of_key: dict[KeyPath, int] = {}
        self.table_of_line: dict[int, KeyPath] = {}
        counts: dict[KeyPath, int] = {}
        current: KeyPath = ()
        open_quote: str | None = None
        for no, raw in enumerate(text.splitlines(), start=1):
            self.table_of_line[no] = current
            if open_quote:                       # inside a multi-line string: nothing here is a key
                if raw.count(open_quote) % 2 == 1:
                    open_quote = None
                continue
            if m := _AOT_LINE.match(raw):
                parts = _split_key(m.group(1))
                base = self._resolve(parts[:-1], counts) + (parts[-1],)
                counts[base] = counts.get(base, 0) + 1
                current = base + (counts[base] - 1,)
                self.line_of_key.setdefault(base, no)
                self.line_of_key.setdefault(current, no)
            elif m := _TABLE_LINE.match(raw):
                current = self._resolve(_split_key(m.group(1)), counts)
                self.line_of_key.setdefault(current, no)
            elif m := _KEY_LINE.match(raw):
                parts = _split_key(m.group(1))
                for k in range(1, len(parts) + 1):
                    self.line_of_key.setdefault(current + parts[:k], no)
                rest = raw[m.end():]
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        open_quote = quote
                        break

    @staticmethod
    def _resolve(parts: tuple[str, ...], counts: dict[KeyPath, int]) -> KeyPath:
        path: KeyPath = ()
        for p in parts:
            path += (p,)
            if path in counts:                   # a [[array]]: its sub-tables belong to the last entry
                path += (counts[path] - 1,)
        return path

    def line(self, path: KeyPath) -> int | None:
        """Line of a key, or of the nearest enclosing table that appears in the text."""
        for k in range(len(path), 0, -1):
            if path[:k] in self.line_of_key:
                return self.line_of_key[path[:k]]
        return None

    def key_on_line(self, line: int, text_line: str) -> str | None:
        m = _KEY_LINE.match(text_line)
        if not m:
            return None
        return _show_key(self.table_of_line.get(line, ()) + _split_key(m.group(1)))


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return f"the date/time {value}"


def _range_text(low: float | None, high: float | None, low_open: bool = False) -> str:
    if low is not None and high is not None:
        return f" in {'(' if low_open else '['}{low:g}, {high:g}]"
    if low is not None:
        return f" {'>' if low_open else '>='} {low:g}"
    return ""


class _TomlFile:
    """scenario.toml: parse, check every key and value, and report errors with line and key."""

    #: words of the parse errors, set per kind of file
    SYNTAX = "TOML syntax error"
    HINT = "see docs/scenario-format.md"
    UTF8 = "save the file as UTF-8"

    def __init__(self, path: Path) -> None:
        self.path = path
        data = _read_bytes(path)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InstanceFormatError(path, f"not UTF-8 text (byte {exc.start}); {self.UTF8}",
                                      line=data[:exc.start].count(b"\n") + 1) from None
        self.lines = _KeyLines(text)
        try:
            self.data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            msg = str(exc)
            m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
            reason = re.sub(r"\s*\(at [^)]*\)\s*$", "", msg)
            if m:
                line, col = int(m.group(1)), int(m.group(2))
                text_lines = text.splitlines()
                key = self.lines.key_on_line(line, text_lines[line - 1]) if line <= len(text_lines) else None
                raise InstanceFormatError(path, f"{self.SYNTAX}: {reason} (character {col} of the line); "
                                                f"{self.HINT}", line=line, key=key) from None
            raise InstanceFormatError(path, f"{self.SYNTAX}: {reason} (at the end of the file); {self.HINT}",
                                      line=text.count("\n") + 1) from None
        except ValueError:              # tomllib's int() refuses integers of over 4300 digits
            raise _huge_integer(path, text) from None

    # ------------------------------------------------------------------ reporting
    def fail(self, path: KeyPath, message: str) -> NoReturn:
        raise InstanceFormatError(self.path, message, line=self.lines.line(path), key=_show_key(path) or None)

    def check_keys(self, table: Mapping[str, Any], path: KeyPath, allowed: Sequence[str]) -> None:
        for key, value in table.items():
            if key not in allowed:
                where = f"[{_show_key(path)}]" if path else "the top level"
                what = "section" if isinstance(value, dict) and not path else "key"
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.fail(path + (key,), f"unknown {what} {key!r} in {where}{hint}; accepted keys: "
                                         f"{', '.join(allowed)}")

    # ------------------------------------------------------------------ typed getters
    def section(self, table: Mapping[str, Any], path: KeyPath, allowed: Sequence[str] | None = None) -> dict:
        """Sub-table path[-1] of table ({} when absent), with its keys checked against `allowed`."""
        value = table.get(path[-1], {})
        if not isinstance(value, dict):
            self.fail(path, f"expected a table [{_show_key(path)}], found {_describe(value)}")
        if allowed is not None:
            self.check_keys(value, path, allowed)
        return value

    def number(self, table: Mapping[str, Any], path: KeyPath, default: float, *, low: float | None = None,
               high: float | None = None, low_open: bool = False) -> float:
        if path[-1] not in table:
            return default
        return self._number(table[path[-1]], path, low, high, low_open)

    def _number(self, value: Any, path: KeyPath, low: float | None, high: float | None,
                low_open: bool = False) -> float:
        expected = f"expected a number{_range_text(low, high, low_open)}"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(path, f"{expected}, found {_describe(value)}")
        try:
            number = float(value)
        except OverflowError:           # TOML integers have no size limit; floats do
            self.fail(path, f"{expected}, found a whole number too large to compute with (over 300 digits)")
        if not math.isfinite(number):
            self.fail(path, f"{expected}, found {value!r}")
        if abs(number) > LARGEST_VALUE:
            self.fail(path, f"{value!r} is too large to compute with: numbers are limited to +-{LARGEST_VALUE:g}; "
                            f"rescale (e.g. costs in thousands)")
        if (low is not None and (number < low or (low_open and number == low))) or (high is not None and number > high):
            self.fail(path, f"{value!r} is out of range; {expected}")
        return number

    def integer(self, table: Mapping[str, Any], path: KeyPath, default: int | None, *,
                low: int | None = 0) -> int | None:
        if path[-1] not in table:
            return default
        return self._integer(table[path[-1]], path, low)

    def _integer(self, value: Any, path: KeyPath, low: int | None) -> int:
        expected = f"expected a whole number{_range_text(low, None)}"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                (isinstance(value, float) and not value.is_integer()):
            self.fail(path, f"{expected}, found {_describe(value)}")
        if low is not None and value < low:
            self.fail(path, f"{value!r} is out of range; {expected}")
        if not _INT64[0] <= value <= _INT64[1]:
            self.fail(path, f"{value!r} is too large; {expected} and at most {_INT64[1]}")
        return int(value)

    def string(self, table: Mapping[str, Any], path: KeyPath, default: str) -> str:
        value = table.get(path[-1], default)
        if not isinstance(value, str):
            self.fail(path, f"expected a string in quotes, found {_describe(value)}")
        return value

    def boolean(self, table: Mapping[str, Any], path: KeyPath, default: bool) -> bool:
        value = table.get(path[-1], default)
        if not isinstance(value, bool):
            self.fail(path, f"expected true or false, found {_describe(value)}")
        return value

    def strings(self, table: Mapping[str, Any], path: KeyPath) -> tuple[str, ...]:
        value = table.get(path[-1], [])
        if not isinstance(value, list):
            self.fail(path, f"expected an array of strings like [\"a\", \"b\"], found {_describe(value)}")
        for v in value:
            if not isinstance(v, str):
                self.fail(path, f"expected an array of strings like [\"a\", \"b\"], found {_describe(v)} in it")
        return tuple(value)

    def numbers(self, table: Mapping[str, Any], path: KeyPath) -> tuple[float, ...]:
        if path[-1] not in table:
            self.fail(path, "missing; expected an array of numbers like [0, 1, 2]")
        value = table[path[-1]]
        if not isinstance(value, list):
            self.fail(path, f"expected an array of numbers like [0, 1, 2], found {_describe(value)}")
        return tuple(self._number(v, path, None, None) for v in value)

    def number_map(self, table: Mapping[str, Any], path: KeyPath, *, low: float | None = None,
                   high: float | None = None) -> dict[str, float]:
        sub = self.section(table, path)
        return {k: self._number(v, path + (k,), low, high) for k, v in sub.items()}

    def integer_map(self, table: Mapping[str, Any], path: KeyPath) -> dict[str, int]:
        sub = self.section(table, path)
        return {k: self._integer(v, path + (k,), 0) for k, v in sub.items()}

    # ------------------------------------------------------------------ the schema
    def settings(self) -> dict[str, Any]:
        """Every Scenario field but the tables, checked as far as the TOML alone allows."""
        top = self.data
        self.check_keys(top, (), TOP_KEYS)
        out: dict[str, Any] = {"name": self.string(top, ("name",), "scenario")}

        f = self.section(top, ("focal",), FOCAL_KEYS)
        if "profile" not in f:
            self.fail(("focal", "profile"), "missing; [focal.profile] is required: one key per knowledge domain "
                                            "with the focal cluster's level in [0, 1], e.g. software = 0.4")
        profile = self.number_map(f, ("focal", "profile"), low=0, high=1)
        defaults = Focal()
        out["focal"] = Focal(
            name=self.string(f, ("focal", "name"), defaults.name),
            region=self.string(f, ("focal", "region"), defaults.region),
            country=self.string(f, ("focal", "country"), defaults.country),
            profile=profile,
            diffusion=self.number(f, ("focal", "diffusion"), defaults.diffusion, low=0, high=1, low_open=True),
            tech_change=self.number(f, ("focal", "tech_change"), defaults.tech_change, low=0))
        domains = tuple(profile)

        limits = self.number_map(top, ("limits",), low=0)
        out["limits"] = limits

        s = self.section(top, ("strategy",), STRATEGY_KEYS)
        weights = self.number_map(s, ("strategy", "domain_weights"))
        for d in weights:
            if d not in domains:
                self.fail(("strategy", "domain_weights", d),
                          f"unknown domain {d!r}; the domains are the keys of [focal.profile]: {', '.join(domains)}")
        sd = Strategy()
        out["strategy"] = Strategy(
            domain_weights=weights,
            reputation_weight=self.number(s, ("strategy", "reputation_weight"), sd.reputation_weight),
            breadth=self.number(s, ("strategy", "breadth"), sd.breadth, low=0, high=1))

        p = self.section(top, ("peers",), PEERS_KEYS)
        pd_ = Peers()
        share_min = self.number(p, ("peers", "foreign_share_min"), pd_.foreign_share_min, low=0, high=1)
        share_max = self.number(p, ("peers", "foreign_share_max"), pd_.foreign_share_max, low=0, high=1)
        if share_min > share_max:
            self.fail(("peers", "foreign_share_max"), f"{share_max!r} is below foreign_share_min = {share_min!r}; "
                                                      f"expected foreign_share_min <= foreign_share_max")
        size_min = self.integer(p, ("peers", "size_min"), pd_.size_min)
        size_max = self.integer(p, ("peers", "size_max"), pd_.size_max)
        if size_max is not None and size_min > size_max:
            self.fail(("peers", "size_max"), f"{size_max!r} is below size_min = {size_min!r}; expected "
                                             f"size_min <= size_max")
        out["peers"] = Peers(size_min=size_min, size_max=size_max, foreign_share_min=share_min,
                             foreign_share_max=share_max)

        pol = self.section(top, ("policy",), POLICY_KEYS)
        out["policy"] = Policy(subsidies=self.number_map(pol, ("policy", "subsidies"), low=0, high=1),
                               bonus=self.number_map(pol, ("policy", "bonus")))
        if out["policy"].subsidies and "budget" not in limits:
            self.fail(("policy", "subsidies"), "subsidies pay a share of the 'budget' cost, but [limits] has no "
                                               "budget; add budget = <limit> to [limits]")

        c = self.section(top, ("constraints",), CONSTRAINT_KEYS)
        out["mandatory"] = self.strings(c, ("constraints", "mandatory"))
        out["excluded"] = self.strings(c, ("constraints", "excluded"))
        both = [cid for cid in out["excluded"] if cid in out["mandatory"]]
        if both:
            self.fail(("constraints", "excluded"), f"{both[0]!r} is also in mandatory; a candidate cannot be both")
        out["required_domains"] = self.strings(c, ("constraints", "required_domains"))
        for d in out["required_domains"]:
            if d not in domains:
                self.fail(("constraints", "required_domains"),
                          f"unknown domain {d!r}; the domains are the keys of [focal.profile]: {', '.join(domains)}")
        out["region_caps"] = self.integer_map(c, ("constraints", "region_caps"))

        out["levels"] = self._levels(top, limits)

        if "foreign_value" in top:
            fv = self.section(top, ("foreign_value",), FOREIGN_VALUE_KEYS)
            bp = self.numbers(fv, ("foreign_value", "breakpoints"))
            val = self.numbers(fv, ("foreign_value", "values"))
            if len(bp) < 2 or any(b2 <= b1 for b1, b2 in zip(bp, bp[1:])) or bp[0] != 0:
                self.fail(("foreign_value", "breakpoints"), "expected at least two numbers starting at 0 and "
                                                            f"increasing strictly, found {list(bp)}")
            if len(val) != len(bp):
                self.fail(("foreign_value", "values"), f"expected one value per breakpoint ({len(bp)}), "
                                                       f"found {len(val)}")
            if val[0] != 0:
                self.fail(("foreign_value", "values"), f"the first value is {val[0]!r}; the value with no foreign "
                                                       f"partner is the baseline and must be 0")
            try:
                out["foreign_value"] = ForeignValue(bp, val)
            except ProblemError as exc:      # a rule added to the model later still gets file, line and key
                self.fail(("foreign_value",), str(exc))

        sc = self.section(top, ("scoring",), SCORING_KEYS)
        sdef = Scoring()
        values = {k: self.number(sc, ("scoring", k), getattr(sdef, k), low=0) for k in SCORING_KEYS}
        try:
            out["scoring"] = Scoring(**values)
        except ValueError as exc:            # a rule added to Scoring later still gets file, line and key
            m = re.match(r"scoring\.(\w+)", str(exc))
            self.fail(("scoring",) + ((m.group(1),) if m else ()), str(exc))
        return out

    def fail_model_error(self, folder: Path, exc: Exception) -> NoReturn:
        """Report a rule of the model the checks above do not mirror (yet) at the best place known."""
        msg = str(exc)
        head = re.match(r"[A-Za-z_]+", msg)
        word = head.group(0) if head else ""
        if word in TOP_KEYS:
            self.fail((word,), msg)
        if word in CONSTRAINT_KEYS:
            self.fail(("constraints", word), msg)
        if word in ("candidates", "pairs"):
            raise InstanceFormatError(folder / (CANDIDATES_FILE if word == "candidates" else PAIRS_FILE), msg)
        raise InstanceFormatError(folder, msg)

    def _levels(self, top: Mapping[str, Any], limits: Mapping[str, float]) -> tuple[Level, ...]:
        raw = top.get("levels", [])
        if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
            self.fail(("levels",), "expected [[levels]] tables (an array of tables), found "
                                   f"{_describe(raw)}" + (" holding other values" if isinstance(raw, list) else ""))
        levels: list[Level] = []
        for k, t in enumerate(raw):
            path = ("levels", k)
            self.check_keys(t, path, LEVEL_KEYS)
            if "name" not in t:
                self.fail(path, "missing key 'name'; every [[levels]] table needs a name, e.g. name = \"weak\"")
            name = self.string(t, path + ("name",), "")
            if not name.strip() or ";" in name:
                self.fail(path + ("name",), f"{name!r} is not a usable level name; expected a non-empty name "
                                            "without ';' (the levels column separates names by ';')")
            if any(lv.name == name for lv in levels):
                self.fail(path + ("name",), f"level {name!r} is defined twice; level names must be unique")
            use = self.number_map(t, path + ("use",), low=0)
            for r in use:
                if r not in limits:
                    self.fail(path + ("use", r), f"unknown resource {r!r}; resources are the keys of [limits]: "
                                                 f"{', '.join(limits) or '(none)'}")
            defaults = Level(name)
            levels.append(Level(name=name, gain=self.number(t, path + ("gain",), defaults.gain, low=0), use=use,
                                strong=self.boolean(t, path + ("strong",), defaults.strong)))
        return tuple(levels)

    def check_against_candidates(self, settings: Mapping[str, Any], candidates: pd.DataFrame) -> None:
        """Settings that name candidates, regions or groups must match candidates.csv."""
        ids = set(candidates["id"])
        for label in ("mandatory", "excluded"):
            for cid in settings[label]:
                if cid not in ids:
                    self.fail(("constraints", label), f"{cid!r} is not a candidate id in {CANDIDATES_FILE}")
        for table_name in ("subsidies", "bonus"):
            for key in getattr(settings["policy"], table_name):
                kind, sep, _ = key.partition(":")
                if key in ids or (sep and kind in GROUP_KEYS):
                    continue
                self.fail(("policy", table_name, key),
                          f"{key!r} is neither a candidate id in {CANDIDATES_FILE} nor a group key "
                          f"({', '.join(g + ':<value>' for g in GROUP_KEYS)})")
        # the compiler would reject a cap on a region without candidates; a typo is the likely cause
        regions = set(candidates["region"])
        for region in settings["region_caps"]:
            if region not in regions:
                self.fail(("constraints", "region_caps", region),
                          f"no candidate is in region {region!r}; regions in {CANDIDATES_FILE}: "
                          f"{', '.join(sorted(regions))}")
        # Two more rules the compiler enforces: checked here so a bundle that reads also compiles.
        subsidies = settings["policy"].subsidies
        if subsidies:
            total = np.zeros(len(candidates))
            for key, share in subsidies.items():
                total += share * self._policy_mask(key, candidates)
                over = np.flatnonzero(total > 1)
                if over.size:
                    self.fail(("policy", "subsidies", key),
                              f"candidate {candidates['id'].iloc[over[0]]!r} gets subsidies adding up to "
                              f"{total[over[0]]:g} with this key; a subsidy covers at most the whole cost (1)")
        threshold = settings["scoring"].coverage_threshold
        for d in settings["required_domains"]:
            if not (candidates[f"k_{d}"].to_numpy(dtype=float) >= threshold).any():
                self.fail(("constraints", "required_domains"),
                          f"no candidate covers required domain {d!r}: none has k_{d} >= {threshold:g} "
                          f"(scoring.coverage_threshold)")

    @staticmethod
    def _policy_mask(key: str, candidates: pd.DataFrame) -> np.ndarray:
        # the same rule as Scenario._policy_mask: group keys first, then candidate ids
        kind, sep, value = key.partition(":")
        if sep and kind in GROUP_KEYS:
            return (candidates[kind] == value).to_numpy()
        return (candidates["id"] == key).to_numpy()


# ============================================================================ CSV: reading
@dataclass
class _Record:
    row: int        # spreadsheet row (header = 1)
    line: int       # line in the file where the row starts
    cells: list[str]


class _Table:
    """A CSV file as rows of cells, with error reporting by row and column."""

    def __init__(self, path: Path) -> None:
        self.path = path
        data = _read_bytes(path)
        try:
            text = data.decode("utf-8-sig")    # Excel's "CSV UTF-8" starts with a byte order mark
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            raise InstanceFormatError(path, f"not UTF-8 text (byte {exc.start}); save it as CSV UTF-8",
                                      line=line, row=line) from None
        reader = csv.reader(io.StringIO(text, newline=""))
        records: list[_Record] = []
        end = 0
        try:
            for cells in reader:
                records.append(_Record(len(records) + 1, end + 1, cells))
                end = reader.line_num
        except csv.Error as exc:
            raise InstanceFormatError(path, f"not readable as CSV: {exc}", line=end + 1,
                                      row=len(records) + 1) from None
        if not records or not any(c.strip() for c in records[0].cells):
            raise InstanceFormatError(path, "the first row must be the header with the column names",
                                      line=1, row=1)
        header = [c.strip() for c in records[0].cells]
        if len(header) == 1:
            for sep, label in ((";", "semicolons"), ("\t", "tabs")):
                if sep in header[0]:
                    raise InstanceFormatError(path, f"the header is separated by {label}; save the table as "
                                                    f"comma-separated CSV", line=1, row=1)
        for k, name in enumerate(header):
            if not name:
                self.fail(records[0], f"#{k + 1}", "the column has no name in the header row")
            if name in header[:k]:
                self.fail(records[0], name, f"appears twice in the header (columns {header.index(name) + 1} "
                                            f"and {k + 1}); column names must be unique")
        self.header = header
        self.head = records[0]
        self.rows: list[_Record] = []
        for rec in records[1:]:
            if not any(c.strip() for c in rec.cells):   # empty lines and rows of empty cells
                continue
            if len(rec.cells) != len(header):
                short = len(rec.cells) < len(header)
                col = header[len(rec.cells)] if short else f"#{len(rec.cells)}"
                self.fail(rec, col, f"the row has {len(rec.cells)} cells but the header has {len(header)} columns, "
                                    + ("so nothing lines up under this column; a cell is missing" if short else
                                       "so this cell has no column; a cell is extra or a value holds an unquoted "
                                       "comma (quote it: \"a, b\")"))
            self.rows.append(rec)

    def fail(self, rec: _Record, column: str, message: str) -> NoReturn:
        raise InstanceFormatError(self.path, message, line=rec.line, row=rec.row, column=column)

    def header_fail(self, column: str, message: str) -> NoReturn:
        self.fail(self.head, column, message)

    def cells(self, column: str) -> list[tuple[_Record, str]]:
        k = self.header.index(column)
        return [(rec, rec.cells[k]) for rec in self.rows]

    # ------------------------------------------------------------------ typed columns
    def text(self, column: str) -> pd.Series:
        return _series([cell for _, cell in self.cells(column)], _TEXT_DTYPE)

    def ids(self, column: str, expected: str) -> list[str]:
        out = []
        for rec, cell in self.cells(column):
            if not cell.strip():
                self.fail(rec, column, f"empty; expected {expected}")
            out.append(cell)
        return out

    def flags(self, column: str, blank: bool | None = None) -> pd.Series:
        out = []
        for rec, cell in self.cells(column):
            t = cell.strip().lower()
            if not t and blank is not None:
                out.append(blank)
                continue
            if t not in FLAG_VALUES:
                self.fail(rec, column, f"{cell!r} is not a flag; expected true/false, yes/no or 1/0")
            out.append(FLAG_VALUES[t])
        return _series(out, np.dtype(bool))

    def numbers(self, column: str, *, low: float | None = 0, high: float | None = None,
                blank: int | None = None, what: str = "a number", limit: float = LARGEST_VALUE) -> pd.Series:
        """A numeric column; `limit` bounds the magnitude (math.inf for a column used only as a ratio)."""
        expected = f"expected {what}{_range_text(low, high)}"
        values: list[int | float] = []
        for rec, cell in self.cells(column):
            t = cell.strip()
            if not t and blank is not None:
                values.append(blank)
                continue
            if not t:
                self.fail(rec, column, f"empty; {expected}")
            as_int = _int64(t)
            if as_int is not None:
                v: int | float = as_int
            elif _NUMBER.fullmatch(t):
                v = float(t)
            else:
                hint = ""
                if _NUMBER.fullmatch(t.replace(",", ".", 1)):
                    hint = " (use a dot as the decimal separator)"
                self.fail(rec, column, f"{cell!r} is not a number{hint}; {expected}")
            if not math.isfinite(v):
                self.fail(rec, column, f"{cell!r} is not a finite number; {expected}")
            if low is not None and v < low:
                self.fail(rec, column, f"{cell!r} is {'negative' if low == 0 else 'too small'}; {expected}")
            if high is not None and v > high:
                self.fail(rec, column, f"{cell!r} is too large; {expected}")
            if abs(v) > limit:
                self.fail(rec, column, f"{cell!r} is too large to compute with: {what}s are limited to +-{limit:g}; "
                                       f"rescale the column (e.g. costs in thousands)")
            values.append(v)
        if values and all(isinstance(v, int) for v in values):   # an empty table gets float columns
            return _series(values, np.dtype(np.int64))
        return _series([float(v) for v in values], np.dtype(np.float64))

    def inferred(self, column: str) -> pd.Series:
        """A column of unknown meaning, typed by its content (see the module docstring)."""
        cells = [cell for _, cell in self.cells(column)]
        filled = [c for c in cells if c != ""]
        if filled and len(filled) == len(cells):
            if all(c.lower() in ("true", "false") for c in cells):
                return _series([c.lower() == "true" for c in cells], np.dtype(bool))
            ints = [_int64(c, _CANON_INT) for c in cells]
            if all(v is not None for v in ints):
                return _series(ints, np.dtype(np.int64))
        if filled and all(_CANON_FLOAT.fullmatch(c) for c in filled):
            return _series([float(c) if c else math.nan for c in cells], np.dtype(np.float64))
        return _series(cells, _TEXT_DTYPE)


def _series(values: list, dtype: Any) -> pd.Series:
    return pd.Series(values, dtype=dtype)


def _read_candidates(path: Path, settings: Mapping[str, Any]) -> pd.DataFrame:
    table = _Table(path)
    header = table.header
    domains = tuple(settings["focal"].profile)
    limits = settings["limits"]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        table.header_fail(missing[0], f"missing from the header; {CANDIDATES_FILE} needs the columns "
                                      f"{', '.join(REQUIRED_COLUMNS)}, k_<domain> per domain and "
                                      f"use_<resource> per limit (missing: {', '.join(missing)})")
    expected_k = [f"k_{d}" for d in domains]
    for col in header:
        if col.startswith("k_") and col not in expected_k:
            table.header_fail(col, f"profile column without a domain: [focal.profile] in {SCENARIO_FILE} has no "
                                   f"{col[2:]!r} (domains: {', '.join(domains) or 'none'}); rename the column or "
                                   f"add the domain")
    for col in expected_k:
        if col not in header:
            table.header_fail(col, f"missing from the header; [focal.profile] in {SCENARIO_FILE} has domain "
                                   f"{col[2:]!r}, so every candidate needs its knowledge level in column {col}")
    for r in limits:
        if f"use_{r}" not in header:
            table.header_fail(f"use_{r}", f"missing from the header; [limits] in {SCENARIO_FILE} has resource "
                                          f"{r!r}, so every candidate needs its use of it in column use_{r}")

    columns: dict[str, pd.Series] = {}
    for col in header:
        if col == "id":
            ids = table.ids(col, "the candidate's id (every candidate needs one)")
            first: dict[str, int] = {}
            for rec, cid in zip(table.rows, ids):
                if cid in first:
                    table.fail(rec, col, f"id {cid!r} already appears in row {first[cid]}; ids must be unique")
                first[cid] = rec.row
            columns[col] = _series(ids, _TEXT_DTYPE)
        elif col in _TEXT_COLUMNS:
            columns[col] = table.text(col)
        elif col == "foreign":
            columns[col] = table.flags(col)
        elif col == "endowment":  # only its ratio to the mean counts: any unit, any size
            columns[col] = table.numbers(col, low=0, limit=math.inf)
        elif col in _NONNEG_COLUMNS or (col.startswith("use_") and col[4:] in limits):
            columns[col] = table.numbers(col, low=0)
        elif col in expected_k:
            columns[col] = table.numbers(col, low=0, high=1, what="a knowledge level")
        else:
            columns[col] = table.inferred(col)
    if "levels" in header:
        _check_levels(table, [lv.name for lv in settings["levels"]])
    return pd.DataFrame(columns, columns=header)


def _check_levels(table: _Table, names: list[str]) -> None:
    for rec, cell in table.cells("levels"):
        tokens = [t.strip() for t in cell.split(";") if t.strip()]
        if tokens and not names:
            table.fail(rec, "levels", f"names level {tokens[0]!r} but {SCENARIO_FILE} defines no [[levels]]; "
                                      f"leave the cell blank or add the level")
        for k, t in enumerate(tokens):
            if t not in names:
                table.fail(rec, "levels", f"unknown level {t!r}; levels in {SCENARIO_FILE}: {', '.join(names)} "
                                          f"(separate several by ';', blank = all)")
            if t in tokens[:k]:
                table.fail(rec, "levels", f"level {t!r} is listed twice")


def _read_pairs(path: Path, ids: list[str]) -> pd.DataFrame:
    table = _Table(path)
    header = table.header
    for col in ("a", "b"):
        if col not in header:
            table.header_fail(col, f"missing from the header; {PAIRS_FILE} needs columns a and b (candidate ids) "
                                   f"and any of {', '.join(PAIR_COLUMNS[2:])}")
    for col in header:
        if col not in PAIR_COLUMNS:
            close = difflib.get_close_matches(col, PAIR_COLUMNS, n=1, cutoff=0.6)
            table.header_fail(col, "unknown column in the header" + (f" (did you mean {close[0]!r}?)" if close else "")
                                   + f"; {PAIRS_FILE} takes the columns {', '.join(PAIR_COLUMNS)}")
    known = set(ids)
    ends = {col: table.ids(col, f"a candidate id from {CANDIDATES_FILE}") for col in ("a", "b")}
    seen: dict[tuple[str, str], int] = {}
    for rec, a, b in zip(table.rows, ends["a"], ends["b"]):
        for col, cid in (("a", a), ("b", b)):
            if cid not in known:
                table.fail(rec, col, f"unknown candidate id {cid!r}; ids are the id column of {CANDIDATES_FILE}")
        if a == b:
            table.fail(rec, "b", f"pairs candidate {a!r} with itself; a pair needs two different candidate ids")
        key = (min(a, b), max(a, b))
        if key in seen:
            table.fail(rec, "a", f"the pair {a!r}-{b!r} (columns 'a' and 'b') already appears in row "
                                 f"{seen[key]}; give each pair once")
        seen[key] = rec.row
    columns: dict[str, pd.Series] = {}
    for col in header:
        if col in ("a", "b"):
            columns[col] = _series(ends[col], _TEXT_DTYPE)
        elif col == "conflict":
            columns[col] = table.flags(col, blank=False)
        else:   # rivalry, synergy, tie: a blank cell means none
            columns[col] = table.numbers(col, low=0, blank=0)
    return pd.DataFrame(columns, columns=header)


# ============================================================================ writing
def _number_out(v: Any) -> int | float:
    """A plain Python number for tomli_w (which does not know numpy scalars)."""
    if isinstance(v, (bool, np.bool_)):
        raise TypeError(f"expected a number, found the boolean {v!r}")
    if isinstance(v, (int, np.integer)):
        return int(v)
    return float(v)


def _settings_text(s: Scenario) -> str:
    f, st, p, pol = s.focal, s.strategy, s.peers, s.policy
    sections: list[dict[str, Any]] = [
        {"name": str(s.name)},
        {"focal": {"name": str(f.name), "region": str(f.region), "country": str(f.country),
                   "diffusion": float(f.diffusion), "tech_change": float(f.tech_change),
                   "profile": {str(d): float(v) for d, v in f.profile.items()}}},
        {"limits": {str(r): _number_out(v) for r, v in s.limits.items()}},
        {"strategy": {"reputation_weight": float(st.reputation_weight), "breadth": float(st.breadth),
                      "domain_weights": {str(d): float(v) for d, v in st.domain_weights.items()}}},
        {"peers": {"size_min": int(p.size_min),
                   **({} if p.size_max is None else {"size_max": int(p.size_max)}),
                   "foreign_share_min": float(p.foreign_share_min),
                   "foreign_share_max": float(p.foreign_share_max)}},
        {"policy": {"subsidies": {str(k): float(v) for k, v in pol.subsidies.items()},
                    "bonus": {str(k): float(v) for k, v in pol.bonus.items()}}},
        {"constraints": {"mandatory": [str(c) for c in s.mandatory], "excluded": [str(c) for c in s.excluded],
                         "required_domains": [str(d) for d in s.required_domains],
                         "region_caps": {str(r): int(v) for r, v in s.region_caps.items()}}},
    ]
    chunks = ["# Alliance portfolio scenario; the format is described in docs/scenario-format.md\n"]
    chunks += [tomli_w.dumps(sec) for sec in sections]
    # tomli_w writes short arrays of tables inline; people expect one [[levels]] block per level
    for lv in s.levels:
        block = "[[levels]]\n" + tomli_w.dumps({"name": str(lv.name), "gain": float(lv.gain),
                                                "strong": bool(lv.strong)})
        if lv.use:
            block += "\n[levels.use]\n" + tomli_w.dumps({str(r): float(v) for r, v in lv.use.items()})
        chunks.append(block)
    if s.foreign_value is not None:
        chunks.append(tomli_w.dumps({"foreign_value": {
            "breakpoints": [float(v) for v in s.foreign_value.breakpoints],
            "values": [float(v) for v in s.foreign_value.values]}}))
    chunks.append(tomli_w.dumps({"scoring": {k: float(getattr(s.scoring, k)) for k in SCORING_KEYS}}))
    return "\n".join(chunks)


def _quote(text: str) -> str:
    # Quote what a CSV reader would split or a spreadsheet would trim; csv.writer does not quote a lone
    # '\r' when the line ends are '\n', so quoting is done here.
    if any(ch in text for ch in ',"\r\n') or text != text.strip():
        return '"' + text.replace('"', '""') + '"'
    return text


def _is_missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, (float, np.floating)) and math.isnan(v))


def _cell_out(v: Any) -> str:
    if _is_missing(v):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))       # shortest text that reads back to the same double
    return str(v)


def _table_text(df: pd.DataFrame) -> str:
    lines = [",".join(_quote(str(c)) for c in df.columns)]
    columns = [df.iloc[:, k].tolist() for k in range(df.shape[1])]
    for row in zip(*columns):
        lines.append(",".join(_quote(_cell_out(v)) for v in row))
    return "\n".join(lines) + "\n"
