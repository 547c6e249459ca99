"""instances.load (instances/readers.py): one table of readers for files, bundles and specs."""

from __future__ import annotations

from pathlib import Path

import pytest

from instances import generate_qkp, load, write_qkp
from instances.errors import InstanceFormatError, SpecError
from instances.readers import READERS, read, reader_of
from optimizer import Scenario, SelectionProblem

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "alliance-60"


def test_files_bundles_and_specs_load_through_one_table(tmp_path):
    problem = generate_qkp(12, 50, seed=1)
    write_qkp(problem, tmp_path / "p.dat")
    loaded = load(tmp_path / "p.dat")
    assert isinstance(loaded, SelectionProblem) and loaded.n == 12
    assert isinstance(load(EXAMPLE), Scenario) and isinstance(load(EXAMPLE / "scenario.toml"), Scenario)
    assert load("qkp:n=12,density=50,seed=1").n == 12
    assert reader_of(tmp_path / "p.dat").kind == "file" and reader_of(EXAMPLE).kind == "bundle"
    assert read("file", tmp_path / "p.dat").n == 12
    assert [r.kind for r in READERS] == ["bundle", "file"]


def test_a_folder_scan_takes_only_known_endings(tmp_path):
    (tmp_path / "notes.csv").write_text("x\n")
    assert reader_of(tmp_path / "notes.csv", named=False) is None
    assert reader_of(tmp_path / "notes.csv").kind == "file"          # named directly: the QKP reader says why


@pytest.mark.parametrize("source, error, words", [
    ("nowhere.txt", FileNotFoundError, "no such file or folder"),
    ("qkp:n=12,seeds=1-3", SpecError, "names 3 instances"),
])
def test_bad_sources_say_what_is_wrong(source, error, words):
    with pytest.raises(error, match=words):
        load(source)


def test_budget_on_a_bundle_and_a_folder_that_is_no_bundle(tmp_path):
    with pytest.raises(ValueError, match="--budget applies to edge-list QKP files"):
        load(EXAMPLE, budget=1)
    with pytest.raises(InstanceFormatError):
        load(tmp_path)


def test_load_is_the_function_whatever_was_imported_first():
    # a module named load once shadowed the function in a process that had imported the module first
    import importlib

    import instances

    importlib.import_module("instances.readers")
    assert callable(instances.load) and instances.load.__module__ == "instances.readers"
