"""The default scoring's scale-free quantities: endowments against the focal cluster's, in any unit."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from instances import read_scenario
from optimizer import solve
from optimizer.core.errors import ProblemError
from optimizer.domain.scoring import endowment_factor

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "alliance-60"


@pytest.mark.parametrize("scale", [1e-300, 1e-3, 1e6, 1e200])
def test_the_endowment_factor_does_not_depend_on_the_unit(scale):
    e = np.array([0.0, 1.0, 2.5, 4.0, 7.5, 7.5, 7.5])
    assert np.allclose(endowment_factor(e * scale, 3.0 * scale, 0.5), endowment_factor(e, 3.0, 0.5), rtol=1e-12)


def test_the_endowment_factor_is_the_ratio_to_the_focal_endowment():
    assert np.allclose(endowment_factor(np.array([0.0, 1.0, 4.0, 9.0]), 4.0, 0.5), [0.0, 0.5, 1.0, 1.5])
    assert np.allclose(endowment_factor(np.array([0.0, 5.0]), None, 0.0), [1.0, 1.0])   # 0^0 = 1, no reference


def test_a_ratio_too_large_to_compute_with_is_refused_naming_the_candidate():
    with pytest.raises(ProblemError, match="endowment row 1") as err:
        endowment_factor(np.array([0.0, 1e300]), 1e-300, 1.0)
    assert err.value.where == ("candidates", 1, "endowment")


def test_endowments_in_another_unit_give_the_same_portfolio():
    # endowments and the focal cluster's stated in patents or in thousands of patents: the same scenario
    base = read_scenario(EXAMPLE)
    scaled = base.replace(candidates=base.candidates.assign(endowment=base.candidates["endowment"] / 1000),
                          focal=replace(base.focal, endowment=base.focal.endowment / 1000))
    a, b = base.compile().problem, scaled.compile().problem
    assert np.allclose(a.c, b.c, rtol=1e-12, atol=1e-12) and np.allclose(a.pair_q, b.pair_q)
    ra, rb = solve(base, time_limit=60), solve(scaled, time_limit=60)
    assert rb.objective == pytest.approx(ra.objective, rel=1e-9) and ra.selected == rb.selected


def test_a_scenario_that_uses_endowments_needs_the_focal_endowment():
    base = read_scenario(EXAMPLE)
    with pytest.raises(ProblemError, match="focal.endowment is not set") as err:
        base.replace(focal=replace(base.focal, endowment=None))
    assert err.value.where == ("focal", "endowment")
    # with theta = 0 endowments do not count, so no reference is needed
    free = base.replace(focal=replace(base.focal, endowment=None), scoring=replace(base.scoring, theta=0.0))
    assert np.all(np.isfinite(free.compile().problem.c))
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ProblemError, match="focal.endowment is"):
            base.replace(focal=replace(base.focal, endowment=bad))


def test_relative_overlap_is_a_share_of_the_smaller_partner_and_separates_industries(example):
    import numpy as np

    from optimizer.domain.scoring import relative_overlap

    prof = np.array([[0.8, 0.2, 0.0], [0.4, 0.1, 0.0], [0.0, 0.0, 0.9], [0.0, 0.0, 0.0]])
    i, j = np.array([0, 0, 1, 0]), np.array([1, 2, 0, 3])
    # the smaller partner's knowledge all held by the bigger one: 1; nothing shared: 0; no knowledge: 0
    assert relative_overlap(prof, i, j).tolist() == [1.0, 0.0, 1.0, 0.0]
    p = example.profiles()
    a, b = np.triu_indices(len(p), k=1)
    rel = relative_overlap(p, a, b)
    assert ((rel >= 0) & (rel <= 1 + 1e-12)).all()
    same = example.candidates["industry"].to_numpy()
    same = same[a] == same[b]
    threshold = example.scoring.overlap_threshold
    # the threshold separates: nearly every same-industry pair is redundant, few of the others
    assert (rel[same] >= threshold).mean() > 0.9 and (rel[~same] >= threshold).mean() < 0.25


def test_a_heavier_reputation_goal_buys_better_partners_not_more_of_them(example):
    # P4: a cluster that seeks reputation allies with high-quality clusters. As a per-partner bonus the goal
    # bought more partners of lower mean reputation (0.830 -> 0.783 on the example as rho went 0 -> 3);
    # above a bar, partners below it cost points, and the mean reputation never falls as the weight grows
    from optimizer import solve

    rep = example.candidates.set_index("id")["reputation"]
    means = []
    for rho in (0.0, 3.0, 6.0):
        res = solve(example.variant(f"rho {rho}", reputation_weight=rho, reputation_bar=0.85), time_limit=60)
        means.append(float(rep.loc[list(res.report.partners()["id"])].mean()))
    assert all(b >= a - 1e-12 for a, b in zip(means, means[1:])), means
    assert means[-1] > means[0] + 0.05, means
    # the bar enters the objective exactly: rho (q_i - q_0) per partner
    comp = example.variant("bar", reputation_weight=2.0, reputation_bar=0.5).compile()
    partners = comp.partner_items
    expected = 2.0 * (rep.to_numpy()[comp.item_candidate[partners]] - 0.5)
    assert comp.linear_parts["reputation"][partners] == pytest.approx(expected)
