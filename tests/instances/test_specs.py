"""instances.specs: the one parser of generator specs (command line and instance sets)."""

from __future__ import annotations

import pytest

from instances.errors import SpecError
from instances.specs import generate, instance_name, parse_seeds, parse_spec
from optimizer import Scenario, SelectionProblem


def test_one_instance_with_typed_keys():
    kind, found = parse_spec("qkp:n=60, density=25 ,seed=1")
    assert kind == "qkp" and found == [{"n": 60, "density": 25.0, "seed": 1}]
    assert parse_spec("alliance:levels=yes")[1] == [{"n": 60, "levels": True, "seed": 0}]
    assert parse_spec("qkp:")[1] == [{"n": 100, "density": 50.0, "seed": 0}]


def test_a_seed_range_gives_one_instance_per_seed():
    kind, found = parse_spec("collab:n=50,seeds=1-3|8")
    assert [a["seed"] for a in found] == [1, 2, 3, 8] and all(a["n"] == 50 for a in found)
    assert [instance_name(kind, a) for a in found[:2]] == ["collab_50_0.05_1", "collab_50_0.05_2"]
    assert parse_seeds("1-3|8", "x") == [1, 2, 3, 8]


@pytest.mark.parametrize("spec, words", [
    ("qkp:=5", "bad item '=5'"),
    ("qkp:foo=1", "unknown key 'foo' in 'foo=1'; keys for qkp: n=, density=, seed= (or seeds=1-5)"),
    ("qkp:n=x", "n='x' is not a whole number"),
    ("qkp:n=0", "n=0: the number of items is a whole number >= 1"),
    ("qkp:density=0", "density=0.0 is a percentage in (0, 100]"),
    ("alliance:levels=maybe", "levels='maybe' is not true or false"),
    ("qkp:seeds=5-1", "runs backwards"),
    ("qkp:seed=-1", "a seed is a whole number >= 0"),
    ("qkp:seeds=1-99999999999", "at most 100000"),
    ("knapsack:n=5", "unknown generator 'knapsack'; use qkp:, alliance:, collab:"),
])
def test_bad_specs_name_the_item(spec, words):
    with pytest.raises(SpecError) as err:
        parse_spec(spec)
    assert words in str(err.value) and f"instance spec {spec!r}" in str(err.value)


def test_generate_makes_what_the_spec_names():
    kind, [args] = parse_spec("qkp:n=12,density=50,seed=3")
    assert isinstance(generate(kind, args), SelectionProblem) and generate(kind, args).n == 12
    kind, [args] = parse_spec("alliance:n=10,seed=2")
    assert isinstance(generate(kind, args), Scenario)
