"""Results store: one SQLite file, one row per run, each written in its own transaction.

SQLite in WAL mode keeps every committed row through a kill of the writer, and
lets several harnesses share one file (each insert waits for the lock). A run
is identified by its cell key, so re-running a suite skips what is done, and
`--rerun` replaces rows instead of duplicating them. Two harnesses on one file
share the work: a cell is claimed (table `claims`: key, host, pid) before it
runs, and a claim by a process that is still alive keeps the other harness off
it; claims of dead processes (a killed harness) are taken over.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
from pathlib import Path

import pandas as pd

from benchmarks.instance_sets import SuiteError

#: column -> SQLite type, in the order of the table
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
}


class ResultsStore:
    """The SQLite file of a suite's runs."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SuiteError(f"{self.path}: cannot create the folder {self.path.parent} ({exc.strerror})") from None
        try:
            # one connection shared by the harness's threads, serialised by a lock
            self._db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None, check_same_thread=False)
            self._lock = threading.Lock()
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # a committed run survives a power cut
            cols = ", ".join(f"{k} {v}" for k, v in COLUMNS.items())
            self._db.execute(f"CREATE TABLE IF NOT EXISTS runs ({cols})")
            self._db.execute("CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, host TEXT, pid INTEGER, "
                             "since TEXT)")
            have = {row[1] for row in self._db.execute("PRAGMA table_info(runs)")}
        except sqlite3.DatabaseError as exc:
            raise SuiteError(f"{self.path}: not a results store ({exc}); give a new file name or an existing "
                             f"store written by 'alliance bench run'") from None
        missing = [c for c in COLUMNS if c not in have]
        if missing:
            raise SuiteError(f"{self.path}: the runs table lacks columns {', '.join(missing)}; "
                             f"it was not written by this version of 'alliance bench run'")

    def close(self) -> None:
        """Close the connection (rows are already committed)."""
        with self._lock:  # never under a thread still using it
            self._db.close()

    def __enter__(self) -> "ResultsStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def done_keys(self) -> set[str]:
        """Keys of the cells that have a row."""
        with self._lock:
            return {k for (k,) in self._db.execute("SELECT key FROM runs")}

    def claim(self, key: str, rerun: bool = False) -> bool:
        """Take the cell for this process: False when it is done (unless `rerun`) or another
        live process has it."""
        me = (socket.gethostname(), os.getpid())
        with self._lock, self._db:
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
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM claims WHERE key = ? AND host = ? AND pid = ?",
                             (key, socket.gethostname(), os.getpid()))

    def record(self, row: dict) -> None:
        """Write one run, replacing an earlier row of the same cell, and drop its claim: one transaction."""
        unknown = set(row) - set(COLUMNS)
        if unknown:
            raise ValueError(f"unknown result columns: {', '.join(sorted(unknown))}")
        values = [_sql(row.get(c)) for c in COLUMNS]
        marks = ", ".join("?" for _ in COLUMNS)
        with self._lock, self._db:  # BEGIN ... COMMIT, rolled back on error
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(f"INSERT OR REPLACE INTO runs ({', '.join(COLUMNS)}) VALUES ({marks})", values)
            self._db.execute("DELETE FROM claims WHERE key = ?", (row["key"],))

    def runs(self) -> pd.DataFrame:
        """Every row, as a DataFrame with the store's columns."""
        with self._lock:
            return pd.read_sql_query("SELECT * FROM runs ORDER BY instance_set, instance, solver, formulation, "
                                 "settings, seed, repetition", self._db)

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])


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
        return json.dumps(value, sort_keys=True)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def open_existing(path: str | Path) -> ResultsStore:
    """A store that must already exist (report and export never create one)."""
    if not Path(path).is_file():
        raise SuiteError(f"{path}: no such results file; run 'alliance bench run --results {path}' first")
    return ResultsStore(path)


def export(runs: pd.DataFrame, path: str | Path) -> Path:
    """Write runs as CSV, or Parquet when the name ends in .parquet (needs pyarrow)."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise SuiteError(f"{path}: Parquet needs pyarrow (pip install pyarrow); or give a .csv name") from None
        runs.to_parquet(path, index=False)
    elif path.suffix.lower() == ".csv":
        runs.to_csv(path, index=False)
    else:
        raise SuiteError(f"{path}: give a file name ending in .csv or .parquet")
    return path
