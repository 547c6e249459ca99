"""Suites: TOML files and options expand to a grid of cells; bad suites are refused with the key and the fix."""

from __future__ import annotations

import json

import pytest

from benchmarks.harness.instance_sets import SuiteError
from benchmarks.harness.suite import Cell, build_suite


def _write(tmp_path, text: str):
    path = tmp_path / "suite.toml"
    path.write_text(text)
    return path


def test_lists_in_the_file_expand_to_a_grid(tmp_path):
    path = _write(tmp_path, """
instances = ["qkp:n=10,density=50,seeds=1-3"]
solvers = ["highs", "bruteforce"]
formulations = ["auto", "standard"]
time_limit = [5, 10]
threads = 1
repeat = 2
seed = 7
""")
    suite = build_suite(path)
    cells, skipped = suite.cells()
    # highs: auto + standard; bruteforce takes no formulation, so only auto
    assert len(cells) == 3 * (2 + 1) * 2 * 2
    assert len(skipped) == 1 and "bruteforce" in skipped[0] and "standard" in skipped[0]
    assert {c.time_limit for c in cells} == {5.0, 10.0}
    # repetition r runs with seed + r
    assert {(c.repetition, c.seed) for c in cells} == {(0, 7), (1, 8)}
    assert len({c.key for c in cells}) == len(cells)


def test_command_line_overrides_the_file_key_by_key(tmp_path):
    path = _write(tmp_path, 'instances = ["qkp:n=10,seeds=1"]\nsolvers = ["highs"]\ntime_limit = 30\njobs = 2\n')
    suite = build_suite(path, solvers=["bruteforce"], time_limit=None, jobs=None)
    assert suite.solvers == ["bruteforce"]
    assert suite.time_limit == [30.0] and suite.jobs == 2


def test_paths_in_a_suite_file_are_relative_to_the_file(tmp_path):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "suite.toml"
    path.write_text('instances = ["data"]\nresults = "out.sqlite"\n')
    suite = build_suite(path)
    assert suite.instances == [str(tmp_path / "sub" / "data")]
    assert suite.results == str(tmp_path / "sub" / "out.sqlite")


@pytest.mark.parametrize("text, words", [
    ("instances = [\n", "not valid TOML"),
    ("instance = ['x']\n", "unknown key 'instance'"),
    ("time_limit = 'soon'\n", "time_limit"),
    ("time_limit = -1\n", "positive number of seconds"),
    ("threads = 0\n", "threads"),
    ("threads = 1.5\n", "whole number"),
    ("repeat = 0\n", "repeat"),
    ("mip_gap = 1.5\n", "relative gap"),
    ("memory_limit = -5\n", "memory_limit"),
    ("solvers = []\n", "empty list"),
    ("jobs = true\n", "jobs"),
])
def test_bad_suite_files_name_the_key_and_the_fix(tmp_path, text, words):
    with pytest.raises(SuiteError, match=words):
        build_suite(_write(tmp_path, text))


def test_unknown_solver_is_refused_before_anything_runs():
    suite = build_suite(instances=["qkp:n=10,seeds=1"], solvers=["simplex9000"])
    with pytest.raises(SuiteError, match="unknown solver 'simplex9000'"):
        suite.cells()


def test_a_suite_without_instances_says_how_to_give_them():
    with pytest.raises(SuiteError, match="--instances"):
        build_suite(solvers=["highs"]).cells()


def test_cell_round_trips_through_json():
    cells, _ = build_suite(instances=["alliance:n=20,seeds=2"], solvers=["highs"], memory_limit=900.0).cells()
    cell = cells[0]
    again = Cell.from_dict(json.loads(json.dumps(cell.to_dict())))
    assert again == cell and again.key == cell.key
    assert again.instance.args == cell.instance.args
    assert again.wall_limit == cell.time_limit + cell.grace


@pytest.mark.parametrize("results", ["/tmp/elsewhere.sqlite", "../outside.sqlite", "link/r.sqlite"])
def test_a_suite_file_cannot_write_outside_its_folder(tmp_path, results):
    folder = tmp_path / "suite"
    folder.mkdir()
    (folder / "link").symlink_to(tmp_path)  # a link that leads out of the folder
    path = folder / "suite.toml"
    path.write_text(f'instances = ["qkp:n=10,seeds=1"]\nresults = "{results}"\n')
    with pytest.raises(SuiteError, match="outside the suite file's folder"):
        build_suite(path)
    # the command line may choose any place
    assert build_suite(path, results=str(tmp_path / "x.sqlite")).results == str(tmp_path / "x.sqlite")
    path.write_text('instances = ["qkp:n=10,seeds=1"]\nresults = "sub/r.sqlite"\n')
    assert build_suite(path).results == str(folder / "sub" / "r.sqlite")


def test_a_cell_key_names_the_instance_however_its_set_is_typed(tmp_path, monkeypatch):
    from instances import generate_qkp, write_qkp

    (tmp_path / "d").mkdir()
    write_qkp(generate_qkp(8, 50, seed=1), tmp_path / "d" / "a.txt")
    (tmp_path / "link").symlink_to(tmp_path / "d")
    monkeypatch.chdir(tmp_path)

    def keys(spec: str) -> set[str]:
        return {c.key for c in build_suite(instances=[spec], solvers=["bruteforce"]).cells()[0]}

    typed = ["d", "./d", str(tmp_path / "d"), "link", "d/a.txt", "d/../d/*.txt", str(tmp_path / "link" / "a.txt")]
    assert len({frozenset(keys(spec)) for spec in typed}) == 1
    # generated instances: the generator's arguments, not how the set was written
    assert keys("qkp:n=8,seeds=1") <= keys("qkp:n=8,density=50.0,seeds=1-2")
    assert keys("qkp:n=8,seeds=1") != keys("qkp:n=8,density=25,seeds=1")


def test_an_instance_named_by_two_sets_of_one_suite_runs_once(tmp_path):
    from instances import generate_qkp, write_qkp

    for seed in (1, 2):
        write_qkp(generate_qkp(8, 50, seed=seed), tmp_path / f"q{seed}.txt")
    cells, notes = build_suite(instances=[str(tmp_path), str(tmp_path / "q1.txt")], solvers=["bruteforce"]).cells()
    assert [c.instance.name for c in cells] == ["q1", "q2"]
    assert any("each runs once" in n for n in notes)


def test_a_suite_that_expands_to_no_cells_is_refused_with_the_reason():
    with pytest.raises(SuiteError, match="expands to no cells: heuristic does not take formulation 'standard'"):
        build_suite(instances=["qkp:n=8,seeds=1"], solvers=["heuristic"], formulations=["standard"]).cells()
