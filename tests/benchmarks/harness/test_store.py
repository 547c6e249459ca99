"""The SQLite results store: one row per cell, kept across reopenings, replaced on rerun, exported."""

from __future__ import annotations

import hashlib
import sqlite3
import zlib
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.harness.instance_sets import SuiteError
from benchmarks.harness.store import COLUMNS, ResultsStore, export, open_existing

#: the columns of the runs table as the first version of the harness wrote it
FIRST_VERSION_COLUMNS = (
    "key", "instance", "instance_set", "n", "pairs", "solver", "solver_version", "formulation", "settings",
    "time_limit", "threads", "mip_gap", "memory_limit_mb", "seed", "repetition", "termination", "objective",
    "bound", "gap", "build_seconds", "solve_seconds", "total_seconds", "wall_seconds", "peak_memory_mb", "host",
    "python", "packages", "git_commit", "timestamp", "error",
)


def _row(key: str, **kw) -> dict:
    return {"key": key, "instance": key, "instance_set": "s", "solver": "highs", "formulation": "auto",
            "termination": "optimal", "objective": 1.0, "settings": {"time_limit": 5.0}, **kw}


def test_rows_survive_reopening_and_rerun_replaces_instead_of_duplicating(tmp_path):
    path = tmp_path / "r.sqlite"
    with ResultsStore(path) as store:
        store.record(_row("a"))
        store.record(_row("b", objective=2.0))
    with ResultsStore(path) as store:
        assert store.done_keys() == {"a", "b"}
        store.record(_row("b", objective=3.0))
        runs = store.runs()
    assert len(runs) == 2
    assert runs.set_index("key").loc["b", "objective"] == 3.0
    assert list(runs.columns) == [c for c in COLUMNS if c != "log"]   # logs only when asked for
    assert runs.set_index("key").loc["a", "settings"] == '{"time_limit": 5.0}'


def test_unknown_columns_are_refused(tmp_path):
    with ResultsStore(tmp_path / "r.sqlite") as store, pytest.raises(ValueError, match="colour"):
        store.record(_row("a", colour="red"))


def test_a_file_that_is_not_a_store_is_refused_with_the_fix(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_text("this is not SQLite " * 100)
    with pytest.raises(SuiteError, match="not a results store"):
        ResultsStore(bad)
    with pytest.raises(SuiteError, match="bench run"):
        open_existing(tmp_path / "absent.sqlite")
    (tmp_path / "file").write_text("x")
    with pytest.raises(SuiteError, match="cannot create the folder"):
        ResultsStore(tmp_path / "file" / "sub" / "r.sqlite")
    with ResultsStore(tmp_path / "new" / "folder" / "r.sqlite") as store:  # folders are made as needed
        assert len(store) == 0


def test_export_csv_and_parquet_names(tmp_path):
    with ResultsStore(tmp_path / "r.sqlite") as store:
        store.record(_row("a"))
        runs = store.runs()
    out = export(runs, tmp_path / "runs.csv")
    back = pd.read_csv(out)
    assert back.loc[0, "key"] == "a" and back.loc[0, "objective"] == 1.0
    with pytest.raises(SuiteError, match=".csv or .parquet"):
        export(runs, tmp_path / "runs.xlsx")
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        with pytest.raises(SuiteError, match="pyarrow"):
            export(runs, tmp_path / "runs.parquet")
    else:
        assert pd.read_parquet(export(runs, tmp_path / "runs.parquet")).loc[0, "key"] == "a"


def _digest(folder: Path) -> dict[str, str]:
    """Every file of the folder and a hash of its bytes: a reader must leave all of it as it was."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _notes(path: Path) -> Path:
    """Another program's SQLite file (rollback journal, one table of its own)."""
    db = sqlite3.connect(path)
    with db:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        db.execute("INSERT INTO notes (text) VALUES ('buy milk')")
    db.close()
    return path


def _tables_and_journal(path: Path) -> tuple[list[str], str]:
    db = sqlite3.connect(path)
    try:
        tables = sorted(t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
        return tables, db.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        db.close()


def test_another_programs_database_is_refused_and_left_as_it_was(tmp_path):
    notes = _notes(tmp_path / "notes.sqlite")
    before = _digest(tmp_path)
    for open_it in (open_existing, ResultsStore):     # a report, and a run pointed at the wrong file
        with pytest.raises(SuiteError) as err:
            open_it(notes)
        message = str(err.value)
        assert message.startswith(f"{notes}: not a results store") and "its tables: notes" in message, message
        assert "bench run" in message and "\n" not in message
    assert _digest(tmp_path) == before                # no runs/claims tables, no WAL switch, no -wal/-shm files
    assert _tables_and_journal(notes) == (["notes"], "delete")


def test_a_report_reads_the_store_without_writing_to_it(tmp_path):
    path = tmp_path / "r.sqlite"
    with ResultsStore(path) as store:
        store.record(_row("a"))
    before = _digest(tmp_path)
    with open_existing(path) as store:
        assert store.done_keys() == {"a"} and len(store.runs()) == 1
        with pytest.raises(SuiteError, match="opened read-only"):
            store.record(_row("b"))
    assert _digest(tmp_path) == before


def _first_version_store(path: Path) -> Path:
    db = sqlite3.connect(path)
    with db:
        db.execute("PRAGMA journal_mode=WAL")
        columns = ", ".join(c + (" TEXT PRIMARY KEY" if c == "key" else "") for c in FIRST_VERSION_COLUMNS)
        db.execute(f"CREATE TABLE runs ({columns})")
        db.execute("CREATE TABLE claims (key TEXT PRIMARY KEY, host TEXT, pid INTEGER, since TEXT)")
        db.execute("INSERT INTO runs (key, instance, instance_set, solver, formulation, termination, objective) "
                   "VALUES ('a', 'x', 's', 'highs', 'auto', 'optimal', 1.0)")
    db.close()
    return path


def test_a_store_of_the_first_version_gains_the_new_columns_instead_of_being_refused(tmp_path):
    path = _first_version_store(tmp_path / "old.sqlite")
    with open_existing(path) as store:               # a report reads it as it is, without migrating it
        assert store.runs().loc[0, "key"] == "a"
    with sqlite3.connect(path) as db:
        assert [r[1] for r in db.execute("PRAGMA table_info(runs)")] == list(FIRST_VERSION_COLUMNS)
    with ResultsStore(path) as store:
        store.record(_row("b", formulation_used="rlt", stages=[{"stage": "mip", "formulation": "rlt"}],
                          highs_version="1.16.0", package_version="0.1.0", log="Presolving model\n"))
        runs = store.runs(logs=True).set_index("key")
    assert runs.loc["a", "termination"] == "optimal" and runs.loc["a", "objective"] == 1.0
    assert runs.loc["b", "formulation_used"] == "rlt"
    assert runs.loc["b", "stages"] == '[{"formulation": "rlt", "stage": "mip"}]'
    assert runs.loc["b", "log"] == "Presolving model\n" and pd.isna(runs.loc["a", "log"])
    with sqlite3.connect(path) as db:
        assert [r[1] for r in db.execute("PRAGMA table_info(runs)")] == list(COLUMNS)
        (blob,) = db.execute("SELECT log FROM runs WHERE key = 'b'").fetchone()
    assert zlib.decompress(blob) == b"Presolving model\n"     # stored compressed
    with ResultsStore(path) as store:                 # opened again: nothing left to add
        assert store.done_keys() == {"a", "b"}


def _corrupt(path: Path, first_page: int = 5, pages: int = 4) -> Path:
    data = bytearray(path.read_bytes())
    assert len(data) > 4096 * (first_page + pages)
    for offset in range(4096 * first_page, 4096 * (first_page + pages)):
        data[offset] = (offset * 7) % 256
    path.write_bytes(bytes(data))
    return path


def _big_store(path: Path) -> Path:
    with ResultsStore(path) as store:
        for i in range(200):
            store.record(_row(f"k{i}", error="e" * 1000))
    return path


def test_a_corrupted_store_is_refused_on_opening_with_what_to_do(tmp_path):
    path = _corrupt(_big_store(tmp_path / "r.sqlite"))
    for open_it in (ResultsStore, open_existing):
        with pytest.raises(SuiteError) as err:
            open_it(path)
        message = str(err.value)
        assert message.startswith(f"{path}: the results file is corrupted"), message
        assert ".recover" in message and "new file" in message and "\n" not in message
