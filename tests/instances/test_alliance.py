"""generate_alliance: determinism, table shapes, compiled constraint kinds, realistic structure, a solve."""

from __future__ import annotations

import dataclasses
import re

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from instances import generate_alliance
from instances.alliance import ARCHETYPES, DOMAIN_NAMES, REGIONS
from optimizer import ProblemError, Termination, solve
from optimizer.domain.scenario import Scenario

ALL_ON = dict(levels=True, required_domains=2, region_caps=True, n_mandatory=2, n_excluded=3, subsidy=True,
              foreign_value=True)
BASE_COLUMNS = ["id", "name", "city", "region", "country", "language", "foreign", "industry", "endowment",
                "reputation", "coord_cost"]
SETTINGS = ("focal", "limits", "strategy", "peers", "policy", "levels", "mandatory", "excluded", "region_caps",
            "required_domains", "foreign_value", "scoring", "name")


def _same_scenario(a: Scenario, b: Scenario) -> None:
    pd.testing.assert_frame_equal(a.candidates, b.candidates)
    pd.testing.assert_frame_equal(a.pairs, b.pairs)
    for f in SETTINGS:
        assert getattr(a, f) == getattr(b, f), f


def _region_of(name: str) -> int:
    return next(k for k, r in enumerate(REGIONS) if r[0] == name)


def _overlaps(s: Scenario) -> tuple[float, float]:
    """Mean knowledge overlap sum_d min(k_id, k_jd) over same- and different-archetype pairs."""
    prof = s.profiles()
    ind = s.candidates["industry"].to_numpy()
    i, j = np.triu_indices(len(prof), k=1)
    ov = np.minimum(prof[i], prof[j]).sum(axis=1)
    same = ind[i] == ind[j]
    return float(ov[same].mean()), float(ov[~same].mean())


# ------------------------------------------------------------------------------- determinism
@pytest.mark.parametrize("options", [{}, ALL_ON], ids=["plain", "all_on"])
def test_same_seed_gives_identical_scenario(options):
    _same_scenario(generate_alliance(80, 8, 7, **options), generate_alliance(80, 8, 7, **options))


def test_different_seeds_differ():
    a, b = generate_alliance(80, seed=1), generate_alliance(80, seed=2)
    assert not a.candidates.equals(b.candidates)
    assert not np.allclose(a.profiles(), b.profiles())
    assert a.limits != b.limits


def test_options_do_not_redraw_the_candidates():
    plain = generate_alliance(70, seed=4)
    full = generate_alliance(70, seed=4, **ALL_ON)
    pd.testing.assert_frame_equal(plain.candidates, full.candidates.drop(columns="levels"))
    pd.testing.assert_frame_equal(plain.pairs, full.pairs)
    assert plain.focal == full.focal and plain.limits == full.limits


def test_known_values_for_seed_zero():
    """Pins drawn values, so a change in the random streams (machine, numpy or code) shows up."""
    s = generate_alliance(30, seed=0)
    assert (s.focal.name, s.focal.country) == ("Sao Paulo Agrifood Cluster", "Brazil")
    head = s.candidates.head(4)
    assert head["name"].tolist() == ["Wageningen Advanced Manufacturing Cluster",
                                     "Florianopolis Advanced Manufacturing Cluster", "Boston Agrifood Cluster",
                                     "Kyoto Energy Cluster"]
    assert head["country"].tolist() == ["Netherlands", "Brazil", "United States", "Japan"]
    assert head["endowment"].tolist() == [107.0, 299.0, 64.0, 74.0]
    assert s.limits == {"budget": 79.3, "management": 59.0, "diffusion": 13.6}
    assert (len(s.pairs), int(s.pairs["conflict"].sum())) == (55, 4)


# ------------------------------------------------------------------------------- shapes
@pytest.mark.parametrize("n,nd", [(2, 2), (25, 8), (120, 5), (60, 14)])
def test_rows_and_columns(n, nd):
    s = generate_alliance(n, nd, seed=3)
    cand = s.candidates
    assert len(cand) == n
    assert len(s.domains) == nd and len(set(s.domains)) == nd
    assert s.domains[: min(nd, len(DOMAIN_NAMES))] == DOMAIN_NAMES[:nd]
    assert sorted(c for c in cand.columns if c.startswith("k_")) == sorted(f"k_{d}" for d in s.domains)
    assert sorted(c for c in cand.columns if c.startswith("use_")) == sorted(f"use_{r}" for r in s.limits)
    assert set(s.limits) == {"budget", "management", "diffusion"}
    assert all(c in cand.columns for c in BASE_COLUMNS)
    prof = s.profiles()
    assert prof.min() >= 0 and prof.max() <= 1
    assert cand["reputation"].between(0, 1).all()
    assert (cand["endowment"] > 0).all() and (cand["coord_cost"] > 0).all()
    assert all(re.fullmatch(r"C\d{3,}", i) for i in cand["id"]) and cand["id"].is_unique
    assert cand["name"].is_unique and s.focal.name not in set(cand["name"])
    assert all(re.fullmatch(r"[A-Z][\w ]+ Cluster( [IVX]+| \d+)?", nm) for nm in cand["name"])


def test_foreign_means_another_country_than_the_focal_cluster():
    s = generate_alliance(150, seed=5)
    cand = s.candidates
    assert (cand["foreign"] == (cand["country"] != s.focal.country)).all()
    assert (~cand["foreign"]).sum() > 0 and cand["foreign"].sum() > 0


def test_focal_is_strong_in_its_archetype():
    for seed in range(5):
        s = generate_alliance(20, seed=seed, focal_region="Europe", focal_archetype="biotech")
        assert s.focal.region == "Europe" and "Biotech" in s.focal.name
        assert s.focal.profile["biology"] >= 0.8 and s.focal.profile["software"] < 0.5


def test_limits_admit_a_plausible_portfolio_size():
    for seed in range(4):
        s = generate_alliance(200, seed=seed)
        cand = s.candidates
        for r, limit in s.limits.items():
            use = np.sort(cand[f"use_{r}"].to_numpy())
            cheapest_fit = int(np.searchsorted(np.cumsum(use), limit, side="right"))
            average_fit = limit / use.mean()
            assert 0.05 * len(cand) <= average_fit <= 0.15 * len(cand), r
            assert cheapest_fit < 0.5 * len(cand), r     # the limit binds: not everyone fits
        assert 1 <= s.peers.size_min <= s.peers.size_max
        assert s.peers.size_max <= 0.25 * len(cand)
        assert 0 < s.peers.foreign_share_min < s.peers.foreign_share_max < 1


def test_bad_arguments_raise():
    for kwargs in (dict(n_candidates=1), dict(n_candidates=10, n_domains=1), dict(n_candidates=10.5),
                   dict(n_candidates=10, portfolio_share=0), dict(n_candidates=10, n_mandatory=8, n_excluded=3),
                   dict(n_candidates=10, focal_region="Mars"), dict(n_candidates=10, focal_archetype="mining")):
        with pytest.raises(ProblemError):
            generate_alliance(**kwargs)


# ------------------------------------------------------------------------------- compile
def test_plain_scenario_compiles_without_optional_constraints():
    s = generate_alliance(50, seed=2)
    p = s.compile().problem
    assert p.n == 50
    assert list(p.row_names) == ["budget", "management", "diffusion", "foreign_share_min", "foreign_share_max"]
    assert p.covers == () and p.forced_in.size == 0 and p.forced_out.size == 0
    assert all(g.size >= 2 for g in p.groups)                 # only conflict cliques


def test_all_options_compile_to_every_constraint_kind():
    s = generate_alliance(60, seed=3, **ALL_ON)
    cs = s.compile()
    p = cs.problem
    n_items = int((cs.item_candidate >= 0).sum())
    offers = s.candidates["levels"].str.count(";") + 1
    assert n_items == int(offers.sum())
    assert set(cs.item_level[:n_items]) == {"membership", "joint_programme"}
    # one group per candidate offering both levels, plus conflict cliques
    level_groups = [g for g in p.groups if len(set(cs.item_candidate[g])) == 1]
    assert len(level_groups) == int((offers == 2).sum())
    assert ((offers == 1).sum() > 0) and ((offers == 2).sum() > 0.5 * len(offers))
    assert any(len(set(cs.item_candidate[g])) >= 3 for g in p.groups)     # a conflict clique row
    # a weak membership uses fewer resources than a joint programme with the same partner
    for g in level_groups:
        weak, strong = (g[0], g[1]) if cs.item_level[g[0]] == "membership" else (g[1], g[0])
        assert np.all(p.A[:3, weak] < p.A[:3, strong])
    # covers: one per required domain, plus one per mandatory partner offering two levels
    assert len(s.required_domains) == 2
    assert len(p.covers) >= 2
    names = list(p.row_names)
    assert {"budget", "management", "diffusion", "foreign_share_min", "foreign_share_max"} <= set(names)
    assert {f"region:{r}" for r in s.region_caps} <= set(names) and len(s.region_caps) >= 4
    assert any(nm.startswith("foreign_order") for nm in names)           # Lavie & Miller's term
    forced_out_candidates = set(cs.item_candidate[p.forced_out].tolist())
    assert forced_out_candidates == {s.ids.index(c) for c in s.excluded}
    mandatory_rows = {s.ids.index(c) for c in s.mandatory}
    forced_in_candidates = set(cs.item_candidate[p.forced_in].tolist())
    covered_by_cover = {int(cs.item_candidate[c[0]]) for c in p.covers if len(set(cs.item_candidate[c])) == 1}
    assert forced_in_candidates | covered_by_cover == mandatory_rows
    # the subsidy lowers the budget use of the subsidized region
    key = next(iter(s.policy.subsidies))
    region = key.split(":", 1)[1]
    assert region != s.focal.region
    budget = p.A[names.index("budget"), :n_items]
    raw = s.candidates["use_budget"].to_numpy()[cs.item_candidate[:n_items]]
    sub = (s.candidates["region"].to_numpy()[cs.item_candidate[:n_items]] == region)
    strong = np.array([lv == "joint_programme" for lv in cs.item_level[:n_items]])
    assert np.allclose(budget[sub & strong], 0.5 * raw[sub & strong])
    assert np.allclose(budget[~sub & strong], raw[~sub & strong])


def test_required_domains_by_name_and_explicit_caps():
    s = generate_alliance(40, seed=1, required_domains=("software", "agronomy"), region_caps={"Europe": 2})
    p = s.compile().problem
    assert s.required_domains == ("software", "agronomy") and len(p.covers) == 2
    assert "region:Europe" in p.row_names


# ------------------------------------------------------------------------------- structure
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_same_archetype_partners_overlap_more(seed):
    same, different = _overlaps(generate_alliance(120, seed=seed))
    assert same > different * 1.3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_endowment_is_heavy_tailed(seed):
    e = generate_alliance(200, seed=seed).candidates["endowment"]
    assert e.max() / e.median() > 8
    assert e.mean() > 1.3 * e.median()
    assert e.skew() > 2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reputation_rank_correlates_with_endowment(seed):
    cand = generate_alliance(150, seed=seed).candidates
    rho = cand["reputation"].rank().corr(cand["endowment"].rank())   # Spearman: Pearson on ranks
    assert rho > 0.3
    assert rho < 0.99                                                 # noisy, not a function of size


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_other_continents_cost_more(seed):
    s = generate_alliance(200, seed=seed)
    cand = s.candidates
    home_region = cand["region"] == s.focal.region
    far = ~home_region
    assert home_region.sum() >= 5 and far.sum() >= 5
    for col in ("use_budget", "use_management", "coord_cost"):
        assert cand.loc[far, col].mean() > cand.loc[home_region, col].mean(), col
    domestic = ~cand["foreign"]
    assert cand.loc[domestic, "coord_cost"].mean() < cand.loc[far, "coord_cost"].mean()


@pytest.mark.parametrize("n,seed", [(100, 0), (100, 1), (100, 2), (100, 3), (150, 4), (300, 5)])
def test_conflicts_form_a_triangle(n, seed):
    s = generate_alliance(n, seed=seed)
    conflicts = s.pairs[s.pairs["conflict"]]
    g = nx.Graph(list(zip(conflicts["a"], conflicts["b"])))
    assert sum(nx.triangles(g).values()) >= 3
    assert len(conflicts) < 0.02 * n * (n - 1) / 2                # sparse


def test_pair_table_structure():
    s = generate_alliance(150, seed=6)
    cand = s.candidates.set_index("id")
    pairs = s.pairs
    ra, rb = cand.loc[pairs["a"], "region"].to_numpy(), cand.loc[pairs["b"], "region"].to_numpy()
    ia, ib = cand.loc[pairs["a"], "industry"].to_numpy(), cand.loc[pairs["b"], "industry"].to_numpy()
    rival = pairs["rivalry"].to_numpy() > 0
    assert rival.any() and np.all((ra == rb)[rival] & (ia == ib)[rival])       # rivals: same region, archetype
    assert np.all(rival[pairs["conflict"].to_numpy()])                         # hard conflicts are rivalries
    syn = pairs["synergy"].to_numpy() > 0
    assert syn.any() and np.all((ia != ib)[syn])                               # synergy: complementary
    assert (pairs["tie"] > 0).any()
    key = [tuple(sorted(t)) for t in zip(pairs["a"], pairs["b"])]
    assert len(set(key)) == len(key)


def test_industries_and_regions_come_from_the_tables():
    cand = generate_alliance(300, seed=8).candidates
    assert set(cand["industry"]) == {a[0] for a in ARCHETYPES}
    assert set(cand["region"]) == {r[0] for r in REGIONS}
    for region, country in zip(cand["region"], cand["country"]):
        assert country in {c[0] for c in REGIONS[_region_of(region)][3]}


# ------------------------------------------------------------------------------- solve
def test_forty_candidates_with_everything_on_solves_to_optimality():
    s = generate_alliance(40, seed=11, **ALL_ON)
    cs = s.compile()
    r = solve(cs.problem, time_limit=120, threads=1)
    assert r.termination is Termination.OPTIMAL
    chosen = cs.item_candidate[np.flatnonzero(r.x)]
    chosen = chosen[chosen >= 0]
    ids = [s.ids[c] for c in chosen]
    assert set(s.mandatory) <= set(ids) and not set(s.excluded) & set(ids)
    assert s.peers.size_min <= len(ids) <= s.peers.size_max
    assert abs(sum(cs.breakdown(r.x).values()) - r.objective) < 1e-6


@pytest.mark.parametrize("n", [12, 25])
@pytest.mark.parametrize("seed", range(6))
def test_everything_on_is_feasible(n, seed):
    """The generator widens peer ranges and caps until a witness portfolio fits, so no draw is infeasible."""
    s = generate_alliance(n, seed=seed, levels=True, required_domains=3, region_caps=True, n_mandatory=2,
                          n_excluded=2, subsidy=True, foreign_value=True)
    r = solve(s.compile().problem, time_limit=30, threads=1)
    assert r.termination in (Termination.OPTIMAL, Termination.TIME_LIMIT) and r.has_solution, r.message


def test_scenario_is_a_frozen_value():
    s = generate_alliance(20, seed=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.name = "other"  # type: ignore[misc]


def test_a_spec_and_the_knobs_build_the_same_scenario():
    from instances import AllianceSpec

    by_knobs = generate_alliance(25, seed=4, levels=True, n_mandatory=1)
    by_spec = generate_alliance(AllianceSpec(25, seed=4, levels=True, n_mandatory=1))
    assert by_spec.name == by_knobs.name
    pd.testing.assert_frame_equal(by_spec.candidates, by_knobs.candidates)
    assert by_spec.mandatory == by_knobs.mandatory and by_spec.limits == by_knobs.limits


def test_unknown_knobs_and_a_spec_with_knobs_are_refused_with_the_valid_names():
    from instances import AllianceSpec

    with pytest.raises(ProblemError, match="unknown option.*level.*the options are .*levels"):
        generate_alliance(20, level=True)
    with pytest.raises(ProblemError, match="either an AllianceSpec or the knobs"):
        generate_alliance(AllianceSpec(20), seed=3)
    with pytest.raises(ProblemError, match="seed must be a whole number"):
        AllianceSpec(20, seed=-1)
