"""What each chosen partner brings, and what keeps a partner that lowers the objective."""

from __future__ import annotations

import pytest

from instances import generate_alliance
from optimizer import solve


@pytest.mark.parametrize("seed, options", [
    (3, {}), (5, {"levels": True, "n_mandatory": 2}), (8, {"required_domains": 2, "region_caps": True}),
    (11, {"foreign_value": True, "n_mandatory": 1, "required_domains": 1}),
])
def test_kept_by_names_a_constraint_exactly_when_dropping_the_partner_is_infeasible(seed, options):
    scenario = generate_alliance(18, n_domains=5, seed=seed, **options)
    for variant in (scenario, scenario.variant("bigger", size_min=scenario.peers.size_max)):
        res = solve(variant, time_limit=30)
        if not res.has_solution:
            continue
        partners = res.report.partners()
        # `removable` is checked on the canonical problem; `kept by` is read from the scenario's settings
        assert ((partners["kept by"] != "") == ~partners["removable"]).all(), partners[["id", "removable", "kept by"]]
        assert (partners["brings"] != "").all()


def test_the_report_says_what_keeps_each_partner_that_lowers_the_objective(example_breadth_result):
    # the established-cluster strategy: size_min 6 raised to 7 by tech change keeps partners worth less than 0
    res = example_breadth_result
    text = res.report.to_text()
    assert "note: size target raised from 6 to 7 by tech_change" in text
    negative = res.report.partners().query("marginal < 0")
    assert len(negative)
    section = text.split("Partners that lower the objective, and what keeps them")[1]
    for row in negative.to_dict("records"):
        assert f"{row['name']} ({row['id']}" in section
    assert "kept by the minimum portfolio size (7)" in section
    brings = text.split("What each partner brings")[1]
    assert "+0." in brings          # domains with the gap each partner fills
