"""what_it_takes: each threshold verified by solving with a bonus just below and just above it."""

from __future__ import annotations

import math

import pytest

from optimizer import ProblemError, solve
from optimizer.analysis.sensitivity import what_it_takes

STEP = 1e-3     # points either side of a threshold


def _holds(scenario, cid: str, bonus: float) -> bool:
    res = solve(scenario.variant("probe", bonus={cid: bonus}), time_limit=60)
    assert res.termination.value == "optimal"
    return cid in set(res.report.partners()["id"].astype(str))


def test_thresholds_are_exact_just_below_and_just_above(example):
    base = set(solve(example, time_limit=60).report.partners()["id"].astype(str))
    left_out = sorted(set(example.ids) - base - set(map(str, example.excluded)))[:3]
    chosen = sorted(base - set(map(str, example.mandatory)))[:2]
    table = what_it_takes(example, candidates=left_out + chosen, time_limit=60).set_index("id")
    for cid in left_out:
        t = table.loc[cid]
        assert t["status"] == "left out" and t["proven"] and t["threshold"] > 0
        assert not _holds(example, cid, t["threshold"] - STEP) and _holds(example, cid, t["threshold"] + STEP)
        assert cid in t["portfolio at threshold"].split(", ")
    for cid in chosen:
        t = table.loc[cid]
        assert t["status"] == "chosen" and t["proven"] and t["threshold"] >= 0
        assert _holds(example, cid, -(t["threshold"] - STEP)) and not _holds(example, cid, -(t["threshold"] + STEP))
        assert cid not in t["portfolio at threshold"].split(", ")


def test_fixed_candidates_and_bad_ids(example):
    fixed = example.replace(excluded=(example.ids[0],))
    row = what_it_takes(fixed, candidates=[example.ids[0]], time_limit=30).iloc[0]
    assert math.isnan(row["threshold"]) and row["note"] == "excluded by the scenario"
    with pytest.raises(ProblemError, match="'C999' is not a candidate id"):
        what_it_takes(example, candidates=["C999"], time_limit=30)


def test_one_more_unit_of_a_resource_is_an_exact_re_solve(example):
    from optimizer.analysis.sensitivity import resource_values

    table = resource_values(example, time_limit=60).set_index("resource")
    base = solve(example, time_limit=60).objective
    for resource, row in table.iterrows():
        again = solve(example.variant("more", limits={resource: example.limits[resource] + 1}), time_limit=60)
        assert row["value of one more unit"] == pytest.approx(again.objective - base, abs=1e-9)
        assert row["value of one more unit"] >= -1e-9 and row["proven"]


def test_the_smallest_subsidy_that_brings_a_partner_in(example):
    from optimizer.analysis.sensitivity import subsidy_to_enter

    tight = example.variant("tight", scale_limits={"budget": 0.6})
    chosen = set(solve(tight, time_limit=60).report.partners()["id"])
    found = None
    for cid in ["C024", "C017", "C042", "C009"]:     # partners of the full-budget portfolios
        if cid in chosen:
            continue
        share, why = subsidy_to_enter(tight, cid, time_limit=60)
        if share is not None:
            found = (cid, share)
            break
        assert "not even a subsidy" in why
    assert found is not None, "no candidate enters with a subsidy"
    cid, share = found
    def holds(s):
        res = solve(tight.variant("probe", subsidies={cid: s}), time_limit=60)
        return cid in set(res.report.partners()["id"])
    assert holds(share) and not holds(max(share - 0.01, 0.0))
