"""Results store: one SQLite file, one row per run, each written in its own transaction.

SQLite in WAL mode keeps every committed row through a kill of the writer, and
lets several harnesses share one file (each insert waits for the lock). A run
is identified by its cell key, so re-running a suite skips what is done, and
`--rerun` replaces rows instead of duplicating them. Two harnesses on one file
share the work: a cell is claimed (table `claims`: key, host, pid) before it
runs, and a claim by a process that is still alive keeps the other harness off
it; claims of dead processes (a killed harness) are taken over.

Reports and exports open the file read-only (`open_existing`): they never create
tables, switch the journal mode or migrate. A store written by an earlier version
gains the columns it lacks (ALTER TABLE ADD COLUMN) when `bench run` opens it.
Every SQLite failure (a read-only file or folder, a corrupted file, a full disk)
becomes a one-line `SuiteError` naming the file, what is wrong and what to do.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from benchmarks.harness.instance_sets import SuiteError

#: column -> SQLite type, in the order of the table; columns added after the first version go at the end
#: (an older store gains them in this order, so every store lists its columns alike)
COLUMNS: dict[str, str] = {
    "key": "TEXT PRIMARY KEY",
    "instance": "TEXT", "instance_set": "TEXT", "n": "INTEGER", "pairs": "INTEGER",
    "solver": "TEXT", "solver_version": "TEXT", "formulation": "TEXT",
    "settings": "TEXT", "time_limit": "REAL", "threads": "INTEGER", "mip_gap": "REAL", "memory_limit_mb": "REAL",
    "seed": "INTEGER", "repetition": "INTEGER",
    "termination": "TEXT", "objective": "REAL", "bound": "REAL", "gap": "REAL",
    "build_seconds": "REAL", "solve_seconds": "REAL", "total_seconds": "REAL", "wall_seconds": "REAL",
    "peak_memory_mb": "REAL",
    "host": "TEXT", "python": "TEXT", "packages": "TEXT", "git_commit": "TEXT", "timestamp": "TEXT",
    "error": "TEXT",
    "instance_path": "TEXT",        # resolved file or bundle folder (optima.csv is looked up beside it)
    "formulation_used": "TEXT",     # what the model was built with ("none": no model was built)
    "stages": "TEXT",               # JSON list of the pipeline's stages (Result.stages)
    "highs_version": "TEXT", "package_version": "TEXT",
    "log": "BLOB",                  # the solver's log, zlib-compressed (bench run --keep-logs)
}

#: columns without which a table named runs is not one of ours
REQUIRED = ("key", "instance", "solver", "termination")

_ORDER = ("instance_set", "instance", "solver", "formulation", "settings", "seed", "repetition")


def explain(path: str | Path, exc: BaseException) -> tuple[str, str]:
    """(what is wrong, what to do) for an SQLite or OS error on the store at `path`: one line each."""
    path = Path(path)
    name = getattr(exc, "sqlite_errorname", None) or ""
    text = str(getattr(exc, "strerror", None) or exc)
    low = text.lower()
    folder = path.parent
    if name.startswith("SQLITE_READONLY") or "readonly" in low or "read-only" in low:
        return _read_only(path) if os.access(folder, os.W_OK | os.X_OK) else _folder_read_only(path)
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in low:
        if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
            return _folder_read_only(path)
        return f"cannot open the file ({text})", "check that the path names a file you may read and write"
    if name.startswith("SQLITE_CORRUPT") or "malformed" in low:
        return _corrupted(path, text)
    if name == "SQLITE_NOTADB" or "not a database" in low:
        return (f"not a results store: not an SQLite database ({text})",
                "give a new file name or an existing store written by 'alliance bench run'")
    if name == "SQLITE_FULL" or "is full" in low or getattr(exc, "errno", None) == 28:
        return f"the disk is full ({text})", "free disk space"
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in low:
        return (f"another program has kept the file locked for over a minute ({text})",
                "wait for it to end, or give --results another file")
    return text, "check the file, or give --results another file"


def _read_only(path: Path) -> tuple[str, str]:
    return "the results file is read-only", f"make it writable (chmod u+w {path}) or give --results another file"


def _folder_read_only(path: Path) -> tuple[str, str]:
    return (f"the folder {path.parent} is not writable (SQLite writes {path.name}-wal and {path.name}-shm beside "
            f"the store)", "give --results a file in a writable folder, or make the folder writable")


def _corrupted(path: Path, detail: str) -> tuple[str, str]:
    return (f"the results file is corrupted ({detail})",
            f"restore it from a backup, or save its readable rows with 'sqlite3 {path} .recover | sqlite3 "
            f"recovered.sqlite' and give --results the recovered file, or give --results a new file")


class ResultsStore:
    """The SQLite file of a suite's runs; `read_only=True` (what `open_existing` gives) reads an existing
    store without writing anything, in a folder that may not be writable."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._lock = threading.Lock()     # one connection shared by the harness's threads
        self._db = self._open_read_only() if read_only else self._open_for_writing()

    # ------------------------------------------------------------------ opening
    def _fail(self, problem: str, fix: str) -> SuiteError:
        return SuiteError(f"{self.path}: {problem}; {fix}")

    @contextmanager
    def _guard(self, doing: str | None = None) -> Iterator[None]:
        """SQLite's errors as one line naming the file, what is wrong and what to do."""
        try:
            yield
        except sqlite3.Error as exc:
            problem, fix = explain(self.path, exc)
            raise self._fail(f"cannot {doing}: {problem}" if doing else problem, fix) from None

    def _connect(self, target: str, uri: bool = False) -> sqlite3.Connection:
        with self._guard():
            return sqlite3.connect(target, uri=uri, timeout=60.0, isolation_level=None, check_same_thread=False)

    def _open_read_only(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise self._fail("no such results file", f"run 'alliance bench run --results {self.path}' first")
        # Without a -wal file no harness has the store open and the file alone holds every run: opened
        # immutable, SQLite takes no lock and creates no -wal/-shm files, so a report leaves the folder as
        # it was and works where it cannot write. With one, a harness may be writing: read through its WAL.
        mode = "mode=ro" if Path(f"{self.path}-wal").exists() else "mode=ro&immutable=1"
        db = self._connect(f"{self.path.resolve().as_uri()}?{mode}", uri=True)
        try:
            self._check(db)
        except BaseException:
            db.close()
            raise
        return db

    def _open_for_writing(self) -> sqlite3.Connection:
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._fail(f"cannot create the folder {folder} ({exc.strerror})",
                             "give --results a file in a folder you may write") from None
        if self.path.is_dir():
            raise self._fail("this is a folder", "give --results a file name such as results.sqlite")
        # checked before SQLite runs into them: its own words ("unable to open database file") name neither
        if not os.access(folder, os.W_OK | os.X_OK):
            raise self._fail(*_folder_read_only(self.path))
        if self.path.exists() and not os.access(self.path, os.W_OK):
            raise self._fail(*_read_only(self.path))
        db = self._connect(str(self.path))
        try:
            if self._check(db, new_allowed=True):
                with self._guard("prepare the store"):
                    self._prepare(db)
        except BaseException:
            db.close()
            raise
        return db

    def _check(self, db: sqlite3.Connection, new_allowed: bool = False) -> bool:
        """Refuse a file that is corrupted or is not a results store; True when it is one (or, with
        `new_allowed`, an empty database to make one in)."""
        with self._guard():
            verdict = db.execute("PRAGMA quick_check(1)").fetchone()[0]
            if verdict != "ok":   # "*** in database main ***\nPage 9: ...": kept to one line
                detail = " ".join(str(verdict).replace("*** in database main ***", "").split())
                raise self._fail(*_corrupted(self.path, f"database disk image is malformed: {detail}"))
            tables = {t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            have = [row[1] for row in db.execute("PRAGMA table_info(runs)")]
        fix = ("give the file written by 'alliance bench run --results FILE'" if self.read_only else
               "give --results a new file name or an existing store written by 'alliance bench run'")
        if "runs" not in tables:
            if new_allowed and not tables - {"claims"}:
                return True
            what = f"its tables: {', '.join(sorted(tables))}" if tables else "it holds no tables"
            raise self._fail(f"not a results store (no 'runs' table; {what})", fix)
        lacking = [c for c in REQUIRED if c not in have]
        if lacking:
            raise self._fail(f"not a results store (its 'runs' table has no column {', '.join(lacking)})", fix)
        return True

    def _prepare(self, db: sqlite3.Connection) -> None:
        """WAL mode and the tables. Switching to WAL while another harness opens the same new file
        fails at once with "database is locked" (SQLite does not wait for the busy timeout there:
        seen in 1 of 8 pairs of harnesses started together), so that step is retried."""
        give_up = time.monotonic() + 60.0
        while True:
            try:
                db.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > give_up:
                    raise
                time.sleep(0.05)
        db.execute("PRAGMA synchronous=FULL")  # a committed run survives a power cut
        self._migrate(db)

    def _migrate(self, db: sqlite3.Connection) -> None:
        """Create the tables, or add the columns a store of an earlier version lacks."""
        with db:
            db.execute("BEGIN IMMEDIATE")  # two harnesses opening one old store add each column once
            cols = ", ".join(f"{k} {v}" for k, v in COLUMNS.items())
            db.execute(f"CREATE TABLE IF NOT EXISTS runs ({cols})")
            db.execute("CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, host TEXT, pid INTEGER, since TEXT)")
            have = {row[1] for row in db.execute("PRAGMA table_info(runs)")}
            for column, kind in COLUMNS.items():
                if column not in have:
                    db.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")

    def _writable(self) -> None:
        if self.read_only:
            raise SuiteError(f"{self.path}: opened read-only (for a report or an export); open it with "
                             f"ResultsStore(path) to write")

    # ------------------------------------------------------------------ use
    def close(self) -> None:
        """Close the connection (rows are already committed)."""
        with self._lock:  # never under a thread still using it
            self._db.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def done_keys(self) -> set[str]:
        """Keys of the cells that have a row."""
        with self._lock, self._guard("read the finished cells"):
            return {k for (k,) in self._db.execute("SELECT key FROM runs")}

    def adopt(self, moves: Iterable[tuple[str, str, str | None]]) -> int:
        """Move rows stored under an older version's keys to the current ones: (old key, new key,
        instance path) each; a row whose new key is taken already stays as it is. Returns how many moved."""
        self._writable()
        moves = list(moves)
        moved = 0
        with self._lock, self._guard("update the keys of an older store"), self._db:
            self._db.execute("BEGIN IMMEDIATE")
            old = {k for (k,) in self._db.execute("SELECT key FROM runs WHERE key LIKE '[%'")}
            for old_key, new_key, path in moves:
                if old_key in old:
                    moved += self._db.execute("UPDATE OR IGNORE runs SET key = ?, instance_path = "
                                              "COALESCE(instance_path, ?) WHERE key = ?",
                                              (new_key, path, old_key)).rowcount
        return moved

    def legacy_rows(self) -> list[tuple[str, str]]:
        """(instance set, instance) of the rows still stored under an older version's keys."""
        with self._lock, self._guard("read the runs"):
            return [tuple(r) for r in self._db.execute("SELECT instance_set, instance FROM runs WHERE key LIKE '[%'")]

    def claim(self, key: str, rerun: bool = False) -> bool:
        """Take the cell for this process: False when it is done (unless `rerun`) or another
        live process has it."""
        self._writable()
        me = (socket.gethostname(), os.getpid())
        with self._lock, self._guard("claim a cell"), self._db:
            self._db.execute("BEGIN IMMEDIATE")
            if not rerun and self._db.execute("SELECT 1 FROM runs WHERE key = ?", (key,)).fetchone():
                return False
            held = self._db.execute("SELECT host, pid FROM claims WHERE key = ?", (key,)).fetchone()
            if held is not None and tuple(held) != me and _alive(*held):
                return False
            self._db.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?, datetime('now'))", (key, *me))
            return True

    def release(self, key: str) -> None:
        """Give a claimed cell back without a result (interrupted before it ended)."""
        self._writable()
        with self._lock, self._guard("release a cell"), self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM claims WHERE key = ? AND host = ? AND pid = ?",
                             (key, socket.gethostname(), os.getpid()))

    def record(self, row: dict) -> None:
        """Write one run, replacing an earlier row of the same cell, and drop its claim: one transaction.
        A text `log` is stored compressed."""
        self._writable()
        unknown = set(row) - set(COLUMNS)
        if unknown:
            raise ValueError(f"unknown result columns: {', '.join(sorted(unknown))}")
        if isinstance(row.get("log"), str):
            row = {**row, "log": zlib.compress(row["log"].encode("utf-8", "replace"), 6)}
        values = [_sql(row.get(c)) for c in COLUMNS]
        marks = ", ".join("?" for _ in COLUMNS)
        with self._lock, self._guard("write the result of a run"), self._db:  # BEGIN ... COMMIT, rolled back on error
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(f"INSERT OR REPLACE INTO runs ({', '.join(COLUMNS)}) VALUES ({marks})", values)
            self._db.execute("DELETE FROM claims WHERE key = ?", (row["key"],))

    def runs(self, logs: bool = False) -> pd.DataFrame:
        """Every row, as a DataFrame with the store's columns; the solver logs (as text) only with `logs`,
        since a report has no use for them."""
        with self._lock, self._guard("read the runs"):
            have = [row[1] for row in self._db.execute("PRAGMA table_info(runs)")]
            columns = [c for c in have if logs or c != "log"]
            order = ", ".join(c for c in _ORDER if c in have) or "key"
            cursor = self._db.execute(f"SELECT {', '.join(columns)} FROM runs ORDER BY {order}")
            rows = cursor.fetchall()
        frame = pd.DataFrame.from_records(rows, columns=columns, coerce_float=True)
        if "log" in frame.columns:
            frame["log"] = [_text(b) for b in frame["log"]]
        return frame

    def __len__(self) -> int:
        with self._lock, self._guard("count the runs"):
            return int(self._db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])


def _text(blob: object) -> str | None:
    """A stored log as text (logs are zlib-compressed; anything else is shown as it is)."""
    if isinstance(blob, bytes):
        try:
            return zlib.decompress(blob).decode("utf-8", "replace")
        except zlib.error:
            return blob.decode("utf-8", "replace")
    return None if blob is None else str(blob)


def _alive(host: str, pid: int) -> bool:
    """Whether a claim's owner still runs; a claim from another host is trusted."""
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _sql(value: object) -> object:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True, default=str)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def open_existing(path: str | Path) -> ResultsStore:
    """A store that must already exist, opened read-only (report and export never create or change one)."""
    return ResultsStore(path, read_only=True)


def export(runs: pd.DataFrame, path: str | Path) -> Path:
    """Write runs as CSV, or Parquet when the name ends in .parquet (needs pyarrow)."""
    from optimizer.core.files import write_bytes, write_text

    path = Path(path)
    if path.suffix.lower() == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise SuiteError(f"{path}: Parquet needs pyarrow (pip install pyarrow); or give a .csv name") from None
        write_bytes(path, runs.to_parquet(None, index=False))
    elif path.suffix.lower() == ".csv":
        write_text(path, runs.to_csv(index=False))
    else:
        raise SuiteError(f"{path}: give a file name ending in .csv or .parquet")
    return path
