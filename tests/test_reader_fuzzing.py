"""Fuzzing of every file reader: mangled valid files and random bytes end in a valid result or in
the reader's documented error, never in another exception, and quickly.

Readers and the only errors they may raise (see tests/test_bad_inputs.py for the catalogue):

* ``instances.read_qkp`` (Billionnet-Soutif, both variants, and edge-list): ``InstanceFormatError``
* ``instances.read_scenario`` (bundle folder): ``InstanceFormatError``; a bundle that reads also
  compiles (``Scenario.compile``), or fails there with ``ProblemError``
* ``instances.read_comparison``: ``InstanceFormatError``
* ``benchmarks.harness.suite.build_suite(file)`` and ``Suite.cells()``: ``SuiteError``
* ``benchmarks.harness.instance_sets.read_reference``: ``SuiteError``

Each example writes its files with :mod:`tempfile` inside the test body (hypothesis runs many
examples per test, so pytest's per-test ``tmp_path`` would be shared by all of them). The
deadline (2 s per example) is the time bound; ``max_examples`` keeps the module near 30-60 s.

The last test greps the project's packages for unsafe deserialization (pickle, eval, exec,
yaml.load): readers must parse their formats, never execute them.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.harness.instance_sets import SuiteError, read_reference
from benchmarks.harness.suite import Suite, build_suite
from instances import ComparisonSpec, InstanceFormatError, generate_qkp, read_comparison, read_qkp, read_scenario
from instances.qkp import write_edge_list, write_qkp
from optimizer import ProblemError, Scenario, SelectionProblem

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "alliance-60"
BUNDLE_FILES = ("scenario.toml", "candidates.csv", "pairs.csv")

#: ALLIANCE_FUZZ_EXAMPLES=2000 runs a deeper search (the default keeps the module well under a minute)
EXAMPLES = int(os.environ.get("ALLIANCE_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=2000,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
FUZZ_SLOW = settings(FUZZ, max_examples=max(1, EXAMPLES * 2 // 3))   # readers of the 60-candidate bundle


# ----------------------------------------------------------------------------- mutations
#: what a number may be replaced by: NaN, infinities, negatives, huge values, text, separators, ...
REPLACEMENTS = [b"NaN", b"nan", b"inf", b"-inf", b"Infinity", b"-1", b"-0", b"0", b"1e309", b"-1e309",
                b"9" * 25, b"1" + b"0" * 400, b"1" + b"0" * 5000, b"1e-400", b"x", b"", b"1,5", b"0x10",
                b"1_000", b"\x00", b"true", b'"', b"[", b"=", b"\xc3\xa9", b"\xff", b"2.5", b"1 2"]
NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


@st.composite
def mutated(draw, data: bytes) -> bytes:
    """`data` after 1-4 random edits: delete, duplicate or swap lines, insert characters or bytes,
    truncate, or replace a number by one of REPLACEMENTS."""
    for op in draw(st.lists(st.sampled_from(["delete", "duplicate", "swap", "chars", "bytes", "truncate",
                                             "number", "number"]), min_size=1, max_size=4)):
        lines = data.splitlines(keepends=True)
        if op in ("delete", "duplicate", "swap") and lines:
            k = draw(st.integers(0, len(lines) - 1))
            if op == "delete":
                del lines[k]
            elif op == "duplicate":
                lines.insert(k, lines[k])
            else:
                j = draw(st.integers(0, len(lines) - 1))
                lines[k], lines[j] = lines[j], lines[k]
            data = b"".join(lines)
        elif op in ("chars", "bytes"):
            pos = draw(st.integers(0, len(data)))
            extra = draw(st.text(min_size=1, max_size=8)).encode("utf-8") if op == "chars" \
                else draw(st.binary(min_size=1, max_size=8))
            data = data[:pos] + extra + data[pos:]
        elif op == "truncate":
            data = data[:draw(st.integers(0, len(data)))]
        elif op == "number":
            spans = [m.span() for m in NUMBER.finditer(data)]
            if spans:
                a, b = spans[draw(st.integers(0, len(spans) - 1))]
                data = data[:a] + draw(st.sampled_from(REPLACEMENTS)) + data[b:]
    return data


def _random_bytes():
    """Bytes with no structure, and text with some: both must be refused cleanly."""
    return st.one_of(st.binary(max_size=600), st.text(max_size=300).map(lambda t: t.encode("utf-8")))


# ----------------------------------------------------------------------------- QKP files
def _qkp_seeds() -> list[bytes]:
    stored = b"4\n1 0 3 4\n5 0 2\n0 7\n1\n\n10\n2 3 4 5\n"
    published = b"my instance\n4\n1 0 3 4\n5 0 2\n0 7\n1\n\n0\n10\n2 3 4 5\n"
    edge = b"4 5 int\n0 0 3\n0 1 5\n1 3 7\n2 2 4\n3 2 -1\n2 3 4 5\n10 6\n"
    out = [stored, published, edge]
    with tempfile.TemporaryDirectory() as d:
        p = generate_qkp(9, 50, 3)
        for k, write in enumerate((lambda q, f: write_qkp(q, f), lambda q, f: write_qkp(q, f, published=True),
                                   lambda q, f: write_edge_list(q, f, budgets=[q.b[0], q.b[0] / 2]))):
            path = Path(d) / f"g{k}.txt"
            write(p, path)
            out.append(path.read_bytes())
    return out


QKP_SEEDS = _qkp_seeds()


def _check_qkp(data: bytes, budget: int | None) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "inst.txt"
        path.write_bytes(data)
        try:
            problem = read_qkp(path, budget=budget)
        except InstanceFormatError as exc:
            assert str(path) in str(exc), f"the message does not name the file: {exc}"
            return
        assert isinstance(problem, SelectionProblem)


@FUZZ
@given(data=st.sampled_from(QKP_SEEDS).flatmap(mutated), budget=st.sampled_from([None, None, 0, 1, 7, -1]))
def test_read_qkp_mutated(data, budget):
    _check_qkp(data, budget)


@FUZZ
@given(data=_random_bytes(), budget=st.sampled_from([None, 0]))
def test_read_qkp_random_bytes(data, budget):
    _check_qkp(data, budget)


# ----------------------------------------------------------------------------- scenario bundles
def _check_bundle(changes: dict[str, bytes | None]) -> None:
    """Copy the example bundle, overwrite (bytes) or delete (None) some files, read it."""
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d) / "bundle"
        shutil.copytree(EXAMPLE, folder)
        for name, data in changes.items():
            if data is None:
                (folder / name).unlink()
            else:
                (folder / name).write_bytes(data)
        try:
            scenario = read_scenario(folder)
        except InstanceFormatError as exc:
            assert str(folder) in str(exc), f"the message does not name the bundle's file: {exc}"
            return
        assert isinstance(scenario, Scenario)
        try:                                # the reader promises: a bundle that reads also compiles
            scenario.compile()
        except ProblemError:
            pass


@st.composite
def bundle_changes(draw) -> dict[str, bytes | None]:
    names = draw(st.lists(st.sampled_from(BUNDLE_FILES), min_size=1, max_size=2, unique=True))
    return {name: draw(mutated((EXAMPLE / name).read_bytes())) for name in names}


@FUZZ_SLOW
@given(changes=bundle_changes())
def test_read_scenario_mutated(changes):
    _check_bundle(changes)


@FUZZ_SLOW
@given(name=st.sampled_from(BUNDLE_FILES), data=st.one_of(_random_bytes(), st.none()))
def test_read_scenario_random_bytes_or_missing_file(name, data):
    _check_bundle({name: data})


# ----------------------------------------------------------------------------- comparison files
COMPARISON = b"""\
base = "alliance-60"
output = "report"
include_base = true
title = "Fuzz"

[solve]
time_limit = 30
mip_gap = 0.001
threads = 1
seed = 3
solver = "auto"
formulation = "auto"

[[variant]]
name = "lean budget"
scale_limits = { budget = 0.7 }
size_max = 4

[[variant]]
name = "reputation"
reputation_weight = 3.0
breadth = 0.2
force_in = ["C001"]
subsidies = { "region:Europe" = 0.5 }
bonus = { C002 = 0.2 }
foreign_share_min = 0.1
region_caps = { Europe = 3 }
domain_weights = { biology = 2.0 }

[[variant]]
name = "costly"
cost_weight = 2
management = 80
exclude = ["C003"]
"""


def _check_comparison(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "alliance-60").symlink_to(EXAMPLE, target_is_directory=True)   # read only
        path = Path(d) / "cmp.toml"
        path.write_bytes(data)
        try:
            spec = read_comparison(path)
        except InstanceFormatError as exc:
            assert "cmp.toml" in str(exc) or "alliance-60" in str(exc), f"the message names no file: {exc}"
            return
        assert isinstance(spec, ComparisonSpec) and all(isinstance(s, Scenario) for s in spec.variants)


def test_the_comparison_seed_is_valid():
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "alliance-60").symlink_to(EXAMPLE, target_is_directory=True)
        (Path(d) / "cmp.toml").write_bytes(COMPARISON)
        assert len(read_comparison(Path(d) / "cmp.toml").variants) == 4


@FUZZ_SLOW
@given(data=mutated(COMPARISON))
def test_read_comparison_mutated(data):
    _check_comparison(data)


@FUZZ
@given(data=_random_bytes())
def test_read_comparison_random_bytes(data):
    _check_comparison(data)


# ----------------------------------------------------------------------------- suite files
SUITE = b"""\
instances = ["qkp:n=10,density=50,seeds=1-3", "alliance:n=20,seeds=2|5,levels=true", "data"]
solvers = ["auto", "highs", "bruteforce"]
formulations = ["auto", "standard"]
time_limit = [5, 10.5]
threads = 1
mip_gap = 0.001
repeat = 2
seed = 7
memory_limit = 800
grace = 5
results = "out.sqlite"
reference = "optima.csv"
jobs = 2
"""


def _check_suite(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "suite.toml"
        path.write_bytes(data)
        try:
            suite = build_suite(path)
        except SuiteError as exc:
            assert str(path) in str(exc), f"the message does not name the suite file: {exc}"
            return
        assert isinstance(suite, Suite)
        try:                                # the instance specs and solver names are read here
            suite.cells()
        except SuiteError:
            pass


def test_the_suite_seed_is_valid():
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "data").mkdir()
        (Path(d) / "data" / "a.txt").write_text("1\n1\n\n1\n1\n")
        (Path(d) / "suite.toml").write_bytes(SUITE)
        cells, _ = build_suite(Path(d) / "suite.toml").cells()
        assert len(cells) == (3 + 2 + 1) * (2 + 2 + 1) * 2 * 2


@FUZZ
@given(data=mutated(SUITE))
def test_build_suite_mutated(data):
    _check_suite(data)


@FUZZ
@given(data=_random_bytes())
def test_build_suite_random_bytes(data):
    _check_suite(data)


# ----------------------------------------------------------------------------- reference CSVs
REFERENCE = b"instance,n,optimum\njeu_100_25_1,100,18558\njeu_100_25_2,100,56525.5\n\"jeu, quoted\",100,3\n"


def _check_reference(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "optima.csv"
        path.write_bytes(data)
        try:
            values = read_reference(path)
        except SuiteError as exc:
            assert str(path) in str(exc), f"the message does not name the file: {exc}"
            return
        assert isinstance(values, dict)
        assert all(isinstance(k, str) and k and isinstance(v, float) for k, v in values.items())


@FUZZ
@given(data=mutated(REFERENCE))
def test_read_reference_mutated(data):
    _check_reference(data)


@FUZZ
@given(data=_random_bytes())
def test_read_reference_random_bytes(data):
    _check_reference(data)


# ----------------------------------------------------------------------------- no unsafe deserialization
PACKAGES = ("optimizer", "formulations", "instances", "benchmarks")
UNSAFE = re.compile(r"\bpickle\b|\bcPickle\b|\bmarshal\.loads?\(|(?<![\w.])eval\(|(?<![\w.])exec\(|yaml\.load\(|"
                    r"\bshelve\b|\bjsonpickle\b")
#: hits that are not deserialization of input, each with the reason (file, line text) -> why
ALLOWED: dict[tuple[str, str], str] = {
    # prose in docstrings that *promises* there is no pickle/eval:
    ("instances/bundle/__init__.py", "Nothing is read with pickle or eval: TOML goes through :mod:`tomllib`, CSV"):
        "docstring saying the reader does not use pickle or eval",
}


def test_no_unsafe_deserialization():
    hits = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for line in path.read_text(encoding="utf-8").splitlines():
                if UNSAFE.search(line) and (rel, line.strip()) not in ALLOWED:
                    hits.append(f"{rel}: {line.strip()}")
    assert not hits, "unsafe deserialization (or an unlisted mention of it) in the packages:\n" + "\n".join(hits)
