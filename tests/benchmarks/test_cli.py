"""The `alliance` command line: results on stdout, one-line errors with exit status 2, never a traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.cli import main, parse_spec
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
    assert main(["solve", str(path), "--solver", "highs", "--formulation", "glover", "--time-limit", "30", "--mip-gap", "0",
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
    (["solve", "qkp:n=0"], ["n must be"]),
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


def test_parse_spec():
    defaults = {"n": 100, "density": 50.0, "seed": 0, "levels": False}
    assert parse_spec("qkp:n=60, density=25 ,seed=1,levels=yes", defaults) == {
        "n": 60, "density": 25.0, "seed": 1, "levels": True}
    assert parse_spec("qkp:", defaults) == defaults
    with pytest.raises(ValueError, match="expected key=value"):
        parse_spec("qkp:=5", defaults)
    with pytest.raises(ValueError, match="unknown key 'foo'"):
        parse_spec("qkp:foo=1", defaults)
    with pytest.raises(ValueError, match="n='x' is not a int"):
        parse_spec("qkp:n=x", defaults)


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
