"""Catalogue of bad inputs: every way a user can hand the engine something wrong, and what it says.

Each case makes one bad input (a file written in a temporary folder, an API call, a command
line), names the documented error type, and lists words the message must contain: WHAT is
wrong, WHERE (file and line, or row and column, key, field or index) and WHAT WOULD BE
ACCEPTED. Command-line cases must exit with status 2 and print exactly one line on stderr,
never a traceback. Cases marked "regression" are inputs that once crashed with another
exception or were silently accepted (most found by tests/test_reader_fuzzing.py).

Documented error types and where each is raised
-----------------------------------------------

``optimizer.ProblemError`` (also a ``ValueError``)
    ``optimizer.SelectionProblem(...)`` (optimizer/core/problem.py: field, index and fix);
    ``Scenario(...)``, ``Scenario.replace`` and ``Scenario.variant(...)`` (optimizer/domain/scenario.py,
    optimizer/domain/variants.py: "variant '<name>': ..."); ``Scenario.compile``; ``optimizer.analysis.compare`` and
    ``optimizer.frontier`` arguments (optimizer/analysis/compare.py); ``solve(..., warm_start=...)``.
``ValueError`` (plain)
    ``optimizer.engine.solve`` options ``time_limit``, ``mip_gap``, ``threads``, ``seed``, ``memory_limit``
    (optimizer/engine/solve.py), also when they reach it through ``compare``/``frontier``.
``optimizer.FormulationError`` (also a ``ValueError``)
    ``optimizer.solve(formulation=...)``: unknown formulation, or one the solver does not take.
``optimizer.SolverUnavailableError``
    ``optimizer.solve(solver=...)``: unknown solver, or one that cannot run here
    (optimizer/solvers/__init__.py).
``instances.InstanceFormatError`` (also a ``ValueError``; ``.path``, ``.line``, ``.row``, ``.column``, ``.key``)
    ``instances.read_qkp`` (instances/qkp.py: Billionnet-Soutif and edge-list files, "file:line: ...");
    ``instances.read_scenario`` (instances/bundle/: scenario.toml by line and key, candidates.csv
    and pairs.csv by line, spreadsheet row and column); ``instances.read_comparison``
    (instances/comparison.py: line and key such as ``variant[2].size_max``).
``benchmarks.harness.instance_sets.SuiteError`` (also a ``ValueError``)
    ``benchmarks.harness.suite.build_suite(file, **options)`` (benchmarks/harness/suite.py: "file:line: key ..." or
    "command line: ..."), ``Suite.cells()`` (unknown solvers), instance-set specs
    (``benchmarks.harness.instance_sets.resolve``) and reference CSVs
    (``benchmarks.harness.instance_sets.read_reference``: "file, line N: column ...").
Command line (``alliance``, benchmarks/cli.py ``main``)
    every error above, and argparse's, is printed as one line ``alliance: error: ...`` on stderr
    with exit status 2 (a solver failure exits with 1).
"""

from __future__ import annotations

import functools
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks.cli import main
from benchmarks.harness.instance_sets import SuiteError, read_reference, resolve
from benchmarks.harness.store import ResultsStore, open_existing
from benchmarks.harness.suite import build_suite
from instances import InstanceFormatError, read_comparison, read_qkp, read_scenario
from optimizer import FormulationError, ProblemError, SelectionProblem, SolverUnavailableError, compare, frontier, solve

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "alliance-60"


# ============================================================================ producing bad inputs
def _problem(**changes: Any) -> SelectionProblem:
    return SelectionProblem(**{"c": [1.0, 2.0, 3.0], **changes})


def _small() -> SelectionProblem:
    return SelectionProblem(c=[1.0, 2.0, 3.0], pair_i=[0], pair_j=[1], pair_q=[1.0], A=[[1, 1, 1]], b=[2])


@functools.cache
def _scenario():
    """The example bundle, read once (a Scenario is never changed in place: variants are new ones)."""
    return read_scenario(EXAMPLE)


def _file(tmp: Path, name: str, text: str | bytes) -> Path:
    path = tmp / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _bundle(tmp: Path, **edits: Callable[[str], str]) -> Path:
    """A copy of the example bundle with files edited: scenario=..., candidates=..., pairs=..."""
    folder = tmp / "bundle"
    shutil.copytree(EXAMPLE, folder)
    for key, edit in edits.items():
        path = folder / {"scenario": "scenario.toml", "candidates": "candidates.csv", "pairs": "pairs.csv"}[key]
        old = path.read_text(encoding="utf-8")
        new = edit(old)
        assert new != old, f"the edit of {path.name} changed nothing"
        path.write_text(new, encoding="utf-8")
    return folder


def _sub(old: str, new: str) -> Callable[[str], str]:
    return lambda text: text.replace(old, new, 1)


def _cell(row: int, column: str, value: str) -> Callable[[str], str]:
    """Set one cell of a CSV (row as a spreadsheet numbers it: header = 1)."""
    def edit(text: str) -> str:
        lines = text.splitlines()
        k = lines[0].split(",").index(column)
        cells = lines[row - 1].split(",")
        cells[k] = value
        lines[row - 1] = ",".join(cells)
        return "\n".join(lines) + "\n"
    return edit


def _comparison(tmp: Path, text: str) -> Path:
    shutil.copytree(EXAMPLE, tmp / "alliance-60")
    return _file(tmp, "cmp.toml", text)


CMP_HEAD = 'base = "alliance-60"\n'
VARIANT = '[[variant]]\nname = "lean"\nscale_limits = { budget = 0.7 }\n'
# a QKP file of each format, and an edge-list file with two budgets
BS = "3\n1 2 3\n1 2\n3\n\n5\n1 1 1\n"
EDGE = "3 2 int\n0 1 2\n1 1 4\n1 1 1\n5\n"
EDGE2 = "3 1 int\n0 1 2\n1 1 1\n5 6\n"


# ============================================================================ the catalogue
@dataclass(frozen=True)
class Case:
    id: str
    run: Callable[[Path], Any]          # makes the bad input in a temporary folder and hands it over
    error: type[BaseException]          # the documented error type
    words: tuple[str, ...]              # the message names what is wrong, where, and what is accepted


def case(id: str, error: type[BaseException], words: str | tuple[str, ...], run: Callable[[Path], Any]) -> Case:
    return Case(id, run, error, (words,) if isinstance(words, str) else tuple(words))


CASES: list[Case] = [
    # ------------------------------------------------------------------ Python API: SelectionProblem
    case("problem: c holds NaN", ProblemError, ("c[1] is nan", "finite number", "replace NaN/inf"),
         lambda t: _problem(c=[1, math.nan, 3])),
    case("problem: c holds text", ProblemError, ("c: cannot read as numbers", "pass numeric values"),
         lambda t: _problem(c=["a", 1])),
    case("problem: pair arrays of different lengths", ProblemError,
         ("pair_i, pair_j, pair_q must have equal lengths", "got 1, 2, 1", "needs an i, a j and a value q"),
         lambda t: _problem(pair_i=[0], pair_j=[1, 2], pair_q=[1])),
    case("problem: pair index out of range", ProblemError, ("pair_j[0] refers to item 5", "0..2", "n=3"),
         lambda t: _problem(pair_i=[0], pair_j=[5], pair_q=[1])),
    case("problem: pair of an item with itself", ProblemError, ("pair 0 has i == j == 1", "into c[1]"),
         lambda t: _problem(pair_i=[1], pair_j=[1], pair_q=[1])),
    case("problem: pair with i > j", ProblemError, ("pair 0 is (2, 1)", "with i < j"),
         lambda t: _problem(pair_i=[2], pair_j=[1], pair_q=[1])),
    case("problem: pair given twice", ProblemError, ("pairs 0 and 1 both give (0, 1)", "add their values"),
         lambda t: _problem(pair_i=[0, 0], pair_j=[1, 1], pair_q=[1, 2])),
    case("problem: fractional item index", ProblemError, ("pair_i: entry 0 is 0.5", "integer item index"),
         lambda t: _problem(pair_i=[0.5], pair_j=[1], pair_q=[1])),
    case("problem: A with too few columns", ProblemError, ("A has 2 columns", "3 items", "one coefficient per item"),
         lambda t: _problem(A=[[1, 1]], b=[1])),
    case("problem: A without b", ProblemError, ("A and b must be given together",),
         lambda t: _problem(A=[[1, 1, 1]])),
    case("problem: empty size range", ProblemError, ("size_min=3 > size_max=1", "lower size_min or raise size_max"),
         lambda t: _problem(size_min=3, size_max=1)),
    case("problem: fractional size_max", ProblemError, ("size_max is 1.5", "whole number >= 0"),
         lambda t: _problem(size_max=1.5)),
    case("problem: size_max beyond int64 (regression: TypeError)", ProblemError,
         ("size_max is 100000000000000000000", "below 2**63"), lambda t: _problem(size_max=10 ** 20)),
    case("problem: conflict of an item with itself", ProblemError,
         ("conflicts[0] pairs item 1 with itself", "use forced_out"), lambda t: _problem(conflicts=[(1, 1)])),
    case("problem: item forced in and out", ProblemError,
         ("item 1 is in both forced_in and forced_out", "remove it from one"),
         lambda t: _problem(forced_in=[1], forced_out=[1])),
    case("problem: duplicate item names", ProblemError, ("names[2] = 'a' is used twice", "must be unique"),
         lambda t: _problem(names=("a", "b", "a"))),
    case("problem: empty cover", ProblemError, ("covers[0] is empty", "add items or drop the cover"),
         lambda t: _problem(covers=[[]])),
    case("problem: groups given flat", ProblemError, ("groups: expected a list of index lists", "[[0, 3], [5, 6, 7]]"),
         lambda t: _problem(groups=np.array([0, 1]))),

    # ------------------------------------------------------------------ Python API: solve() options
    case("solve: negative time_limit", ValueError, ("time_limit", "got -1", "positive number of seconds"),
         lambda t: solve(_small(), time_limit=-1)),
    case("solve: NaN time_limit", ValueError, ("time_limit", "got nan", "positive number of seconds"),
         lambda t: solve(_small(), time_limit=math.nan)),
    case("solve: mip_gap of 1", ValueError, ("mip_gap", "got 1", "[0, 1)"), lambda t: solve(_small(), mip_gap=1)),
    case("solve: zero threads", ValueError, ("threads", "got 0", "whole number >= 1"),
         lambda t: solve(_small(), threads=0)),
    case("solve: fractional seed", ValueError, ("seed must be a whole number >= 0", "got 1.5"),
         lambda t: solve(_small(), seed=1.5)),
    case("solve: negative seed (regression: numpy's message naming nothing)", ValueError,
         ("seed must be a whole number >= 0", "got -1", "seed=0"), lambda t: solve(_small(), seed=-1)),
    case("solve: negative seed with the heuristic (regression: ended as a solver error)", ValueError,
         ("seed must be a whole number >= 0", "got -1"), lambda t: solve(_small(), solver="heuristic", seed=-1)),
    case("generate_qkp: negative seed", ProblemError, ("seed must be a whole number >= 0", "got -3"),
         lambda t: __import__("instances").generate_qkp(10, 50, seed=-3)),
    case("generate_alliance: negative seed", ProblemError, ("seed must be a whole number >= 0", "got -3"),
         lambda t: __import__("instances").generate_alliance(10, seed=-3)),
    case("generate_collaboration_qkp: text seed", ProblemError, ("seed must be a whole number >= 0", "got '7'"),
         lambda t: __import__("instances").generate_collaboration_qkp(50, seed="7")),
    case("solve: warm start of names that are not items (regression: could not convert string to float)",
         ProblemError, ("warm_start names 'Lyon'", "not an item of the problem", "'x0'", "0/1 value per item"),
         lambda t: solve(_small(), warm_start=("Lyon", "Grenoble"))),
    case("solve: warm start name one letter off", ProblemError, ("warm_start names 'x9'", "did you mean"),
         lambda t: solve(_small(), warm_start=["x0", "x9"])),
    case("solve: warm start that is not numbers", ProblemError,
         ("warm_start must be one 0/1 value per item (3 values) or the names of the chosen items", "None"),
         lambda t: solve(_small(), warm_start=[1, None, {}])),
    case("problem: size_min above the item count, no size_max set (regression: quoted a size_max never set)",
         ProblemError, ("size_min=5 is more than the 3 items there are", "at most 3"),
         lambda t: _problem(size_min=5)),
    case("solve: zero memory_limit", ValueError, ("memory_limit", "got 0", "positive number of MB"),
         lambda t: solve(_small(), memory_limit=0)),
    case("solve: unknown solver", SolverUnavailableError, ("unknown solver 'simplex9000'", "known solvers", "highs"),
         lambda t: solve(_small(), solver="simplex9000")),
    case("solve: pyomo without a solver name", SolverUnavailableError, ("'pyomo' needs a Pyomo solver name",
                                                                        "'pyomo:highs'"),
         lambda t: solve(_small(), solver="pyomo")),
    case("solve: unknown formulation", FormulationError, ("unknown formulation 'cubic'", "known: auto", "standard"),
         lambda t: solve(_small(), formulation="cubic")),
    case("solve: formulation for a direct solver", FormulationError,
         ("solver 'bruteforce' works on the problem directly", "formulation='auto'"),
         lambda t: solve(_small(), solver="bruteforce", formulation="glover")),
    case("solve: warm start of the wrong length", ProblemError,
         ("warm_start has shape (2,)", "expected (3,)", "one 0/1 value per item"),
         lambda t: solve(_small(), warm_start=[1, 0])),

    # ------------------------------------------------------------------ Python API: Scenario.variant()
    case("variant: unknown change", ProblemError,
         ("variant 'v'", "unknown change 'budgt'", "accepted:", "budget=", "scale_limits="),
         lambda t: _scenario().variant("v", budgt=10)),
    case("variant: limit that is not a number", ProblemError,
         ("variant 'v'", "budget = 'lots' is not a number", "expected a number"),
         lambda t: _scenario().variant("v", budget="lots")),
    case("variant: scale_limits not a table", ProblemError,
         ("scale_limits takes a table", "{'budget': 0.8}", "got 0.5"),
         lambda t: _scenario().variant("v", scale_limits=0.5)),
    case("variant: unknown limit in scale_limits", ProblemError,
         ("scale_limits['staff']: no such limit", "budget, management, diffusion"),
         lambda t: _scenario().variant("v", scale_limits={"staff": 2})),
    case("variant: force_in of an unknown id", ProblemError,
         ("force_in names unknown candidate id 'C999'", "id column", "'C001'"),
         lambda t: _scenario().variant("v", force_in=["C999"])),
    case("variant: breadth out of range", ProblemError, ("strategy.breadth is 2.0", "[0, 1]"),
         lambda t: _scenario().variant("v", breadth=2)),
    case("variant: negative reputation weight", ProblemError, ("strategy.reputation_weight is -1.0", ">= 0"),
         lambda t: _scenario().variant("v", reputation_weight=-1)),
    case("variant: fractional size_min (regression: silently truncated)", ProblemError,
         ("peers: size_min is 1.5", "whole number of partners"), lambda t: _scenario().variant("v", size_min=1.5)),
    case("variant: domain weight that is text (regression: bare float() message)", ProblemError,
         ("domain_weights['biology'] = 'a' is not a number", "expected a number"),
         lambda t: _scenario().variant("v", domain_weights={"biology": "a"})),
    case("variant: limit too large for a float (regression: OverflowError)", ProblemError,
         ("variant 'v': budget", "too large", "ordinary size"),
         lambda t: _scenario().variant("v", budget=10 ** 400)),
    case("variant: subsidy above one", ProblemError, ("policy.subsidies['C001'] is 2", "in [0, 1]"),
         lambda t: _scenario().variant("v", subsidies={"C001": 2})),
    case("variant: policy key that matches nothing", ProblemError,
         ("key 'Atlantis'", "neither a candidate id nor one of", "region:<value>"),
         lambda t: _scenario().variant("v", bonus={"Atlantis": 1})),

    # ------------------------------------------------------------------ Python API: compare() and frontier()
    case("compare: no scenarios", ProblemError, ("compare() needs at least one scenario",), lambda t: compare([])),
    case("compare: two scenarios of one name", ProblemError,
         ("two scenarios are named 'base case'", "give each variant its own name"),
         lambda t: compare([_scenario(), _scenario()])),
    case("compare: not a scenario", ProblemError, ("compare(): 'problem' is a SelectionProblem, not a Scenario",),
         lambda t: compare([_small()])),
    case("compare: bad solve option", ValueError, ("time_limit", "got -1", "positive number of seconds"),
         lambda t: compare([_scenario()], time_limit=-1)),
    case("frontier: unknown setting", ProblemError,
         ("frontier: cannot vary 'staff'", "budget, management, diffusion", "cost_weight"),
         lambda t: frontier(_scenario(), vary="staff")),
    case("frontier: negative limit", ProblemError, ("frontier: budget = -1.0", "a finite number >= 0"),
         lambda t: frontier(_scenario(), values=[-1])),
    case("frontier: repeated values", ProblemError, ("values repeat", "give distinct values"),
         lambda t: frontier(_scenario(), values=[50, 50])),

    # ------------------------------------------------------------------ QKP files (both formats)
    case("qkp: no such file", InstanceFormatError, ("nofile.txt", "no such file", "Billionnet-Soutif or edge-list"),
         lambda t: read_qkp(t / "nofile.txt")),
    case("qkp: empty file", InstanceFormatError, ("bad.txt:1", "file is empty", "expected n on the first line"),
         lambda t: read_qkp(_file(t, "bad.txt", ""))),
    case("qkp: binary file", InstanceFormatError, ("bad.txt", "not a text file", "byte 0", "QKP text file"),
         lambda t: read_qkp(_file(t, "bad.txt", b"\xff\xfe\x00\x01"))),
    case("qkp: file name too long (regression: OSError)", InstanceFormatError,
         ("cannot be used as a file name", "QKP text file"), lambda t: read_qkp(t / ("q" * 300))),
    case("qkp-bs: fractional n", InstanceFormatError, ("bad.txt:1", "n must be a whole number >= 1", "'2.5'"),
         lambda t: read_qkp(_file(t, "bad.txt", "2.5\n"))),
    case("qkp-bs: profit that is not a number", InstanceFormatError,
         ("bad.txt:2", "'x' is not a number", "reading linear profits"),
         lambda t: read_qkp(_file(t, "bad.txt", BS.replace("1 2 3", "1 x 3")))),
    case("qkp-bs: NaN weight", InstanceFormatError, ("bad.txt:7", "'nan' is not a finite number", "reading weights"),
         lambda t: read_qkp(_file(t, "bad.txt", BS.replace("1 1 1", "1 nan 1")))),
    case("qkp-bs: file ends early", InstanceFormatError,
         ("bad.txt:3", "file ends early", "expected 3 pair profits (upper triangle) but found 2"),
         lambda t: read_qkp(_file(t, "bad.txt", "3\n1 2 3\n1 2\n"))),
    case("qkp-bs: extra numbers at the end", InstanceFormatError,
         ("bad.txt:6", "expected the capacity and 3 weights", "a leading constraint type 0", "found 5"),
         lambda t: read_qkp(_file(t, "bad.txt", BS + "9\n"))),
    case("qkp-bs: budget given for a single capacity", InstanceFormatError,
         ("bad.txt", "budget=0 was given", "single capacity", "leave budget out"),
         lambda t: read_qkp(_file(t, "bad.txt", BS), budget=0)),
    case("qkp-edge: bad first line", InstanceFormatError,
         ("bad.txt:1", "first line must be 'n m type'", "whole numbers n and m", "'3 x int'"),
         lambda t: read_qkp(_file(t, "bad.txt", "3 x int\n"))),
    case("qkp-edge: n written with an underscore (regression: read as 10)", InstanceFormatError,
         ("bad.txt:1", "'n m type'", "'1_0 0 int'"), lambda t: read_qkp(_file(t, "bad.txt", "1_0 0 int\n1 1\n5\n"))),
    case("qkp-edge: item index out of range", InstanceFormatError,
         ("bad.txt:2", "item indices must be whole numbers in 0..2 (0-based)", "'0 5 2'"),
         lambda t: read_qkp(_file(t, "bad.txt", EDGE.replace("0 1 2", "0 5 2")))),
    case("qkp-edge: pair given twice", InstanceFormatError,
         ("bad.txt:3", "pair (0, 1) given twice", "also on line 2", "list each pair once"),
         lambda t: read_qkp(_file(t, "bad.txt", EDGE.replace("1 1 4", "1 0 4")))),
    case("qkp-edge: triple with two numbers", InstanceFormatError,
         ("bad.txt:2", "expected 3 numbers (i j utility), found 2", "'0 1'"),
         lambda t: read_qkp(_file(t, "bad.txt", EDGE.replace("0 1 2", "0 1")))),
    case("qkp-edge: huge n (regression: MemoryError)", InstanceFormatError,
         ("bad.txt:2", "expected 99999999999999 numbers", "weights"),
         lambda t: read_qkp(_file(t, "bad.txt", "99999999999999 0 int\n1\n5\n"))),
    case("qkp-edge: several budgets and none chosen", InstanceFormatError,
         ("bad.txt:4", "lists 2 budgets (5 6)", "budget=0..1", "--budget"),
         lambda t: read_qkp(_file(t, "bad.txt", EDGE2))),
    case("qkp-edge: budget out of range", InstanceFormatError,
         ("bad.txt:4", "budget=7 is not one of the file's budgets", "0..1"),
         lambda t: read_qkp(_file(t, "bad.txt", EDGE2), budget=7)),
    case("qkp-edge: text after the budgets", InstanceFormatError,
         ("bad.txt:6", "unexpected text after the budgets line"),
         lambda t: read_qkp(_file(t, "bad.txt", EDGE + "more\n"))),

    # ------------------------------------------------------------------ scenario bundles
    case("bundle: no such folder", InstanceFormatError,
         ("nowhere", "no such folder", "scenario.toml and candidates.csv"), lambda t: read_scenario(t / "nowhere")),
    case("bundle: candidates.csv missing", InstanceFormatError,
         ("candidates.csv", "missing", "needs scenario.toml and candidates.csv"),
         lambda t: read_scenario(_bundle_without(t, "candidates.csv"))),
    case("bundle: TOML syntax error", InstanceFormatError,
         ("scenario.toml:9", "TOML syntax error", "docs/scenario-format.md"),
         lambda t: read_scenario(_bundle(t, scenario=_sub("diffusion = 0.64", "diffusion = = 0.64")))),
    case("bundle: misspelt key", InstanceFormatError,
         ("scenario.toml:10", "key 'focal.tech_chang'", "did you mean 'tech_change'", "accepted keys"),
         lambda t: read_scenario(_bundle(t, scenario=_sub("tech_change =", "tech_chang =")))),
    case("bundle: value out of range", InstanceFormatError,
         ("scenario.toml:9", "key 'focal.diffusion'", "1.5 is out of range", "in (0, 1]"),
         lambda t: read_scenario(_bundle(t, scenario=_sub("diffusion = 0.64", "diffusion = 1.5")))),
    case("bundle: integer too large for a float (regression: OverflowError)", InstanceFormatError,
         ("scenario.toml:9", "key 'focal.diffusion'", "too large", "in (0, 1]"),
         lambda t: read_scenario(_bundle(t, scenario=_sub("diffusion = 0.64", "diffusion = 1" + "0" * 400)))),
    case("bundle: integer of 5000 digits (regression: ValueError from tomllib)", InstanceFormatError,
         ("scenario.toml:9", "thousands of digits", "ordinary size"),
         lambda t: read_scenario(_bundle(t, scenario=_sub("diffusion = 0.64", "diffusion = 1" + "0" * 5000)))),
    case("bundle: size_max beyond int64 (regression: accepted, failed in the solver)", InstanceFormatError,
         ("scenario.toml:44", "key 'peers.size_max'", "too large", "at most 9223372036854775807"),
         lambda t: read_scenario(_bundle(t, scenario=_sub("size_max = 10", "size_max = 1" + "0" * 30)))),
    case("bundle: required column missing", InstanceFormatError,
         ("candidates.csv:1", "row 1", "column 'coord_cost'", "missing from the header", "needs the columns"),
         lambda t: read_scenario(_bundle(t, candidates=_sub(",coord_cost,", ",coordination,")))),
    case("bundle: cost that is not a number", InstanceFormatError,
         ("candidates.csv:2", "row 2", "column 'endowment'", "'lots' is not a number", "expected a number >= 0"),
         lambda t: read_scenario(_bundle(t, candidates=_cell(2, "endowment", "lots")))),
    case("bundle: NaN in a number column", InstanceFormatError,
         ("candidates.csv:3", "row 3", "column 'reputation'", "'nan' is not a number", "expected a number >= 0"),
         lambda t: read_scenario(_bundle(t, candidates=_cell(3, "reputation", "nan")))),
    case("bundle: reputation that overflows when weighted (regression: read, then inf at compile)",
         InstanceFormatError, ("candidates.csv:2", "row 2", "column 'reputation'",
                               "'1e308' is too large to compute with",
                               "limited to +-1e+15", "rescale"),
         lambda t: read_scenario(_bundle(t, candidates=_cell(2, "reputation", "1e308")))),
    case("bundle: budget beyond what solvers compute with", InstanceFormatError,
         ("scenario.toml", "limits.budget", "too large to compute with", "1e+15"),
         lambda t: read_scenario(_bundle(t, scenario=_sub("budget = ", "budget = 1e20 #")))),
    case("QKP file: weight beyond what solvers compute with", InstanceFormatError,
         ("big.txt:7", "'1e16' is too large to compute with", "1e+15"),
         lambda t: read_qkp(_file(t, "big.txt", BS.replace("1 1 1", "1 1e16 1")))),
    case("edge list: pair value beyond what solvers compute with", InstanceFormatError,
         ("big.txt:2", "'2e300' is too large to compute with"),
         lambda t: read_qkp(_file(t, "big.txt", EDGE.replace("0 1 2", "0 1 2e300").replace(" int", "")))),
    case("problem: a value beyond what solvers compute with", ProblemError,
         ("c[1] is 1e+16", "within +-1e+15", "rescale"), lambda t: _problem(c=[1.0, 1e16, 2.0])),
    case("scenario: reputation too large, set from Python", ProblemError,
         ("column 'reputation' row 0", "too large to compute with", "rescale"),
         lambda t: _scenario().replace(candidates=_scenario().candidates.assign(
             reputation=[1e300] + list(_scenario().candidates["reputation"].iloc[1:])))),
    case("bundle: knowledge level above 1", InstanceFormatError,
         ("candidates.csv:2", "column 'k_biology'", "'1.5' is too large", "knowledge level in [0, 1]"),
         lambda t: read_scenario(_bundle(t, candidates=_cell(2, "k_biology", "1.5")))),
    case("bundle: foreign flag that is no flag", InstanceFormatError,
         ("candidates.csv:2", "column 'foreign'", "'maybe' is not a flag", "true/false, yes/no or 1/0"),
         lambda t: read_scenario(_bundle(t, candidates=_cell(2, "foreign", "maybe")))),
    case("bundle: duplicate candidate id", InstanceFormatError,
         ("candidates.csv:3", "row 3", "column 'id'", "'C001' already appears in row 2", "ids must be unique"),
         lambda t: read_scenario(_bundle(t, candidates=_cell(3, "id", "C001")))),
    case("bundle: row with a missing cell", InstanceFormatError,
         ("candidates.csv:2", "row 2", "column 'use_diffusion'", "the row has 21 cells but the header has 22 columns",
          "a cell is missing"),
         lambda t: read_scenario(_bundle(t, candidates=_sub("Dresden ICT Cluster,", "")))),
    case("bundle: table separated by semicolons", InstanceFormatError,
         ("pairs.csv:1", "separated by semicolons", "comma-separated CSV"),
         lambda t: read_scenario(_bundle(t, pairs=lambda s: s.replace(",", ";")))),
    case("bundle: candidates not UTF-8", InstanceFormatError,
         ("candidates.csv:2", "not UTF-8 text", "save it as CSV UTF-8"),
         lambda t: read_scenario(_bundle_bytes(t, "candidates.csv", b"Dresden", b"Dr\xe9sden"))),
    case("bundle: pair with an unknown candidate", InstanceFormatError,
         ("pairs.csv:2", "row 2", "column 'a'", "unknown candidate id 'C999'", "id column of candidates.csv"),
         lambda t: read_scenario(_bundle(t, pairs=_cell(2, "a", "C999")))),
    case("bundle: pair of a candidate with itself", InstanceFormatError,
         ("pairs.csv:2", "column 'b'", "pairs candidate 'C001' with itself", "two different candidate ids"),
         lambda t: read_scenario(_bundle(t, pairs=_cell(2, "b", "C001")))),
    case("bundle: mandatory partner that is no candidate", InstanceFormatError,
         ("scenario.toml:53", "key 'constraints.mandatory'", "'C999' is not a candidate id"),
         lambda t: read_scenario(_bundle(t, scenario=_sub('mandatory = []', 'mandatory = ["C999"]')))),
    case("bundle: region cap on a region without candidates", InstanceFormatError,
         ("key 'constraints.region_caps.Atlantis'", "no candidate is in region 'Atlantis'",
          "scenario.toml:58", "regions are East Asia, Europe"),
         lambda t: read_scenario(_bundle(t, scenario=_sub("[constraints.region_caps]",
                                                          "[constraints.region_caps]\nAtlantis = 1")))),

    # ------------------------------------------------------------------ comparison files
    case("comparison: no such file", InstanceFormatError, ("none.toml", "no such file", "expected a comparison file"),
         lambda t: read_comparison(t / "none.toml")),
    case("comparison: not TOML", InstanceFormatError,
         ("cmp.toml:1", "not a TOML file", "expected a comparison file in TOML"),
         lambda t: read_comparison(_comparison(t, "3\n1 2 3\n"))),
    case("comparison: base missing", InstanceFormatError,
         ("cmp.toml", "missing key 'base'", 'base = "alliance-60"'),
         lambda t: read_comparison(_comparison(t, VARIANT))),
    case("comparison: base not found", InstanceFormatError,
         ("cmp.toml:1", "key 'base'", "'elsewhere' not found", "holding scenario.toml and candidates.csv"),
         lambda t: read_comparison(_comparison(t, 'base = "elsewhere"\n' + VARIANT))),
    case("comparison: base name too long (regression: OSError)", InstanceFormatError,
         ("cmp.toml:1", "key 'base'", "not a usable folder name", "path of a scenario bundle folder"),
         lambda t: read_comparison(_comparison(t, f'base = "{"b" * 300}"\n' + VARIANT))),
    case("comparison: no variants", InstanceFormatError, ("cmp.toml", "no [[variant]] tables", "at least one"),
         lambda t: read_comparison(_comparison(t, CMP_HEAD))),
    case("comparison: variant without a name", InstanceFormatError,
         ("cmp.toml:2", "key 'variant[1]'", "variant 1 has no name", 'name = "..."'),
         lambda t: read_comparison(_comparison(t, CMP_HEAD + "[[variant]]\nbudget = 80\n"))),
    case("comparison: two variants of one name", InstanceFormatError,
         ("cmp.toml:6", "key 'variant[2].name'", "already used by variant 1", "a name of its own"),
         lambda t: read_comparison(_comparison(t, CMP_HEAD + VARIANT + VARIANT))),
    case("comparison: misspelt variant field", InstanceFormatError,
         ("cmp.toml:4", "key 'variant[1].budgt'", "did you mean 'budget'", "accepted fields of a [[variant]]"),
         lambda t: read_comparison(_comparison(t, CMP_HEAD + '[[variant]]\nname = "x"\nbudgt = 3\n'))),
    case("comparison: fractional size_max", InstanceFormatError,
         ("cmp.toml:4", "key 'variant[1].size_max'", "expected a whole number >= 0", "2.5"),
         lambda t: read_comparison(_comparison(t, CMP_HEAD + '[[variant]]\nname = "x"\nsize_max = 2.5\n'))),
    # a variant the model refuses (huge size_max, text weight) is kept as invalid, not raised:
    # tests/instances/test_comparison.py::test_a_variant_the_model_refuses_is_kept_as_invalid_and_the_others_are_read
    case("comparison: output outside the folder", InstanceFormatError,
         ("cmp.toml:2", "key 'output'", "leads out of the comparison file's folder", "give a relative path"),
         lambda t: read_comparison(_comparison(t, CMP_HEAD + 'output = "../elsewhere"\n' + VARIANT))),
    case("comparison: misspelt solve option", InstanceFormatError,
         ("cmp.toml:3", "key 'solve.timelimit'", "did you mean 'time_limit'", "accepted keys"),
         lambda t: read_comparison(_comparison(t, CMP_HEAD + "[solve]\ntimelimit = 3\n" + VARIANT))),
    case("comparison: mip_gap of 1", InstanceFormatError,
         ("cmp.toml:3", "key 'solve.mip_gap'", "out of range", "[0, 1)"),
         lambda t: read_comparison(_comparison(t, CMP_HEAD + "[solve]\nmip_gap = 1\n" + VARIANT))),
    case("comparison: unknown solver", InstanceFormatError,
         ("cmp.toml:3", "key 'solve.solver'", "unknown solver 'simplex9000'", "known solvers: auto"),
         lambda t: read_comparison(_comparison(t, CMP_HEAD + '[solve]\nsolver = "simplex9000"\n' + VARIANT))),

    # ------------------------------------------------------------------ benchmark suite files and instance sets
    case("suite: no such file", SuiteError, ("none.toml", "cannot read the suite file", "expected a TOML suite file"),
         lambda t: build_suite(t / "none.toml")),
    case("suite: not TOML", SuiteError, ("suite.toml:2", "not valid TOML", "key = value lines"),
         lambda t: build_suite(_file(t, "suite.toml", "seed = 1\nrepeat = = 2\n"))),
    case("suite: TOML cut short", SuiteError, ("suite.toml:1", "not valid TOML", "at end of document"),
         lambda t: build_suite(_file(t, "suite.toml", "instances = [\n"))),
    case("suite: not text", SuiteError, ("suite.toml", "not text", "TOML saved as UTF-8"),
         lambda t: build_suite(_file(t, "suite.toml", b"\xff\xfe\x00"))),
    case("suite: unknown key", SuiteError, ("suite.toml:2", "unknown key 'instance'", "known keys: instances"),
         lambda t: build_suite(_file(t, "suite.toml", "seed = 1\ninstance = ['x']\n"))),
    case("suite: negative time limit", SuiteError,
         ("suite.toml:1", "time_limit = -1.0 is out of range", "positive number of seconds"),
         lambda t: build_suite(_file(t, "suite.toml", "time_limit = -1\n"))),
    case("suite: NaN time limit (regression: accepted)", SuiteError,
         ("suite.toml:1", "time_limit = nan", "positive number of seconds"),
         lambda t: build_suite(_file(t, "suite.toml", "time_limit = nan\n"))),
    case("suite: bad entry of a list", SuiteError,
         ("suite.toml:1", "mip_gap (entry 2 of 2) = 1.5 is out of range", "[0, 1)"),
         lambda t: build_suite(_file(t, "suite.toml", "mip_gap = [0, 1.5]\n"))),
    case("suite: fractional threads", SuiteError, ("suite.toml:1", "threads = 1.5", "should be a whole number"),
         lambda t: build_suite(_file(t, "suite.toml", "threads = 1.5\n"))),
    case("suite: empty solver list", SuiteError,
         ("suite.toml:1", "solvers is an empty list", "at least one value", 'solvers = ["auto", "highs"]'),
         lambda t: build_suite(_file(t, "suite.toml", "solvers = []\n"))),
    case("suite: memory limit too large for a float (regression: OverflowError)", SuiteError,
         ("suite.toml:1", "memory_limit", "too large", "positive number of MB"),
         lambda t: build_suite(_file(t, "suite.toml", "memory_limit = 1" + "0" * 400 + "\n"))),
    case("suite: NaN grace (regression: accepted, the suite ran)", SuiteError,
         ("suite.toml:1", "grace = nan", "zero or more seconds"),
         lambda t: build_suite(_file(t, "suite.toml", "grace = nan\n"))),
    case("suite: results that are not text", SuiteError, ("suite.toml:1", "results = 3", "text in quotes"),
         lambda t: build_suite(_file(t, "suite.toml", "results = 3\n"))),
    case("suite: bad option on the command line", SuiteError,
         ("command line", "repeat = 0 is out of range", "at least 1"),
         lambda t: build_suite(instances=["qkp:n=5"], repeat=0)),
    case("suite: unknown solver", SuiteError, ("unknown solver 'simplex9000'", "known solvers: auto, highs"),
         lambda t: build_suite(instances=["qkp:n=5"], solvers=["simplex9000"]).cells()),
    case("suite: name after a solver that takes none (regression: TypeError)", SuiteError,
         ("solver 'highs:fast'", "'highs' takes no ':<name>' suffix", "use 'highs'"),
         lambda t: build_suite(instances=["qkp:n=5"], solvers=["highs:fast"]).cells()),
    case("suite: pyomo without a solver name (regression: TypeError)", SuiteError,
         ("solver 'pyomo' needs a Pyomo solver name", "pyomo:highs"),
         lambda t: build_suite(instances=["qkp:n=5"], solvers=["pyomo"]).cells()),
    case("instance set: no such folder", SuiteError,
         ("instance set 'no/such/folder'", "no such file or folder", "qkp:n=300,density=50,seeds=1-5"),
         lambda t: resolve("no/such/folder")),
    case("instance set: name too long (regression: OSError)", SuiteError,
         ("cannot be used as a path", "a folder of QKP files"), lambda t: resolve("s" * 300)),
    case("instance set: unknown generator key", SuiteError,
         ("instance set 'qkp:n=10,dens=5'", "unknown key 'dens' in 'dens=5'",
          "keys for qkp: n=, density=, seed= (or seeds=1-5)"),
         lambda t: resolve("qkp:n=10,dens=5")),
    case("instance set: seeds backwards", SuiteError, ("seeds='5-1' runs backwards", "smaller seed first"),
         lambda t: resolve("qkp:n=10,seeds=5-1")),
    case("instance set: billions of seeds (regression: MemoryError)", SuiteError,
         ("seeds='1-99999999999'", "at most 100000", "seeds=1-10"), lambda t: resolve("qkp:n=10,seeds=1-99999999999")),

    # ------------------------------------------------------------------ reference CSVs
    case("reference: no instance column", SuiteError,
         ("ref.csv, line 1", "needs an 'instance' column", "'name', 'value'", "instance,value"),
         lambda t: read_reference(_file(t, "ref.csv", "name,value\na,1\n"))),
    case("reference: no value column", SuiteError,
         ("ref.csv, line 1", "value column named value, optimum or best_known", "'val'"),
         lambda t: read_reference(_file(t, "ref.csv", "instance,val\na,1\n"))),
    case("reference: value that is not a number", SuiteError,
         ("ref.csv, line 3", "column 'value'", "value='x' is not a number", "such as 1234.5"),
         lambda t: read_reference(_file(t, "ref.csv", "instance,value\na,1\nb,x\n"))),
    case("reference: NaN value (regression: accepted)", SuiteError,
         ("ref.csv, line 2", "column 'optimum'", "'nan' is not a finite number", "such as 1234.5"),
         lambda t: read_reference(_file(t, "ref.csv", "instance,optimum\na,nan\n"))),
    case("reference: instance listed twice", SuiteError,
         ("ref.csv, line 3", "instance 'a' listed twice with different values", "on line 2", "one line per instance"),
         lambda t: read_reference(_file(t, "ref.csv", "instance,value\na,1\na,2\n"))),
    case("reference: empty instance name", SuiteError,
         ("ref.csv, line 2", "column 'instance'", "empty instance name", "jeu_100_25_1"),
         lambda t: read_reference(_file(t, "ref.csv", "instance,value\n ,1\n"))),
    case("reference: row without a value cell", SuiteError,
         ("ref.csv, line 2", "column 'value' is missing", "fewer cells than the header"),
         lambda t: read_reference(_file(t, "ref.csv", "instance,value\na\n"))),
    case("reference: not text", SuiteError, ("ref.csv", "not text", "CSV of instance,value"),
         lambda t: read_reference(_file(t, "ref.csv", b"\xff\xfe\x00"))),
    case("reference: field too large for csv (regression: csv.Error)", SuiteError,
         ("ref.csv, line 2", "not readable as CSV", "field larger than field limit", "instance,value"),
         lambda t: read_reference(_file(t, "ref.csv", "instance,value\na," + "1" * 200_000 + "\n"))),
    # ------------------------------------------------------------------ solver names (issue 12)
    case("solve: a Gurobi name without pyomo:", SolverUnavailableError,
         ("unknown solver 'gurobi'", "did you mean 'pyomo:gurobi_direct'?", "known solvers: auto, highs"),
         lambda t: solve(_small(), solver="gurobi")),
    case("solve: a mistyped solver name", SolverUnavailableError,
         ("unknown solver 'hihgs'", "did you mean 'highs'?", "known solvers: auto, highs", "pyomo:<name>"),
         lambda t: solve(_small(), solver="hihgs")),
    case("comparison: unknown solver (regression: 'auto' listed apart from the others)", InstanceFormatError,
         ("cmp.toml", "unknown solver 'bogus'", "known solvers: auto, highs", "pyomo:<name>"),
         lambda t: read_comparison(_comparison(t, CMP_HEAD + '[solve]\nsolver = "bogus"\n' + VARIANT))),
    # ------------------------------------------------------------------ results stores, suites (issue 12)
    case("results store: another program's SQLite file (regression: tables added, switched to WAL)", SuiteError,
         ("notes.sqlite: not a results store", "no 'runs' table", "its tables: notes", "alliance bench run"),
         lambda t: open_existing(_foreign_database(t))),
    case("results store: a corrupted file (regression: an internal error after the runs)", SuiteError,
         ("r.sqlite: the results file is corrupted", "database disk image is malformed", ".recover",
          "give --results a new file"),
         lambda t: ResultsStore(_corrupted_store(t))),
    case("suite: no cells (regression: ran nothing and exited 0)", SuiteError,
         ("expands to no cells", "heuristic does not take formulation 'standard'", "--formulations auto"),
         lambda t: build_suite(instances=["qkp:n=5"], solvers=["heuristic"], formulations=["standard"]).cells()),
    case("suite: negative seed", SuiteError, ("suite.toml:1", "seed = -1", "a whole number >= 0"),
         lambda t: build_suite(_file(t, "suite.toml", "seed = -1\ninstances = ['qkp:n=5']\n"))),
]


def _bundle_without(tmp: Path, name: str) -> Path:
    folder = _bundle(tmp)
    (folder / name).unlink()
    return folder


def _bundle_bytes(tmp: Path, name: str, old: bytes, new: bytes) -> Path:
    folder = _bundle(tmp)
    data = (folder / name).read_bytes()
    assert old in data
    (folder / name).write_bytes(data.replace(old, new, 1))
    return folder


def _check_message(message: str, words: tuple[str, ...]) -> None:
    missing = [w for w in words if w not in message]
    assert not missing, f"message lacks {missing}:\n{message}"
    assert "Traceback" not in message


@pytest.mark.parametrize("bad", CASES, ids=[c.id for c in CASES])
def test_bad_input_raises_the_documented_error_with_a_clear_message(bad: Case, tmp_path):
    with pytest.raises(bad.error) as err:
        bad.run(tmp_path)
    _check_message(str(err.value), bad.words)


# ============================================================================ command-line cases
@dataclass(frozen=True)
class CliCase:
    id: str
    argv: Callable[[Path], list[str]]   # the arguments; may write the bad file first
    words: tuple[str, ...]


def cli(id: str, words: str | tuple[str, ...], argv: Callable[[Path], list[str]]) -> CliCase:
    return CliCase(id, argv, (words,) if isinstance(words, str) else tuple(words))


CLI_CASES: list[CliCase] = [
    cli("cli: no command", ("the following arguments are required: command", "alliance --help"), lambda t: []),
    cli("cli: unknown command", ("invalid choice: 'slove'", "choose from", "'solve'"), lambda t: ["slove"]),
    cli("cli: unknown option", ("unrecognized arguments: --bogus",), lambda t: ["solve", "qkp:n=5", "--bogus"]),
    cli("cli solve: no such file", ("nofile.txt", "no such file or folder", "qkp:n=60,density=50,seed=1"),
        lambda t: ["solve", str(t / "nofile.txt")]),
    cli("cli solve: bad QKP file", ("bad.txt:2", "'x' is not a number", "linear profits"),
        lambda t: ["solve", str(_file(t, "bad.txt", BS.replace("1 2 3", "1 x 3")))]),
    cli("cli solve: bad bundle", ("candidates.csv:2", "row 2", "column 'endowment'", "expected a number >= 0"),
        lambda t: ["solve", str(_bundle(t, candidates=_cell(2, "endowment", "lots")))]),
    cli("cli solve: edge list with two budgets", ("lists 2 budgets", "--budget on the command line"),
        lambda t: ["solve", str(_file(t, "two.txt", EDGE2))]),
    cli("cli solve: --budget on a bundle", ("--budget applies to edge-list QKP files", "not to scenario bundles"),
        lambda t: ["solve", str(EXAMPLE), "--budget", "1"]),
    cli("cli solve: bad generator spec", ("bad instance spec 'qkp:n=5,foo=1'", "unknown key 'foo'",
                                          "n=, density=, seed="),
        lambda t: ["solve", "qkp:n=5,foo=1"]),
    cli("cli solve: negative time limit", ("argument --time-limit", "expected a positive number", "'-1'"),
        lambda t: ["solve", "qkp:n=5", "--time-limit", "-1"]),
    cli("cli solve: mip gap of 2", ("argument --mip-gap", "relative gap in [0, 1)", "'2'"),
        lambda t: ["solve", "qkp:n=5", "--mip-gap", "2"]),
    cli("cli solve: zero threads", ("argument --threads", "whole number >= 1", "'0'"),
        lambda t: ["solve", "qkp:n=5", "--threads", "0"]),
    cli("cli solve: unknown solver", ("unknown solver 'simplex9000'", "known solvers", "highs"),
        lambda t: ["solve", "qkp:n=5", "--solver", "simplex9000"]),
    cli("cli solve: unknown formulation", ("unknown formulation 'cubic'", "known: auto"),
        lambda t: ["solve", "qkp:n=5", "--formulation", "cubic"]),
    cli("cli bench run: no such suite file", ("none.toml", "cannot read the suite file"),
        lambda t: ["bench", "run", str(t / "none.toml"), "--no-progress"]),
    cli("cli bench run: NaN grace (regression: the suite ran)", ("command line", "grace = nan", "zero or more seconds"),
        lambda t: ["bench", "run", "--instances", "qkp:n=5", "--grace", "nan", "--no-progress"]),
    cli("cli bench run: pyomo without a name (regression: internal error, exit 1)",
        ("solver 'pyomo' needs a Pyomo solver name", "pyomo:highs"),
        lambda t: ["bench", "run", "--instances", "qkp:n=5", "--solvers", "pyomo", "--no-progress"]),
    cli("cli bench run: bad reference file", ("ref.csv, line 1", "needs an 'instance' column"),
        lambda t: ["bench", "run", "--instances", "qkp:n=5", "--no-progress", "--reference",
                   str(_file(t, "ref.csv", "name,value\na,1\n"))]),
    cli("cli compare: no such file", ("none.toml", "no such file", "expected a comparison file"),
        lambda t: ["compare", str(t / "none.toml")]),
    cli("cli compare: misspelt variant field", ("cmp.toml:4", "variant[1].budgt", "did you mean 'budget'"),
        lambda t: ["compare", str(_comparison(t, CMP_HEAD + '[[variant]]\nname = "x"\nbudgt = 3\n'))]),
    cli("cli frontier: unknown setting", ("cannot vary 'staff'", "budget, management, diffusion", "cost_weight"),
        lambda t: ["frontier", str(EXAMPLE), "--vary", "staff"]),
    cli("cli frontier: values that are not numbers", ("argument --values", "'x'", "such as 50,80,120"),
        lambda t: ["frontier", str(EXAMPLE), "--values", "50,x"]),
    cli("cli solve: negative seed (regression: message named neither option nor value)",
        ("argument --seed", "expected a whole number >= 0", "'-1'"), lambda t: ["solve", "qkp:n=5", "--seed", "-1"]),
    cli("cli solve: negative seed with the heuristic (regression: a solver error, exit 1)",
        ("argument --seed", "expected a whole number >= 0", "'-1'"),
        lambda t: ["solve", "qkp:n=5", "--solver", "heuristic", "--seed", "-1"]),
    cli("cli solve: unknown solver lists auto (regression: the default was missing)",
        ("unknown solver 'bogus'", "known solvers: auto, highs", "alliance solvers"),
        lambda t: ["solve", "qkp:n=5", "--solver", "bogus"]),
    cli("cli solve: solution file in a missing folder", ("argument --write-solution", "does not exist", "create it"),
        lambda t: ["solve", "qkp:n=5", "--write-solution", str(t / "no" / "solution.csv")]),
    cli("cli solve: solution file that is a folder", ("argument --write-solution", "is a folder", "solution.csv"),
        lambda t: ["solve", "qkp:n=5", "--write-solution", str(t)]),
    cli("cli bench report: another program's SQLite file (regression: exit 0, tables added)",
        ("notes.sqlite: not a results store", "its tables: notes", "alliance bench run"),
        lambda t: ["bench", "report", "--results", str(_foreign_database(t)), "--out", str(t / "rep")]),
    cli("cli bench export: another program's SQLite file (regression: tables added)",
        ("notes.sqlite: not a results store", "its tables: notes"),
        lambda t: ["bench", "export", str(t / "runs.csv"), "--results", str(_foreign_database(t))]),
    cli("cli bench run: corrupted results file (regression: internal error, exit 1)",
        ("r.sqlite: the results file is corrupted", ".recover"),
        lambda t: ["bench", "run", "--instances", "qkp:n=5", "--solvers", "bruteforce", "--no-progress",
                   "--results", str(_corrupted_store(t))]),
    cli("cli bench run: a suite of no cells (regression: exit 0)",
        ("expands to no cells", "heuristic does not take formulation 'standard'"),
        lambda t: ["bench", "run", "--instances", "qkp:n=5", "--solvers", "heuristic", "--formulations", "standard",
                   "--no-progress"]),
    cli("cli bench run: negative seed", ("argument --seed", "expected a whole number >= 0", "'-2'"),
        lambda t: ["bench", "run", "--instances", "qkp:n=5", "--seed", "-2", "--no-progress"]),
]


@pytest.mark.parametrize("bad", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_bad_command_line_exits_2_with_one_line(bad: CliCase, tmp_path, capsys, monkeypatch):
    argv = bad.argv(tmp_path)
    monkeypatch.chdir(tmp_path)          # whatever a case would write lands in the temporary folder
    try:
        status = main(argv)
    except SystemExit as exc:            # argparse's errors exit from inside
        status = exc.code
    err = capsys.readouterr().err
    assert status == 2, f"exit status {status}, stderr: {err}"
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    assert lines[0].startswith("alliance: error: ")
    _check_message(err, bad.words)
    assert not (tmp_path / "results.sqlite").exists(), "a refused suite must not start a results store"


# ============================================================================ solver names
def test_solver_name_with_a_suffix_it_does_not_take():
    with pytest.raises(SolverUnavailableError, match="highs:fast"):
        solve(_small(), solver="highs:fast")


def test_frontier_with_no_points():
    from instances import read_scenario
    from optimizer import ProblemError, frontier

    with pytest.raises(ProblemError, match="points"):
        frontier(read_scenario(Path(__file__).resolve().parents[1] / "examples" / "alliance-60"), points=-1)


# ============================================================================ the catalogue's size
def test_the_catalogue_covers_at_least_40_bad_inputs():
    ids = [c.id for c in CASES] + [c.id for c in CLI_CASES] + ["solver-suffix", "frontier-points"]
    assert len(ids) == len(set(ids)), "case ids must be distinct"
    assert len(ids) >= 40, f"only {len(ids)} bad inputs in the catalogue"


# ============================================================================ results stores
def _foreign_database(tmp: Path) -> Path:
    """Another program's SQLite file: one table of its own, rollback journal."""
    import sqlite3

    path = tmp / "notes.sqlite"
    db = sqlite3.connect(path)
    with db:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    db.close()
    return path


def _corrupted_store(tmp: Path) -> Path:
    """A results store with a few of its pages overwritten."""
    path = tmp / "r.sqlite"
    with ResultsStore(path) as store:
        for i in range(100):
            store.record({"key": f"k{i}", "instance": "x", "error": "e" * 1000})
    data = bytearray(path.read_bytes())
    data[4096 * 5:4096 * 9] = bytes((i * 7) % 256 for i in range(4096 * 4))
    path.write_bytes(bytes(data))
    return path
