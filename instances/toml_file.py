"""One TOML reader for the files people edit by hand: scenario.toml, comparison files and benchmark suites.

tomllib gives values, not positions, so :class:`KeyLines` scans the text for
the line of every key; :class:`TomlFile` parses a file and offers typed
getters (number in a range, whole number, string, flag, arrays, maps) whose
errors are :class:`~instances.errors.InstanceFormatError` naming the file, the
line, the dotted key and what was expected. Nothing is evaluated: TOML goes
through :mod:`tomllib`.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from instances.errors import InstanceFormatError, read_bytes
from optimizer.core.problem import LARGEST_VALUE

INT64_RANGE = (-(2 ** 63), 2 ** 63 - 1)


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


def split_key(dotted: str) -> tuple[str, ...]:
    """The parts of a dotted TOML key, quotes removed: 'a."b.c"' -> ('a', 'b.c')."""
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


def show_key(path: KeyPath) -> str:
    """Dotted key as a user would write it; [[array]] entries 1-based, e.g. levels[2].gain."""
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p + 1}]"
        else:
            part = p if re.fullmatch(_BARE, p) else json.dumps(p, ensure_ascii=False)
            out += ("." if out else "") + part
    return out


class KeyLines:
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
                parts = split_key(m.group(1))
                base = self._resolve(parts[:-1], counts) + (parts[-1],)
                counts[base] = counts.get(base, 0) + 1
                current = base + (counts[base] - 1,)
                self.line_of_key.setdefault(base, no)
                self.line_of_key.setdefault(current, no)
            elif m := _TABLE_LINE.match(raw):
                current = self._resolve(split_key(m.group(1)), counts)
                self.line_of_key.setdefault(current, no)
            elif m := _KEY_LINE.match(raw):
                parts = split_key(m.group(1))
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
        """The dotted key defined on a line (its table included), or None."""
        m = _KEY_LINE.match(text_line)
        if not m:
            return None
        return show_key(self.table_of_line.get(line, ()) + split_key(m.group(1)))


def describe(value: Any) -> str:
    """What a TOML value is, for 'found ...' in messages."""
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


def range_text(low: float | None, high: float | None, low_open: bool = False) -> str:
    """' in [0, 1]', ' >= 0' or '': the range a number must lie in, for error messages."""
    if low is not None and high is not None:
        return f" in {'(' if low_open else '['}{low:g}, {high:g}]"
    if low is not None:
        return f" {'>' if low_open else '>='} {low:g}"
    return ""


class TomlFile:
    """A TOML file: parsed, with typed getters that check each value and errors that name line and key.

    Subclasses hold a schema (scenario.toml, comparison files) and set the words of the parse errors."""

    #: words of the parse errors, set per kind of file
    SYNTAX = "TOML syntax error"
    HINT = "see docs/scenario-format.md"
    UTF8 = "save the file as UTF-8"

    def __init__(self, path: Path) -> None:
        self.path = path
        data = read_bytes(path)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InstanceFormatError(path, f"not UTF-8 text (byte {exc.start}); {self.UTF8}",
                                      line=data[:exc.start].count(b"\n") + 1) from None
        self.lines = KeyLines(text)
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
        raise InstanceFormatError(self.path, message, line=self.lines.line(path), key=show_key(path) or None)

    def check_keys(self, table: Mapping[str, Any], path: KeyPath, allowed: Sequence[str]) -> None:
        for key, value in table.items():
            if key not in allowed:
                where = f"[{show_key(path)}]" if path else "the top level"
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
            self.fail(path, f"expected a table [{show_key(path)}], found {describe(value)}")
        if allowed is not None:
            self.check_keys(value, path, allowed)
        return value

    def number(self, table: Mapping[str, Any], path: KeyPath, default: Any, *, low: float | None = None,
               high: float | None = None, low_open: bool = False) -> float:
        if path[-1] not in table:
            return default
        return self._number(table[path[-1]], path, low, high, low_open)

    def _number(self, value: Any, path: KeyPath, low: float | None, high: float | None,
                low_open: bool = False) -> float:
        expected = f"expected a number{range_text(low, high, low_open)}"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(path, f"{expected}, found {describe(value)}")
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
        expected = f"expected a whole number{range_text(low, None)}"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                (isinstance(value, float) and not value.is_integer()):
            self.fail(path, f"{expected}, found {describe(value)}")
        if low is not None and value < low:
            self.fail(path, f"{value!r} is out of range; {expected}")
        if not INT64_RANGE[0] <= value <= INT64_RANGE[1]:
            self.fail(path, f"{value!r} is too large; {expected} and at most {INT64_RANGE[1]}")
        return int(value)

    def string(self, table: Mapping[str, Any], path: KeyPath, default: str) -> str:
        value = table.get(path[-1], default)
        if not isinstance(value, str):
            self.fail(path, f"expected a string in quotes, found {describe(value)}")
        return value

    def boolean(self, table: Mapping[str, Any], path: KeyPath, default: bool) -> bool:
        value = table.get(path[-1], default)
        if not isinstance(value, bool):
            self.fail(path, f"expected true or false, found {describe(value)}")
        return value

    def strings(self, table: Mapping[str, Any], path: KeyPath) -> tuple[str, ...]:
        value = table.get(path[-1], [])
        if not isinstance(value, list):
            self.fail(path, f"expected an array of strings like [\"a\", \"b\"], found {describe(value)}")
        for v in value:
            if not isinstance(v, str):
                self.fail(path, f"expected an array of strings like [\"a\", \"b\"], found {describe(v)} in it")
        return tuple(value)

    def numbers(self, table: Mapping[str, Any], path: KeyPath) -> tuple[float, ...]:
        if path[-1] not in table:
            self.fail(path, "missing; expected an array of numbers like [0, 1, 2]")
        value = table[path[-1]]
        if not isinstance(value, list):
            self.fail(path, f"expected an array of numbers like [0, 1, 2], found {describe(value)}")
        return tuple(self._number(v, path, None, None) for v in value)

    def number_map(self, table: Mapping[str, Any], path: KeyPath, *, low: float | None = None,
                   high: float | None = None) -> dict[str, float]:
        sub = self.section(table, path)
        return {k: self._number(v, path + (k,), low, high) for k, v in sub.items()}

    def integer_map(self, table: Mapping[str, Any], path: KeyPath) -> dict[str, int]:
        sub = self.section(table, path)
        return {k: self._integer(v, path + (k,), 0) for k, v in sub.items()}


__all__ = ["INT64_RANGE", "KeyLines", "KeyPath", "TomlFile", "describe", "show_key", "split_key"]
