"""Comparison files: a good file gives the right scenarios and options; every bad file gives an
InstanceFormatError naming the file, the line, the key and what is accepted. Nothing is solved here."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from instances import ComparisonSpec, InstanceFormatError, read_comparison, read_scenario

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "alliance-60"

GOOD = """\
base = "alliance-60"            # relative to this file
output = "reports/first"
title = "Budget and reputation"

[solve]
time_limit = 60
mip_gap = 0.001
threads = 1
seed = 3
solver = "highs"

[[variant]]
name = "lean budget"
scale_limits = { budget = 0.7 }

[[variant]]
name = "reputation"
reputation_weight = 3.0
size_max = 4
exclude = ["C001"]
"""


@pytest.fixture(scope="module")
def base():
    return read_scenario(EXAMPLE)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder holding a copy of the example bundle, as a user's project folder would."""
    shutil.copytree(EXAMPLE, tmp_path / "alliance-60")
    return tmp_path


def _write(folder: Path, text: str, name: str = "study.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_gives_the_variants_in_order_and_the_solve_options(folder, base):
    spec = read_comparison(_write(folder, GOOD))
    assert isinstance(spec, ComparisonSpec)
    assert spec.names == [base.name, "lean budget", "reputation"]
    assert spec.base.name == base.name and spec.variants[0] is spec.base
    lean, rep = spec.variants[1], spec.variants[2]
    assert lean.limits["budget"] == pytest.approx(0.7 * base.limits["budget"])
    assert lean.limits["management"] == base.limits["management"]
    assert rep.strategy.reputation_weight == 3.0 and rep.peers.size_max == 4 and "C001" in rep.excluded
    assert rep.limits == base.limits
    assert spec.solve == {"time_limit": 60.0, "mip_gap": 0.001, "threads": 1, "seed": 3, "solver": "highs"}
    assert spec.output == (folder / "reports" / "first").resolve()
    assert spec.title == "Budget and reputation"
    assert spec.path == folder / "study.toml"


def test_defaults_absolute_base_and_include_base_false(tmp_path, base):
    path = _write(tmp_path, f'base = "{EXAMPLE.as_posix()}"\ninclude_base = false\n'
                            '[[variant]]\nname = "breadth"\nbreadth = 1.0\n', name="my study.toml")
    spec = read_comparison(path)
    assert spec.names == ["breadth"] and spec.base.name == base.name
    assert spec.solve == {} and spec.title is None
    assert spec.output == (tmp_path / "my study-report").resolve()


def test_a_relative_base_resolves_against_the_files_folder_not_the_working_directory(folder, monkeypatch, tmp_path):
    sub = folder / "studies"
    sub.mkdir()
    path = _write(sub, 'base = "../alliance-60"\n[[variant]]\nname = "x"\nbudget = 100\n')
    monkeypatch.chdir(EXAMPLE.parent)       # a folder where ../alliance-60 does not exist
    assert read_comparison(path).variants[1].limits["budget"] == 100


def test_an_infeasible_but_valid_variant_is_not_an_error(folder):
    spec = read_comparison(_write(folder, 'base = "alliance-60"\n[[variant]]\nname = "tight"\nsize_min = 9\n'
                                          'size_max = 9\nscale_limits = { budget = 0.1 }\n'))
    assert spec.names[1] == "tight" and spec.variants[1].peers.size_min == 9


def test_theta_and_foreign_value_from_a_file(folder):
    spec = read_comparison(_write(folder, 'base = "alliance-60"\n[[variant]]\nname = "elastic"\ntheta = 0.5\n'
                                          '[[variant]]\nname = "abroad"\n'
                                          'foreign_value = { breakpoints = [0, 2, 4], values = [0, 1.0, 0.4] }\n'))
    assert spec.variants[1].scoring.theta == 0.5
    assert spec.variants[2].foreign_value.breakpoints == (0.0, 2.0, 4.0)


HEAD = 'base = "alliance-60"\n'
ONE = '[[variant]]\nname = "a"\nbudget = 100\n'

BAD = {
    # case: (file text, words the message must hold)
    "not toml": (HEAD + "[[variant]\nname = 'a'\n", ["study.toml:2", "not a TOML file"]),
    "unknown top-level key": (HEAD + "outptu = 'x'\n" + ONE, ["study.toml:2", "outptu", "did you mean 'output'",
                                                                "accepted keys", "variant"]),
    "missing base": (ONE, ["missing key 'base'", "scenario bundle folder"]),
    "base not found": ('base = "nosuch"\n' + ONE, ["study.toml:1", "key 'base'", "'nosuch' not found",
                                                   "nosuch", "candidates.csv"]),
    "base not a string": ("base = 3\n" + ONE, ["key 'base'", "expected a string"]),
    "no variants": (HEAD, ["no [[variant]] tables", "at least one"]),
    "variant not a table array": (HEAD + "variant = 3\n", ["key 'variant'", "[[variant]] tables"]),
    "variant without a name": (HEAD + ONE + "[[variant]]\nbudget = 90\n",
                               ["study.toml:5", "variant[2]", "variant 2 has no name", "name ="]),
    "empty name": (HEAD + '[[variant]]\nname = ""\n', ["variant[1].name", "non-empty name"]),
    "duplicate name": (HEAD + ONE + ONE, ["study.toml:6", "variant[2].name", "variant 2 ('a')", "already used by "
                                          "variant 1"]),
    "name of the base": (HEAD + '[[variant]]\nname = "base case"\n',
                         ["variant 1 ('base case')", "already used by the base scenario"]),
    "unknown variant field": (HEAD + ONE + '[[variant]]\nname = "b"\nreputation_weigth = 2\n',
                              ["study.toml:7", "variant[2].reputation_weigth", "variant 2 ('b')",
                               "unknown field 'reputation_weigth'", "did you mean 'reputation_weight'",
                               "accepted fields", "scale_limits", "size_max"]),
    "size_max as text": (HEAD + '[[variant]]\nname = "a"\nsize_max = "4"\n',
                         ["variant[1].size_max", "variant 1 ('a')", "whole number", "the string '4'"]),
    "unknown solve option": (HEAD + "[solve]\ntime_limt = 3\n" + ONE,
                             ["study.toml:3", "solve.time_limt", "did you mean 'time_limit'", "time_limit",
                              "mip_gap", "threads", "seed", "solver"]),
    "solve not a table": (HEAD + "solve = 3\n" + ONE, ["key 'solve'", "expected a table"]),
    "time limit as text": (HEAD + "[solve]\ntime_limit = \"60\"\n" + ONE,
                           ["study.toml:3", "solve.time_limit", "expected a number > 0", "the string '60'"]),
    "negative time limit": (HEAD + "[solve]\ntime_limit = -1\n" + ONE, ["solve.time_limit", "out of range"]),
    "threads not whole": (HEAD + "[solve]\nthreads = 1.5\n" + ONE, ["solve.threads", "whole number >= 1"]),
    "gap of 1": (HEAD + "[solve]\nmip_gap = 1\n" + ONE, ["solve.mip_gap", "[0, 1)"]),
    "unknown solver": (HEAD + "[solve]\nsolver = \"cplexx\"\n" + ONE, ["solve.solver", "unknown solver 'cplexx'",
                                                                       "highs"]),
    "include_base not a flag": (HEAD + "include_base = 1\n" + ONE, ["include_base", "true or false"]),
    "output absolute": (HEAD + 'output = "/tmp/elsewhere"\n' + ONE,
                        ["study.toml:2", "key 'output'", "absolute path", "inside the comparison file's folder",
                         "--out"]),
    "output climbs out": (HEAD + 'output = "reports/../../elsewhere"\n' + ONE,
                          ["key 'output'", "leads out of the comparison file's folder", "without '..'"]),
    "output is the folder itself": (HEAD + 'output = "."\n' + ONE, ["key 'output'", "does not name a folder"]),
    "output empty": (HEAD + 'output = ""\n' + ONE, ["key 'output'", "does not name a folder"]),
    "negative sample count": (HEAD + ONE + "[robust]\nsamples = -5\n",
                              ["study.toml:6", "robust.samples", "whole number >= 1"]),
    "uncertainty of an unknown column": (HEAD + ONE + "[robust]\nrelative = { budget = 0.1 }\n",
                                         ["study.toml:6", "robust.relative.budget", "not an estimated column",
                                          "use_budget"]),
    "uncertainty larger than the range": (HEAD + ONE + '[robust]\nrelative = { "k_*" = 1.5 }\n',
                                          ['robust.relative."k_*"', "larger than the values' range"]),
    "unknown robust option": (HEAD + ONE + "[robust]\nsampels = 5\n", ["robust.sampels", "did you mean 'samples'"]),
    "tail of 0": (HEAD + ONE + "[robust]\ntail = 0\n", ["robust.tail", "out of range"]),
    "what it takes of an unknown candidate": (HEAD + ONE + '[what_it_takes]\ncandidates = ["C0017"]\n',
                                              ["what_it_takes.candidates", "'C0017' is not a candidate id",
                                               "did you mean 'C017'"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_file_names_the_file_the_key_and_what_is_accepted(folder, case):
    text, words = BAD[case]
    path = _write(folder, text)
    with pytest.raises(InstanceFormatError) as info:
        read_comparison(path)
    msg = str(info.value)
    assert str(path) in msg
    for word in words:
        assert word in msg, f"{case}: {word!r} not in {msg!r}"


#: variants the model refuses: kept as invalid (name -> message with file, line and key), the others compared
INVALID = {
    "wrong type in a variant": (HEAD + ONE + '[[variant]]\nname = "x"\nscale_limits = 0.7\n',
                                ["study.toml:7", "variant[2].scale_limits", "variant 2 ('x')", "takes a table"]),
    "unknown candidate": (HEAD + ONE + '[[variant]]\nname = "x"\nforce_in = ["C999"]\n',
                          ["variant[2].force_in", "'C999'"]),
    "empty size range": (HEAD + ONE + '[[variant]]\nname = "x"\nsize_min = 5\nsize_max = 4\n',
                         ["variant 2 ('x')", "size_min <= size_max"]),
    "size_min above the base's size_max": (HEAD + ONE + '[[variant]]\nname = "x"\nsize_min = 12\n',
                                           ["variant[2].size_min", "size_max"]),
    "huge size_max": (HEAD + ONE + '[[variant]]\nname = "x"\nsize_max = 1' + "0" * 400 + "\n",
                      ["study.toml:7", "variant[2].size_max", "whole number of partners"]),
    "domain weight that is text": (HEAD + ONE + '[[variant]]\nname = "x"\ndomain_weights = { biology = "a" }\n',
                                   ["variant[2].domain_weights.biology", "domain_weights['biology'] = 'a' is not a "
                                    "number", "expected a number"]),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_a_variant_the_model_refuses_is_kept_as_invalid_and_the_others_are_read(folder, case):
    # one such variant once stopped the whole comparison (exit 2, nothing solved)
    text, words = INVALID[case]
    path = _write(folder, text)
    spec = read_comparison(path)
    assert spec.names == ["base case", "a"] and list(spec.invalid) == ["x"]
    msg = spec.invalid["x"]
    assert str(path) in msg
    for word in words:
        assert word in msg, f"{case}: {word!r} not in {msg!r}"


def test_missing_file_and_a_folder_instead_of_a_file(tmp_path):
    with pytest.raises(InstanceFormatError, match="no such file; expected a comparison file"):
        read_comparison(tmp_path / "nosuch.toml")
    with pytest.raises(InstanceFormatError, match="is a folder"):
        read_comparison(tmp_path)


def test_not_utf8(folder):
    path = folder / "study.toml"
    path.write_bytes(HEAD.encode() + b"title = '\xff'\n" + ONE.encode())
    with pytest.raises(InstanceFormatError, match=r"study.toml:2: not UTF-8"):
        read_comparison(path)


def test_a_broken_base_bundle_reports_its_own_file(folder):
    (folder / "alliance-60" / "scenario.toml").write_text("name = 3\n[focal.profile]\nsoftware = 0.5\n")
    with pytest.raises(InstanceFormatError, match=r"scenario.toml.*key 'name'"):
        read_comparison(_write(folder, HEAD + ONE))


def test_output_through_a_symbolic_link_that_leaves_the_folder_is_refused(folder, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (folder / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InstanceFormatError, match="leads out of the comparison file's folder"):
        read_comparison(_write(folder, HEAD + 'output = "link/report"\n' + ONE))
    # a link that stays inside is fine
    (folder / "inside").mkdir()
    (folder / "link2").symlink_to(folder / "inside", target_is_directory=True)
    spec = read_comparison(_write(folder, HEAD + 'output = "link2/report"\n' + ONE))
    assert spec.output == (folder / "inside" / "report").resolve()


def test_what_it_takes_and_robust_sections(folder, base):
    spec = read_comparison(_write(folder, HEAD + ONE + '[what_it_takes]\ncandidates = ["C017", "C042"]\n'
                                          '[robust]\nsamples = 40\nseed = 3\ntail = 0.05\n'))
    assert spec.what_it_takes == {"candidates": ("C017", "C042")}
    assert {k: spec.robust[k] for k in ("samples", "seed", "tail")} == {"samples": 40, "seed": 3, "tail": 0.05}
    assert dict(spec.robust["uncertainty"].relative) == dict(base.uncertainty.relative)   # the bundle's own
    spec = read_comparison(_write(folder, HEAD + ONE + "[robust]\nrelative = { reputation = 0.3 }\n"))
    assert dict(spec.robust["uncertainty"].relative) == {"reputation": 0.3} and spec.robust["samples"] == 200
    assert read_comparison(_write(folder, HEAD + ONE)).robust is None


def test_robust_needs_some_uncertainty(folder):
    toml = folder / "alliance-60" / "scenario.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text[:text.index("[uncertainty]")] + text[text.index("[scoring]"):], encoding="utf-8")
    with pytest.raises(InstanceFormatError, match="the base bundle has no \\[uncertainty\\] to sample"):
        read_comparison(_write(folder, HEAD + ONE + "[robust]\nsamples = 4\n"))
