"""Errors of the readers: they name the file, the line (or row and column) and what was expected."""

from __future__ import annotations

from optimizer.errors import AllianceError


class InstanceFormatError(AllianceError, ValueError):
    """A data file does not follow its format."""

    def __init__(self, path: object, message: str, line: int | None = None) -> None:
        where = f"{path}" + (f":{line}" if line is not None else "")
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.line = line
