"""The `alliance` command line: results on stdout, one-line errors with exit status 2, never a traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.cli import main
from instances import generate_qkp
from tests.problem_strategies import enumerate_optimum


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    assert "Traceback" not in err
    return lines[0]


def test_solve_generated_instance_with_bruteforce(capsys):
    assert main(["solve", "qkp:n=12,density=50,seed=1", "--solver", "bruteforce"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    m = re.search(r"^objective\s+(\S+)$", out, re.MULTILINE)
    assert m, out
    assert float(m.group(1)) == enumerate_optimum(generate_qkp(12, 50, seed=1))[1]
    assert "termination  optimal" in out and "qkp_12_50_1" in out


def test_solve_a_file_with_highs_and_options(tmp_path, capsys):
    from instances import write_qkp

    path = tmp_path / "small.txt"
    write_qkp(generate_qkp(10, 75, seed=2), path, published=True)
    assert main(["solve", str(path), "--solver", "highs", "--formulation", "glover", "--time-limit", "30", "--mip-gap",
                 "0",
                 "--threads", "1", "--seed", "3"]) == 0
    out, err = capsys.readouterr()
    m = re.search(r"^objective\s+(\S+)$", out, re.MULTILINE)
    assert m and float(m.group(1)) == enumerate_optimum(generate_qkp(10, 75, seed=2))[1]
    assert "glover" in out and err == ""


def test_default_solve_runs_the_pipeline_and_prints_its_stages(capsys):
    assert main(["solve", "qkp:n=40,density=50,seed=2", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "solver       auto" in out and "stage        stage=heuristic" in out and "stage=bound" in out
    m = re.search(r"^objective\s+(\S+)$", out, re.MULTILINE)
    from optimizer import solve

    assert float(m.group(1)) == solve(generate_qkp(40, 50, seed=2), solver="highs").objective


def test_edge_list_file_with_budget(tmp_path, capsys):
    from instances import write_edge_list

    problem = generate_qkp(14, 60, seed=4)
    path = tmp_path / "edges.txt"
    write_edge_list(problem, path, budgets=[problem.b[0], 1e9])
    assert main(["solve", str(path), "--budget", "0"]) == 0
    out = capsys.readouterr().out
    m = re.search(r"^objective\s+(\S+)$", out, re.MULTILINE)
    assert float(m.group(1)) == enumerate_optimum(problem)[1]
    assert main(["solve", str(path)]) == 2
    err = capsys.readouterr().err
    assert "--budget" in _one_line(err)


def test_solvers_lists_the_registry(capsys):
    assert main(["solvers"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^highs\s+yes", out, re.MULTILINE)
    assert re.search(r"^bruteforce\s+yes", out, re.MULTILINE)


@pytest.mark.parametrize("argv, words", [
    (["solve", "no/such/file.txt"], ["no such file"]),
    (["solve", "qkp:n=abc"], ["bad instance spec"]),
    (["solve", "qkp:n=12,colour=red"], ["unknown key", "colour"]),
    (["solve", "qkp:n=12,density"], ["expected key=value"]),
    (["solve", "qkp:n=0"], ["n=0: the number of items is a whole number >= 1"]),
    (["solve", "qkp:n=12,density=150"], ["density"]),
    (["solve", "qkp:n=12", "--solver", "cplex_cloud"], ["unknown solver 'cplex_cloud'"]),
    (["solve", "qkp:n=12", "--solver", "pyomo:no_such_solver"], ["not available"]),
    (["solve", "qkp:n=12", "--formulation", "miqp"], ["does not take formulation 'miqp'"]),
    (["solve", "qkp:n=12", "--formulation", "quantum"], ["unknown formulation"]),
])
def test_bad_input_exits_2_with_one_line(argv, words, capsys):
    assert main(argv) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("alliance: error:")
    for word in words:
        assert word in line, f"{word!r} missing from {line!r}"


@pytest.mark.parametrize("text, words", [("4\n1 2 x 4\n", [":2:", "'x' is not a number"]), ("", ["file is empty"])],
                         ids=["bad-token", "empty"])
def test_bad_file_exits_2_naming_file_and_line(tmp_path, capsys, text, words):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    assert main(["solve", str(path)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert str(path) in line
    for word in words:
        assert word in line


def test_folder_that_is_not_an_instance_exits_2(tmp_path, capsys):
    assert main(["solve", str(tmp_path)]) == 2
    assert str(tmp_path) in _one_line(capsys.readouterr().err)


@pytest.mark.parametrize("argv", [
    ["solve", "qkp:n=12", "--time-limit", "-1"],
    ["solve", "qkp:n=12", "--time-limit", "0"],
    ["solve", "qkp:n=12", "--time-limit", "soon"],
    ["solve", "qkp:n=12", "--mip-gap", "2"],
    ["solve", "qkp:n=12", "--threads", "0"],
    ["solve", "qkp:n=12", "--threads", "two"],
    ["solve", "qkp:n=12", "--seed", "x"],
    ["solve"],
    ["frobnicate"],
    [],
], ids=["time-negative", "time-zero", "time-word", "gap", "threads-zero", "threads-word", "seed", "no-instance",
        "bad-command", "nothing"])
def test_bad_arguments_exit_2_with_one_line(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("alliance: error:")


def test_console_script_runs():
    exe = Path(sys.executable).with_name("alliance")
    if not exe.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    proc = subprocess.run([str(exe), "solve", "qkp:n=8,density=50,seed=4", "--solver", "bruteforce"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "objective" in proc.stdout
    bad = subprocess.run([str(exe), "solve", "qkp:n=8", "--time-limit", "-1"], capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr


# ============================================================================ edges (issue 12)
ROOT = Path(__file__).resolve().parents[2]
#: `alliance` as its console script runs it, on the sources of this tree (run from its root)
ALLIANCE = [sys.executable, "-c", "import sys; from benchmarks.cli import main; sys.exit(main(sys.argv[1:]))"]


def test_a_reader_that_closes_the_pipe_is_not_an_error():
    """`alliance solve ... | head -1`: the reader is gone before anything is written (the worst case
    of head), so every write fails with EPIPE; the run ends quietly with 141, as after SIGPIPE."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(ALLIANCE + ["solve", "qkp:n=8,seed=1"], stdout=write_end, stderr=subprocess.PIPE,
                              text=True, timeout=120, cwd=ROOT)
    finally:
        os.close(write_end)
    assert proc.stderr == "" and proc.returncode == 141, (proc.returncode, proc.stderr)


def test_stage_lines_show_full_values(capsys):
    from optimizer import solve

    assert main(["solve", "qkp:n=30,density=100,seed=1", "--solver", "auto"]) == 0
    stages = [line for line in capsys.readouterr().out.splitlines() if line.startswith("stage")]
    objective = solve(generate_qkp(30, 100, seed=1)).objective
    assert objective > 10_000   # where 4 significant digits showed 1.559e+04
    assert any(f"objective={objective:.10g}," in line for line in stages), stages
    assert not any("e+" in line for line in stages), stages


def test_json_output_is_one_object_with_exact_values(capsys):
    import json

    from optimizer import solve

    assert main(["solve", "qkp:n=30,density=100,seed=1", "--json"]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)          # stdout holds the JSON object and nothing else
    assert out.count("\n") == 1 and err == ""
    result = solve(generate_qkp(30, 100, seed=1))
    assert data["termination"] == "optimal" and data["objective"] == result.objective
    assert data["bound"] == result.bound and data["gap"] == result.gap
    assert data["items"] == [int(i) for i in result.x.nonzero()[0]] and data["selected"] == list(result.selected)
    assert [s["stage"] for s in data["stages"]] == [s["stage"] for s in result.stages]
    cuts = data["stages"][0]
    assert cuts["stage"] == "breakpoints" and isinstance(cuts["cuts"], int) and isinstance(cuts["seconds"], float)
    assert data["total_seconds"] == data["build_seconds"] + data["solve_seconds"]


def test_json_output_of_a_scenario_with_the_solver_log(capsys):
    """A scenario adds its metrics; --verbose sends the solver's log to stderr, stdout stays JSON."""
    import json

    assert main(["solve", "alliance:n=8,seed=1", "--json", "--solver", "highs", "--verbose"]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["metrics"]["size"] == len(data["selected"]) and data["solver"] == "highs"
    assert err.strip(), "the solver log should be on stderr"


def test_write_solution_writes_one_row_per_item(tmp_path, capsys):
    import csv

    from optimizer import solve

    path = tmp_path / "solution.csv"
    assert main(["solve", "qkp:n=12,seed=3", "--write-solution", str(path)]) == 0
    rows = list(csv.DictReader(path.open(newline="")))
    problem = generate_qkp(12, 50, seed=3)
    assert [r["item"] for r in rows] == [str(i) for i in range(problem.n)]
    assert [r["name"] for r in rows] == list(problem.names)
    assert [int(r["selected"]) for r in rows] == solve(problem).x.tolist()


def test_write_solution_of_a_scenario_names_its_items(tmp_path, capsys):
    import csv

    path = tmp_path / "solution.csv"
    assert main(["solve", "alliance:n=8,seed=1", "--write-solution", str(path)]) == 0
    out = capsys.readouterr().out
    chosen = [r["name"] for r in csv.DictReader(path.open(newline="")) if r["selected"] == "1"]
    assert chosen and all(name in out for name in chosen)


def test_write_solution_of_a_bundle_joins_back_to_its_candidates(tmp_path, capsys):
    # it once wrote item,name,selected only: no candidate id to join on, no engagement level
    import csv

    from instances import generate_alliance, write_scenario
    from optimizer import solve

    scenario = generate_alliance(12, seed=5, levels=True, foreign_value=True)
    write_scenario(scenario, tmp_path / "bundle")
    path = tmp_path / "solution.csv"
    assert main(["solve", str(tmp_path / "bundle"), "--write-solution", str(path)]) == 0
    rows = list(csv.DictReader(path.open(newline="")))
    assert list(rows[0]) == ["item", "id", "level", "name", "selected"]
    assert {r["id"] for r in rows} == set(scenario.ids)              # every candidate, no auxiliary item
    assert all(r["level"] in ("membership", "joint_programme") for r in rows)
    chosen = {(r["id"], r["level"]) for r in rows if r["selected"] == "1"}
    partners = solve(scenario).report.partners()
    assert chosen == set(zip(partners["id"].astype(str), partners["level"]))


def test_solvers_lists_auto_first_in_aligned_columns(capsys):
    from optimizer.solvers import REGISTRY

    assert main(["solvers"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("auto ") and "branch and bound" in lines[1]
    listed = [line.split()[0] for line in lines[1:]]
    assert all(name in listed for name in REGISTRY if name != "pyomo")
    longest = max(len(name) for name in listed)
    # every column starts at the same place on every line, whatever the length of the names
    for column in ("runs here", "formulations", "detail"):
        start = lines[0].index(column)
        assert start > longest
        assert all(line[start - 2:start] == "  " and line[start] != " " for line in lines[1:]), column


def test_solve_help_lists_the_registries():
    import formulations
    from benchmarks.cli import build_parser
    from optimizer.solvers import REGISTRY

    sub = next(a for a in build_parser()._actions if getattr(a, "choices", None) and "solve" in a.choices)
    actions = {a.dest: a for a in sub.choices["solve"]._actions}
    solver_help = " ".join(actions["solver"].help.split())
    assert all(name in solver_help for name in REGISTRY)
    assert "auto" in solver_help and "branch and bound" in solver_help
    assert all(name in actions["formulation"].help for name in formulations.REGISTRY)


def test_json_bound_is_a_float_whichever_solver_answered(capsys):
    # HiGHS's integral bounds once came out as JSON integers while auto's were floats
    import json

    for solver in ("highs", "auto"):
        assert main(["solve", "qkp:n=20,density=50,seed=2", "--json", "--solver", solver]) == 0
        data = json.loads(capsys.readouterr().out)
        assert isinstance(data["bound"], float) and isinstance(data["objective"], float), solver
