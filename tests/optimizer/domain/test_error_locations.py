"""ProblemError.where: the model says which input it refuses, so readers need not parse messages."""

from __future__ import annotations

import dataclasses

import pytest

from instances import generate_alliance
from optimizer.core.errors import ProblemError
from optimizer.domain.scoring import Scoring
from optimizer.domain.settings import ForeignValue


@pytest.fixture(scope="module")
def scenario():
    return generate_alliance(8, seed=1)


def _where(build) -> tuple:
    with pytest.raises(ProblemError) as info:
        build()
    return info.value.where


def test_scenario_fields_name_their_path(scenario):
    assert _where(lambda: scenario.replace(focal=dataclasses.replace(scenario.focal, diffusion=0))) == \
        ("focal", "diffusion")
    assert _where(lambda: scenario.replace(mandatory=("nobody",))) == ("mandatory",)
    assert _where(lambda: scenario.replace(region_caps={"R1": -1})) == ("region_caps", "R1")
    bad = scenario.candidates.copy()
    bad.loc[bad.index[2], "reputation"] = -1.0
    assert _where(lambda: scenario.replace(candidates=bad)) == ("candidates", 2, "reputation")
    flags = scenario.candidates.copy()
    flags["foreign"] = flags["foreign"].astype(object)
    flags.loc[flags.index[1], "foreign"] = "maybe"
    assert _where(lambda: scenario.replace(candidates=flags)) == ("candidates", 1, "foreign")


def test_scoring_and_foreign_value_name_their_field():
    assert _where(lambda: Scoring(beta=-1.0)) == ("scoring", "beta")
    assert _where(lambda: ForeignValue((0.0, 1.0), (0.5, 1.0))) == ("foreign_value", "values")
    assert _where(lambda: ForeignValue((1.0, 2.0), (0.0, 1.0))) == ("foreign_value", "breakpoints")


def test_variant_errors_name_the_change(scenario):
    """The Scenario's field path is translated back into the change the user wrote."""
    assert _where(lambda: scenario.variant("v", size_min=-1)) == ("size_min",)
    assert _where(lambda: scenario.variant("v", diffusion_factor=2.0)) == ("diffusion_factor",)
    assert _where(lambda: scenario.variant("v", breadth=2.0)) == ("breadth",)
    assert _where(lambda: scenario.variant("v", scale_limits={"budget": "x"})) == ("scale_limits", "budget")
    assert _where(lambda: scenario.variant("v", budgt=1.0)) == ("budgt",)
    assert _where(lambda: scenario.variant("v", cost_weight=-1.0)) == ("cost_weight",)
