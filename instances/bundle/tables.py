"""candidates.csv and pairs.csv: read as typed DataFrames, every bad cell named by file, row and column.

See the typing rules in :mod:`instances.bundle`.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from instances.bundle.files import CANDIDATES_FILE, PAIRS_FILE, SCENARIO_FILE, UNCERTAINTY_FILE
from instances.errors import InstanceFormatError, read_bytes
from instances.toml_file import INT64_RANGE, range_text
from optimizer.core.problem import LARGEST_VALUE
from optimizer.domain.settings import PAIR_COLUMNS, REQUIRED_COLUMNS
from optimizer.domain.uncertainty import RANGE_COLUMNS

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


def _int64(text: str, pattern: re.Pattern[str] = _INTEGER) -> int | None:
    """The int64 a cell spells, or None (checked on length first: int() refuses over 4300 digits)."""
    if len(text) > 21 or not pattern.fullmatch(text):
        return None
    value = int(text)
    return value if INT64_RANGE[0] <= value <= INT64_RANGE[1] else None

# The dtype pandas gives a column of Python strings (object in pandas 2, str in pandas 3):
# the reader uses it so its frames compare equal to frames the user built by hand.
_TEXT_DTYPE = pd.Series(["x"]).dtype



@dataclass
class _Record:
    row: int        # spreadsheet row (header = 1)
    line: int       # line in the file where the row starts
    cells: list[str]


class _Table:
    """A CSV file as rows of cells, with error reporting by row and column."""

    def __init__(self, path: Path) -> None:
        self.path = path
        data = read_bytes(path)
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
                blank: int | None = None, what: str = "a number") -> pd.Series:
        """A numeric column, each value at most LARGEST_VALUE in magnitude."""
        expected = f"expected {what}{range_text(low, high)}"
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
            if abs(v) > LARGEST_VALUE:
                self.fail(rec, column, f"{cell!r} is too large to compute with: {what}s are limited to "
                                       f"+-{LARGEST_VALUE:g}; "
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


def read_candidates(path: Path, settings: Mapping[str, Any]) -> pd.DataFrame:
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


def read_ranges(path: Path) -> pd.DataFrame:
    """uncertainty.csv: one range [low, high] per candidate and column (checked against the table by the model)."""
    table = _Table(path)
    for col in table.header:
        if col not in RANGE_COLUMNS:
            table.header_fail(col, f"unknown column in the header; {UNCERTAINTY_FILE} takes the columns "
                                   f"{', '.join(RANGE_COLUMNS)}")
    for col in RANGE_COLUMNS:
        if col not in table.header:
            table.header_fail(col, f"missing from the header; {UNCERTAINTY_FILE} needs the columns "
                                   f"{', '.join(RANGE_COLUMNS)} (a candidate id, one of its number columns, and the "
                                   f"range its value lies in)")
    return pd.DataFrame({"id": _series(table.ids("id", f"a candidate id from {CANDIDATES_FILE}"), _TEXT_DTYPE),
                         "column": _series(table.ids("column", "a column of candidates.csv"), _TEXT_DTYPE),
                         "low": table.numbers("low", low=0), "high": table.numbers("high", low=0)},
                        columns=list(RANGE_COLUMNS))


def read_pairs(path: Path, ids: list[str]) -> pd.DataFrame:
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
