"""what_it_takes and friends: each answer verified by solving just around it (on a 24-candidate
generated scenario, where a solve takes a fraction of a second)."""

from __future__ import annotations

import math

import pytest

from instances import generate_alliance
from optimizer import ProblemError, solve
from optimizer.analysis.sensitivity import limit_to_enter, resource_values, subsidy_to_enter, what_it_takes

STEP = 1e-3     # points either side of a threshold


@pytest.fixture(scope="module")
def scenario():
    return generate_alliance(24, n_domains=5, seed=2)


@pytest.fixture(scope="module")
def chosen(scenario):
    return set(solve(scenario, time_limit=60).report.partners()["id"].astype(str))


def _holds(scenario, cid: str, **change) -> bool:
    res = solve(scenario.variant("probe", **change), time_limit=60)
    assert res.termination.value == "optimal"
    return cid in set(res.report.partners()["id"].astype(str))


def test_thresholds_are_exact_just_below_and_just_above(scenario, chosen):
    left_out = sorted(set(scenario.ids) - chosen - set(map(str, scenario.excluded)))[:2]
    kept = sorted(chosen - set(map(str, scenario.mandatory)))[:1]
    table = what_it_takes(scenario, candidates=left_out + kept, time_limit=60).set_index("id")
    for cid in left_out:
        t = table.loc[cid]
        assert t["status"] == "left out" and t["proven"] and t["threshold"] > 0
        assert not _holds(scenario, cid, bonus={cid: t["threshold"] - STEP})
        assert _holds(scenario, cid, bonus={cid: t["threshold"] + STEP})
        assert cid in t["portfolio at threshold"].split(", ")
    for cid in kept:
        t = table.loc[cid]
        assert t["status"] == "chosen" and t["proven"] and t["threshold"] >= 0
        assert _holds(scenario, cid, bonus={cid: -(t["threshold"] - STEP)})
        assert not _holds(scenario, cid, bonus={cid: -(t["threshold"] + STEP)})
        assert cid not in t["portfolio at threshold"].split(", ")


def test_fixed_candidates_and_bad_ids(scenario):
    fixed = scenario.replace(excluded=(scenario.ids[0],), mandatory=())
    row = what_it_takes(fixed, candidates=[scenario.ids[0]], time_limit=30).iloc[0]
    assert math.isnan(row["threshold"]) and row["note"] == "excluded by the scenario"
    with pytest.raises(ProblemError, match="'C999' is not a candidate id"):
        what_it_takes(scenario, candidates=["C999"], time_limit=30)


def test_one_more_unit_of_a_resource_is_an_exact_re_solve(scenario):
    table = resource_values(scenario, time_limit=60).set_index("resource")
    assert list(table.index) == list(scenario.limits) and table["proven"].all()
    assert (table["value of one more unit"] >= -1e-9).all()     # more of a resource never hurts
    base = solve(scenario, time_limit=60).objective
    budget = scenario.limits["budget"]
    again = solve(scenario.variant("more", limits={"budget": budget + 1}), time_limit=60)
    assert table.at["budget", "value of one more unit"] == pytest.approx(again.objective - base, abs=1e-9)


def test_the_smallest_subsidy_that_brings_a_partner_in(scenario, chosen):
    tight = scenario.variant("tight", scale_limits={"budget": 0.7})
    in_tight = set(solve(tight, time_limit=60).report.partners()["id"])
    for cid in sorted(chosen - in_tight):    # partners the budget cut pushed out: a subsidy can bring them back
        entry = subsidy_to_enter(tight, cid, time_limit=60)
        if entry.value is None:
            assert "not even a subsidy" in entry.note
            continue
        assert entry.proven and _holds(tight, cid, subsidies={cid: entry.value})
        assert not _holds(tight, cid, subsidies={cid: max(entry.value - 0.01, 0.0)})
        assert cid in entry.portfolio and f"{cid} enters at subsidy share {entry.value:.0%}" in str(entry)
        return
    pytest.fail("no partner the budget cut pushed out came back with a subsidy")


def test_the_smallest_budget_that_brings_a_partner_in(scenario, chosen):
    tight = scenario.variant("tight", scale_limits={"budget": 0.7})
    in_tight = set(solve(tight, time_limit=60).report.partners()["id"])
    cid = sorted(chosen - in_tight)[0]       # in the best portfolio at the full budget: some budget brings it in
    entry = limit_to_enter(tight, cid, "budget", time_limit=60)
    today = tight.limits["budget"]
    assert entry.proven and today < entry.value <= scenario.limits["budget"] + 1e-9
    assert _holds(tight, cid, limits={"budget": entry.value})
    assert not _holds(tight, cid, limits={"budget": entry.value - 1e-3})
    assert cid in entry.portfolio and entry.setting == "budget"
    inside = sorted(in_tight)[0]
    assert limit_to_enter(tight, inside, time_limit=60).note == "already in the best portfolio"
    with pytest.raises(ProblemError, match="'money' is not a limit"):
        limit_to_enter(tight, cid, "money")
