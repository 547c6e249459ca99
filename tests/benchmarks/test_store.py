"""The SQLite results store: one row per cell, kept across reopenings, replaced on rerun, exported."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmarks.instance_sets import SuiteError
from benchmarks.store import COLUMNS, ResultsStore, export, open_existing


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
    assert list(runs.columns) == list(COLUMNS)
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
