"""Scenario.variant: a new validated scenario per change, the original never mutated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from instances import read_scenario
from optimizer import ProblemError

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "alliance-60"


@pytest.fixture(scope="module")
def base():
    return read_scenario(EXAMPLE)


def test_variant_changes_only_what_it_names_and_leaves_the_base_alone(base):
    before = (dict(base.limits), base.strategy, base.focal, base.policy, base.peers, base.mandatory, base.excluded)
    v = base.variant("lean", budget=100.0, reputation_weight=2.0, tech_change=0.5, diffusion_factor=0.9,
                     subsidies={"region:Europe": 0.5}, size_max=5)
    assert v.name == "lean"
    assert v.limits["budget"] == 100.0 and v.limits["management"] == base.limits["management"]
    assert v.strategy.reputation_weight == 2.0 and v.strategy.breadth == base.strategy.breadth
    assert v.focal.tech_change == 0.5 and v.focal.diffusion == 0.9 and v.focal.name == base.focal.name
    assert v.policy.subsidies == {"region:Europe": 0.5}
    assert v.peers.size_max == 5 and v.peers.size_min == base.peers.size_min
    assert (dict(base.limits), base.strategy, base.focal, base.policy, base.peers, base.mandatory,
            base.excluded) == before


def test_scale_limits_and_cost_weight(base):
    v = base.variant("v", scale_limits={"budget": 0.5}, cost_weight=2.0)
    assert v.limits["budget"] == pytest.approx(0.5 * base.limits["budget"])
    assert v.scoring.cost_weight == pytest.approx(2 * base.scoring.cost_weight)
    # every cost term of the table doubles, every gain stays: a cost term added to the table is scaled too
    a, b = base.compile(), v.compile()
    for name, part in {**a.linear_parts, **a.pair_parts}.items():
        other = {**b.linear_parts, **b.pair_parts}[name]
        factor = 2.0 if a.terms[name].role == "cost" else 1.0
        assert np.allclose(other, factor * part), name


def test_forcing_and_excluding_partners_override_each_other(base):
    ids = base.candidates["id"].astype(str).tolist()
    a = base.variant("a", force_in=[ids[0]], exclude=[ids[1]])
    assert ids[0] in a.mandatory and ids[1] in a.excluded
    b = a.variant("b", exclude=[ids[0]], force_in=[ids[1]])
    assert ids[0] in b.excluded and ids[0] not in b.mandatory
    assert ids[1] in b.mandatory and ids[1] not in b.excluded
    c = b.variant("c", release=[ids[0], ids[1]])
    assert ids[0] not in c.excluded and ids[1] not in c.mandatory


def test_variant_result_differs_where_it_should(base):
    from optimizer import solve

    lean = base.variant("lean", scale_limits={"budget": 0.4})
    r0, r1 = solve(base, time_limit=60), solve(lean, time_limit=60)
    assert r1.report.metrics()["use_budget"] <= lean.limits["budget"] + 1e-9
    assert r1.objective <= r0.objective + 1e-9  # less money cannot buy a better portfolio


@pytest.mark.parametrize("changes, words", [
    ({"budjet": 5}, "unknown change 'budjet'"),
    ({"budget": "lots"}, "is not a number"),
    ({"scale_limits": 0.5}, "takes a table"),
    ({"scale_limits": {"money": 0.5}}, "no such limit"),
    ({"limits": {"money": 5}}, "not a resource of the base scenario"),
    ({"force_in": "C001"}, "list of ids"),
    ({"force_in": ["NOPE"]}, "unknown candidate id 'NOPE'"),
    ({"breadth": 3}, "breadth"),
    ({"cost_weight": -1}, "cost_weight"),
    ({"subsidies": {"region:Europe": 2.0}}, "subsid"),
    ({"size_min": 9, "size_max": 2}, "size range"),
    ({"theta": -0.5}, "theta = -0.5"),
    ({"foreign_value": 3}, "foreign_value takes a table"),
    ({"foreign_value": {"breakpoints": [0, 2], "values": [1, 2]}}, "foreign_value"),   # must be 0 at 0
])
def test_bad_changes_name_the_variant_the_key_and_the_fix(base, changes, words):
    with pytest.raises(ProblemError, match="variant 'x'") as exc:
        base.variant("x", **changes)
    assert words in str(exc.value)


def test_theta_and_foreign_value_are_variant_changes(base):
    # P6 (the endowment elasticity) and Lavie & Miller's foreign-partner value, from a variant as from a file
    elastic = base.variant("elastic", theta=0.8)
    assert elastic.scoring.theta == 0.8 and base.scoring.theta != 0.8
    gains = elastic.compile().linear_parts["diversity"], base.compile().linear_parts["diversity"]
    assert not np.allclose(*gains)         # gains scale with (endowment / focal endowment) ** theta
    shaped = base.variant("foreign", foreign_value={"breakpoints": [0, 2, 4], "values": [0, 1.5, 0.5]})
    assert shaped.foreign_value.values == (0.0, 1.5, 0.5)
    comp = shaped.compile()
    assert "foreign" in comp.linear_parts and "foreign_count_le" in comp.problem.row_names
    assert shaped.variant("none", foreign_value=False).foreign_value is None
