"""Errors of the readers: they name the file, the line (or row and column) and what was expected."""

from __future__ import annotations

from pathlib import Path

from optimizer.core.errors import AllianceError


class InstanceFormatError(AllianceError, ValueError):
    """A data file does not follow its format.

    ``line`` is the line in the file; for tables ``row`` is the row as a
    spreadsheet numbers it (header = row 1) and ``column`` the column name; for
    TOML files ``key`` is the dotted key. Each is None when it does not apply.
    """

    def __init__(self, path: object, message: str, line: int | None = None, *, row: int | None = None,
                 column: str | None = None, key: str | None = None) -> None:
        where = f"{path}" + (f":{line}" if line is not None else "")
        parts = ([f"row {row}"] if row is not None else []) + ([f"column {column!r}"] if column is not None else []) \
            + ([f"key {key!r}"] if key is not None else [])
        super().__init__(f"{where}: " + (", ".join(parts) + ": " if parts else "") + message)
        self.path = str(path)
        self.line = line
        self.row = row
        self.column = column
        self.key = key


def require_existing(path: Path, kind: str, expected: str, missing: str | None = None) -> None:
    """Raise InstanceFormatError unless `path` is a usable name that exists.

    `kind` is "file" or "folder"; `expected` ends the message for an unusable
    name ("the path of ..."), `missing` the one for a path that is not there
    (default: `expected`).
    """
    try:
        exists = path.exists()
    except OSError as exc:          # a name too long for the file system, ...
        raise InstanceFormatError(path, f"cannot be used as a {kind} name ({exc.strerror or exc}); expected the "
                                        f"path of {expected}") from None
    if not exists:
        raise InstanceFormatError(path, f"no such {kind}; expected {missing or expected}")


def read_bytes(path: Path) -> bytes:
    """The bytes of a data file, or InstanceFormatError naming it (a folder named like the file, no permission...)."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InstanceFormatError(path, f"cannot be read ({exc.strerror or exc}); expected a file") from None


class BundleWriteError(AllianceError, FileExistsError):
    """A scenario bundle cannot be written there (a file, or a non-empty folder that is not a bundle)."""


class SpecError(AllianceError, ValueError):
    """A generator spec (`qkp:n=60,density=50,seed=1`) that cannot be read; the message names the item."""
