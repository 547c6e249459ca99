"""The one way this package writes a file: to a temporary file beside it, then renamed over it.

A folder received from someone else may hold a symbolic link where a report file will be
written; opening that name for writing would follow the link and overwrite whatever it
points to, anywhere. Writing a fresh file in the target folder (created exclusively, so a
planted name is never followed either) and renaming it over the target replaces the link
itself. Readers never see a half-written file: the rename is atomic, and the data is
flushed to disk first, so a crash leaves the old file or the new one, not an empty one.

    from optimizer.core.files import replacing, write_bytes, write_text

    write_text(folder / "report.md", text)
    with replacing(folder / "figure.png") as fh:    # a binary file; in place when the block ends
        fig.savefig(fh, format="png")

Standard library only: every writer in the package (instances, optimizer, benchmarks) uses it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import BinaryIO

__all__ = ["replace_files", "replacing", "write_bytes", "write_text"]


def _open_temporary(path: Path) -> tuple[Path, BinaryIO]:
    """A new, empty file beside `path`, opened for writing; its name starts with a dot."""
    # the target's name is cut so that the temporary name stays within the usual 255-byte limit
    stem = path.name.encode("utf-8", "surrogateescape")[:200].decode("utf-8", "ignore")
    while True:
        tmp = path.with_name(f".{stem}.{secrets.token_hex(4)}.tmp")
        try:
            # "x" is O_CREAT | O_EXCL: it fails on an existing name, a symbolic link included, and
            # creates the file with the ordinary permissions (umask), unlike tempfile's 0600
            return tmp, open(tmp, "xb")
        except FileExistsError:
            continue
        except OSError as exc:      # a missing or read-only folder: name the file asked for, not ours
            raise _about(exc, path) from None


def _about(exc: OSError, path: Path) -> OSError:
    """The same error (same errno, so the same OSError subclass) naming `path`."""
    return OSError(exc.errno, f"cannot write the file ({exc.strerror or exc})", str(path))


def _sync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX); where folders cannot be opened, nothing to do."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def replacing(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary file to write `path`'s new content into; renamed over `path` when the block ends.

    If the block raises, the temporary file is removed and `path` is left as it was. A symbolic
    link at `path` is replaced by the new file, never followed.
    """
    path = Path(path)
    tmp, fh = _open_temporary(path)
    try:
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.replace(tmp, path)
        except OSError as exc:      # `path` is a folder, ...
            raise _about(exc, path) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to `path` through :func:`replacing`; return the path."""
    with replacing(path) as fh:
        fh.write(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write `text` to `path` as UTF-8, line endings as given, through :func:`replacing`; return the path."""
    return write_bytes(path, text.encode("utf-8"))


def replace_files(files: Mapping[str | os.PathLike, bytes | str], remove: Iterable[str | os.PathLike] = ()) -> None:
    """Write several files that belong together: all of them first, then each renamed into place.

    Nothing is replaced unless every file was written; then the files in `remove` are deleted
    (if present) and the new ones renamed in the order given, so the last one can mark a
    complete set. Text is written as UTF-8.
    """
    with ExitStack() as stack:
        # ExitStack leaves the contexts last-in first-out: entering them in reverse order renames
        # the files in the order given
        handles = {path: stack.enter_context(replacing(path)) for path in reversed(list(files))}
        for path, data in files.items():
            handles[path].write(data.encode("utf-8") if isinstance(data, str) else data)
        for path in remove:
            Path(path).unlink(missing_ok=True)
