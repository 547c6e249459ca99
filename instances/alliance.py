"""A realistic random alliance scenario: world regions, industry archetypes, a focal cluster.

:func:`generate_alliance` builds a :class:`~optimizer.domain.scenario.Scenario` whose
structure follows the model in MODEL.md: candidate clusters sit in countries of
five world regions and belong to industry archetypes with typical knowledge
profiles (so redundancy is structured), endowments are heavy-tailed, costs grow
with distance from the focal cluster, rivals share a region and an archetype,
and a few rival groups are in hard conflict.

Everything is drawn from ``numpy.random.default_rng`` streams spawned from one
``SeedSequence``; all lookup tables are tuples in a fixed order, so a seed
gives the same scenario on every machine. Each part of the world (candidates,
pairs, strategy, optional constraints) has its own stream, so switching an
optional constraint on does not redraw the candidates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from optimizer.core.checks import check_seed
from optimizer.core.errors import ProblemError
from optimizer.domain.scenario import Scenario
from optimizer.domain.scoring import Scoring
from optimizer.domain.settings import Focal, ForeignValue, Level, Peers, Policy, Strategy

# ---------------------------------------------------------------------------- world tables
#: knowledge domains in the order they are used; beyond these, domains are named domain_<k>
DOMAIN_NAMES = ("biology", "software", "mechanics", "energy_systems", "agronomy", "chemistry", "electronics",
                "materials", "data_science", "regulation", "logistics", "design")

#: (industry id, label used in names, base share of candidates, tech change tau, core profile)
ARCHETYPES = (
    ("biotech", "Biotech", 0.20, 0.25,
     (("biology", 0.9), ("chemistry", 0.7), ("regulation", 0.6), ("data_science", 0.4))),
    ("ict", "ICT", 0.28, 0.30,
     (("software", 0.9), ("data_science", 0.8), ("electronics", 0.7), ("design", 0.3))),
    ("advanced_manufacturing", "Advanced Manufacturing", 0.24, 0.15,
     (("mechanics", 0.9), ("materials", 0.75), ("electronics", 0.5), ("software", 0.35), ("logistics", 0.3))),
    ("energy", "Energy", 0.14, 0.15,
     (("energy_systems", 0.9), ("materials", 0.5), ("mechanics", 0.45), ("chemistry", 0.4), ("regulation", 0.3))),
    ("agrifood", "Agrifood", 0.14, 0.05,
     (("agronomy", 0.9), ("biology", 0.55), ("logistics", 0.5), ("chemistry", 0.35), ("regulation", 0.3))),
)

#: complementarity of archetype pairs (index pairs into ARCHETYPES): where synergy arises
COMPLEMENTS = (
    (0, 1, 0.5),   # biotech x ICT: bioinformatics
    (0, 4, 0.5),   # biotech x agrifood: crop science, food safety
    (0, 2, 0.2),   # biotech x manufacturing: medical devices
    (1, 2, 0.6),   # ICT x manufacturing: industry 4.0
    (1, 3, 0.4),   # ICT x energy: smart grids
    (1, 4, 0.3),   # ICT x agrifood: precision farming
    (2, 3, 0.4),   # manufacturing x energy: turbines, batteries
    (3, 4, 0.3),   # energy x agrifood: bioenergy
)

#: (region, share of candidates, archetype affinity multipliers, countries)
#: a country is (name, language, share within the region, cities)
REGIONS = (
    ("Europe", 0.30, (1.1, 0.9, 1.2, 1.1, 0.8), (
        ("Germany", "German", 0.25, ("Munich", "Stuttgart", "Berlin", "Dresden")),
        ("France", "French", 0.18, ("Paris", "Lyon", "Toulouse", "Grenoble")),
        ("United Kingdom", "English", 0.16, ("Cambridge", "Manchester", "Edinburgh")),
        ("Italy", "Italian", 0.13, ("Milan", "Turin", "Bologna")),
        ("Netherlands", "Dutch", 0.10, ("Eindhoven", "Delft", "Wageningen")),
        ("Spain", "Spanish", 0.10, ("Barcelona", "Bilbao", "Valencia")),
        ("Sweden", "Swedish", 0.08, ("Stockholm", "Gothenburg", "Lund")),
    )),
    ("North America", 0.22, (1.4, 1.3, 0.7, 0.9, 0.7), (
        ("United States", "English", 0.80, ("Boston", "Austin", "San Diego", "Seattle", "Pittsburgh", "Raleigh")),
        ("Canada", "English", 0.20, ("Toronto", "Waterloo", "Vancouver", "Calgary")),
    )),
    ("East Asia", 0.25, (0.8, 1.3, 1.4, 0.9, 0.5), (
        ("China", "Chinese", 0.45, ("Shenzhen", "Suzhou", "Hangzhou", "Wuhan")),
        ("Japan", "Japanese", 0.30, ("Osaka", "Nagoya", "Kyoto", "Yokohama")),
        ("South Korea", "Korean", 0.15, ("Daejeon", "Pangyo", "Ulsan")),
        ("Taiwan", "Chinese", 0.10, ("Hsinchu", "Taichung")),
    )),
    ("South Asia", 0.10, (0.8, 1.6, 0.8, 0.7, 1.1), (
        ("India", "English", 0.80, ("Bangalore", "Pune", "Hyderabad", "Chennai")),
        ("Sri Lanka", "Sinhala", 0.10, ("Colombo", "Kandy")),
        ("Bangladesh", "Bengali", 0.10, ("Dhaka", "Chittagong")),
    )),
    ("Latin America", 0.13, (0.7, 0.7, 0.8, 1.2, 2.0), (
        ("Brazil", "Portuguese", 0.40, ("Sao Paulo", "Campinas", "Florianopolis", "Recife")),
        ("Mexico", "Spanish", 0.30, ("Monterrey", "Guadalajara", "Queretaro")),
        ("Chile", "Spanish", 0.10, ("Santiago", "Valparaiso")),
        ("Argentina", "Spanish", 0.10, ("Cordoba", "Rosario")),
        ("Colombia", "Spanish", 0.10, ("Medellin", "Bogota")),
    )),
)

#: geographic distance between regions (diagonal: same region, another country; same country is 0)
GEO_DISTANCE = np.array([
    # EU   NA    EA    SA    LA
    [0.20, 0.60, 0.90, 0.75, 0.80],
    [0.60, 0.20, 0.80, 0.95, 0.50],
    [0.90, 0.80, 0.20, 0.55, 1.00],
    [0.75, 0.95, 0.55, 0.20, 1.00],
    [0.80, 0.50, 1.00, 1.00, 0.20],
])

#: cultural distance between regions (a Hofstede-style index scaled to [0, 1]; same country is 0)
CULTURE_DISTANCE = np.array([
    [0.15, 0.30, 0.80, 0.70, 0.50],
    [0.30, 0.10, 0.80, 0.70, 0.50],
    [0.80, 0.80, 0.30, 0.60, 0.90],
    [0.70, 0.70, 0.60, 0.30, 0.80],
    [0.50, 0.50, 0.90, 0.80, 0.20],
])

RESOURCES = ("budget", "management", "diffusion")

#: the two engagement levels offered with levels=True
WEAK = Level(name="membership", gain=0.5, use={"budget": 0.35, "management": 0.4, "diffusion": 0.5}, strong=False)
STRONG = Level(name="joint_programme", gain=1.0, strong=True)

_ROMAN = ("", " II", " III", " IV", " V", " VI", " VII", " VIII", " IX", " X")


def _domains(n_domains: int) -> tuple[str, ...]:
    return tuple(DOMAIN_NAMES[k] if k < len(DOMAIN_NAMES) else f"domain_{k + 1}" for k in range(n_domains))


def _archetype_profiles(domains: tuple[str, ...]) -> np.ndarray:
    """Archetypes x domains typical levels; domains past the named ones get a fixed pattern (no rng)."""
    prof = np.zeros((len(ARCHETYPES), len(domains)))
    for a, arch in enumerate(ARCHETYPES):
        core = dict(arch[4])
        for k, d in enumerate(domains):
            if d in core:
                prof[a, k] = core[d]
            elif k >= len(DOMAIN_NAMES) and (k + a) % len(ARCHETYPES) == 0:
                prof[a, k] = 0.5
    return prof


def _pick(rng: np.random.Generator, weights: Sequence[float]) -> int:
    w = np.asarray(weights, float)
    return int(rng.choice(w.size, p=w / w.sum()))


def _region_index(name: str) -> int:
    for r, reg in enumerate(REGIONS):
        if reg[0] == name:
            return r
    raise ProblemError(f"unknown region {name!r}; regions are {', '.join(r[0] for r in REGIONS)}")


def _archetype_index(name: str) -> int:
    for a, arch in enumerate(ARCHETYPES):
        if name in (arch[0], arch[1]):
            return a
    raise ProblemError(f"unknown archetype {name!r}; archetypes are {', '.join(a[0] for a in ARCHETYPES)}")


def _rank_pct(v: np.ndarray) -> np.ndarray:
    """Ranks scaled to (0, 1]; ties broken by position so the result is deterministic."""
    order = np.argsort(v, kind="stable")
    r = np.empty(v.size)
    r[order] = np.arange(1, v.size + 1)
    return r / v.size


def generate_alliance(
    n_candidates: int,
    n_domains: int = 8,
    seed: int = 0,
    *,
    levels: bool = False,
    required_domains: int | Sequence[str] = 0,
    region_caps: bool | Mapping[str, int] = False,
    n_mandatory: int = 0,
    n_excluded: int = 0,
    subsidy: bool | str = False,
    subsidy_share: float = 0.5,
    foreign_value: bool | ForeignValue = False,
    focal_region: str | None = None,
    focal_archetype: str | None = None,
    portfolio_share: float = 0.10,
    home_share: float = 0.12,
    endowment_sigma: float = 1.2,
    conflict_rate: float = 0.05,
    n_feuds: int | None = None,
    synergy_rate: float = 0.10,
    tie_rate: float = 0.05,
    scoring: Scoring | None = None,
) -> Scenario:
    """A realistic random alliance scenario with ``n_candidates`` partner clusters.

    Deterministic for a seed on every machine; optional constraints draw from
    their own random streams, so switching one on keeps the candidates and the
    pair table. Every scenario is feasible: a cheap witness portfolio meeting
    all constraints is built greedily, and whatever it would break (peer size
    or foreign-share range, a region cap, rarely a resource limit) is widened
    to admit it; small instances with many options on are the ones affected.

    Knobs (all keyword-only after ``seed``):

    - ``n_candidates``: number of candidate partner clusters (>= 2).
    - ``n_domains``: knowledge domains (>= 2); the first 12 are named (biology,
      software, ...), later ones ``domain_<k>``.
    - ``seed``: the random seed.
    - ``levels``: engagement levels: weak ``membership`` (gain 0.5, 35-50 % of
      the resource use) and strong ``joint_programme`` (gain 1.0, strong=True);
      about 70 % of candidates offer both, the rest only one.
    - ``required_domains``: an int k (the k domains where the focal cluster is
      weakest) or domain names; each needs a chosen partner covering it.
    - ``region_caps``: True caps every region at 45 % of the target portfolio
      size (at least 2), or give {region: cap}.
    - ``n_mandatory``: partners that must be in (cheap, conflict-free, mostly
      from the focal region: long-standing partners).
    - ``n_excluded``: partners that must stay out.
    - ``subsidy``: True subsidizes partners in one foreign region (drawn), or
      give a region name; ``subsidy_share`` is the share of their budget cost
      paid, and they get a small gain bonus.
    - ``foreign_value``: True adds a Lavie & Miller sigmoid in the number of
      foreign partners (midpoint 40 % of the target size), or pass your own
      :class:`ForeignValue`.
    - ``focal_region`` / ``focal_archetype``: fix the focal cluster's region or
      industry (drawn otherwise).
    - ``portfolio_share``: resource limits let about this share of the
      candidates in at average cost (cheap near partners let in more).
    - ``home_share``: share of candidates from the focal cluster's own country
      (its scouting knows domestic clusters best).
    - ``endowment_sigma``: sigma of the lognormal endowment (patent families).
    - ``conflict_rate``: probability that a same-country rival pair is in hard
      conflict.
    - ``n_feuds``: cliques of 3-4 same-region same-archetype rivals in mutual
      hard conflict (default ``max(1, n_candidates // 80)``, where possible).
    - ``synergy_rate``: probability that a pair of complementary archetypes has
      a synergy entry.
    - ``tie_rate``: base probability of an existing tie between two candidates
      (higher within a country, lower across regions).
    - ``scoring``: a :class:`Scoring`; the default scales beta (0.5) and
      kappa2 (0.05) by ``min(1, 10 / target size)`` and sets tie_weight 0.3,
      so pair terms weigh against gains at the size the limits allow rather
      than capping every portfolio at a handful of partners.

    Always present: resource limits on budget (k EUR/year), management
    (person-days/year) and diffusion (member firms taking part); peer ranges
    from five simulated competitors (sizes around 0.7 x the target size, foreign
    shares ~ Beta(6, 3)); hard conflicts; a strategy with two target domains
    weighted 2, reputation weight 0.3-0.8 and breadth 0.3-0.7; a focal
    diffusion of 0.6-0.95 and a tech change set by the focal archetype.

    Candidate columns: id, name, city, region, country, language, foreign,
    industry, endowment, reputation, coord_cost, k_<domain>, use_budget,
    use_management, use_diffusion, and levels when ``levels`` is on. The pair
    table holds rivalry, conflict, synergy and tie for pairs with any of them.
    """
    if isinstance(n_candidates, bool) or not isinstance(n_candidates, (int, np.integer)) or n_candidates < 2:
        raise ProblemError(f"n_candidates must be a whole number >= 2, got {n_candidates!r}")
    if isinstance(n_domains, bool) or not isinstance(n_domains, (int, np.integer)) or n_domains < 2:
        raise ProblemError(f"n_domains must be a whole number >= 2, got {n_domains!r}")
    if not 0 < portfolio_share <= 1:
        raise ProblemError(f"portfolio_share must lie in (0, 1], got {portfolio_share!r}")
    if not 0 <= home_share < 1:
        raise ProblemError(f"home_share must lie in [0, 1), got {home_share!r}")
    if not 0 <= subsidy_share <= 1:
        raise ProblemError(f"subsidy_share must lie in [0, 1], got {subsidy_share!r}")
    n = int(n_candidates)
    if n_mandatory < 0 or n_excluded < 0 or n_mandatory + n_excluded > n:
        raise ProblemError(f"n_mandatory={n_mandatory} and n_excluded={n_excluded} must be >= 0 and together "
                           f"at most n_candidates={n}")

    streams = np.random.SeedSequence(check_seed(seed)).spawn(8)
    rng_focal, rng_cand, rng_pairs, rng_goal, rng_lev, rng_opt, rng_peer, rng_pol = (
        np.random.default_rng(s) for s in streams)
    domains = _domains(int(n_domains))
    nd = len(domains)
    arch_prof = _archetype_profiles(domains)

    # ----------------------------------------------------------------- focal cluster
    fr = _region_index(focal_region) if focal_region is not None else _pick(rng_focal, [r[1] for r in REGIONS])
    countries = REGIONS[fr][3]
    fc = _pick(rng_focal, [c[2] for c in countries])
    fa = (_archetype_index(focal_archetype) if focal_archetype is not None
          else _pick(rng_focal, np.array([a[2] for a in ARCHETYPES]) * np.array(REGIONS[fr][2])))
    f_city = countries[fc][3][int(rng_focal.integers(len(countries[fc][3])))]
    f_country, f_lang = countries[fc][0], countries[fc][1]
    # strong in its own archetype, a little knowledge elsewhere
    f_prof = np.clip(arch_prof[fa] * rng_focal.uniform(1.0, 1.15, nd) + rng_focal.beta(1.2, 12, nd), 0, 1)
    focal = Focal(name=f"{f_city} {ARCHETYPES[fa][1]} Cluster", region=REGIONS[fr][0], country=f_country,
                  profile={d: round(float(v), 3) for d, v in zip(domains, f_prof)},
                  diffusion=round(float(rng_focal.uniform(0.6, 0.95)), 2), tech_change=ARCHETYPES[fa][3])

    # ----------------------------------------------------------------- where candidates are
    home = rng_cand.random(n) < home_share
    region = np.empty(n, int)
    country = np.empty(n, int)
    city_names: list[str] = []
    for i in range(n):
        if home[i]:
            region[i], country[i] = fr, fc
        else:
            region[i] = _pick(rng_cand, [r[1] for r in REGIONS])
            country[i] = _pick(rng_cand, [c[2] for c in REGIONS[region[i]][3]])
        cities = REGIONS[region[i]][3][country[i]][3]
        city_names.append(cities[int(rng_cand.integers(len(cities)))])
    archetype = np.array([_pick(rng_cand, np.array([a[2] for a in ARCHETYPES]) * np.array(REGIONS[r][2]))
                          for r in region])

    # ----------------------------------------------------------------- size and standing
    # patent families: lognormal, so a few clusters hold most of the knowledge stock
    endowment = np.maximum(1.0, np.round(np.exp(np.log(120.0) + endowment_sigma * rng_cand.standard_normal(n))))
    size_pct = _rank_pct(endowment + rng_cand.random(n) * 1e-3)  # jitter only breaks ties
    # the focal cluster is of average size among those drawn: the reference its partners' endowments
    # are measured against (stated in the scenario, so adding a candidate later changes nothing)
    focal = replace(focal, endowment=round(float(endowment.mean()), 1))
    reputation = np.clip(0.15 + 0.7 * size_pct + rng_cand.normal(0, 0.12, n), 0, 1).round(3)

    # ----------------------------------------------------------------- knowledge profiles
    # around the archetype; larger clusters are a bit deeper in their core domains
    strength = np.clip(0.75 + 0.25 * size_pct + rng_cand.normal(0, 0.08, n), 0.5, 1.1)
    base = arch_prof[archetype]
    core = base >= 0.3
    prof = np.where(core, base * strength[:, None] + rng_cand.normal(0, 0.08, (n, nd)),
                    rng_cand.beta(1.0, 15.0, (n, nd)))
    special = rng_cand.random(n) < 0.35          # one side specialty outside the archetype
    sdom = rng_cand.integers(nd, size=n)
    slev = rng_cand.uniform(0.3, 0.7, n)
    rows = np.flatnonzero(special)
    prof[rows, sdom[rows]] = np.maximum(prof[rows, sdom[rows]], slev[rows])
    prof = np.clip(prof, 0, 1).round(3)

    # ----------------------------------------------------------------- distance and costs
    lang = np.array([REGIONS[r][3][c][1] for r, c in zip(region, country)])
    same_country = (region == fr) & (country == fc)
    geo = np.where(same_country, 0.0, GEO_DISTANCE[fr, region])
    culture = np.where(same_country, 0.0, CULTURE_DISTANCE[fr, region])
    lang_diff = (lang != f_lang).astype(float)
    coord = np.clip(0.05 + 0.35 * geo + 0.15 * lang_diff + 0.10 * culture + rng_cand.normal(0, 0.03, n), 0.01, None)
    # budget in k EUR a year: travel, joint events, staff exchange; bigger partners run bigger programmes
    use_budget = (15.0 * (1 + 1.2 * geo) * (0.8 + 0.5 * size_pct) * rng_cand.lognormal(0, 0.25, n)).round(1)
    # management person-days a year: distance and language make every meeting dearer
    use_mgmt = (8.0 * (1 + 0.8 * geo + 0.5 * lang_diff + 0.3 * culture) * rng_cand.lognormal(0, 0.25, n)).round(1)
    # member firms that must take part: scarce for far partners (international experience needed)
    use_diff = np.maximum(1, np.round(1.5 + 2.5 * size_pct + 2.5 * geo * rng_cand.random(n)))

    # ----------------------------------------------------------------- names and ids
    counts: dict[str, int] = {focal.name: 1}
    names = []
    for i in range(n):
        base_name = f"{city_names[i]} {ARCHETYPES[archetype[i]][1]} Cluster"
        k = counts.get(base_name, 0)
        counts[base_name] = k + 1
        names.append(base_name + (_ROMAN[k] if k < len(_ROMAN) else f" {k + 1}"))
    width = max(3, len(str(n)))
    ids = [f"C{i + 1:0{width}d}" for i in range(n)]

    cand = pd.DataFrame({
        "id": ids, "name": names, "city": city_names,
        "region": [REGIONS[r][0] for r in region],
        "country": [REGIONS[r][3][c][0] for r, c in zip(region, country)],
        "language": lang, "foreign": ~same_country,
        "industry": [ARCHETYPES[a][0] for a in archetype],
        "endowment": endowment, "reputation": reputation, "coord_cost": coord.round(3),
    })
    for k, d in enumerate(domains):
        cand[f"k_{d}"] = prof[:, k]
    cand["use_budget"], cand["use_management"], cand["use_diffusion"] = use_budget, use_mgmt, use_diff

    # ----------------------------------------------------------------- pairs
    pairs = _pairs(rng_pairs, n, region, country, archetype, prof, n_feuds, conflict_rate, synergy_rate, tie_rate)
    pair_df = pd.DataFrame({"a": [ids[i] for i in pairs["i"]], "b": [ids[j] for j in pairs["j"]],
                            "rivalry": pairs["rivalry"], "conflict": pairs["conflict"],
                            "synergy": pairs["synergy"], "tie": pairs["tie"]})
    conflict_pairs = {(int(i), int(j)) for i, j, c in zip(pairs["i"], pairs["j"], pairs["conflict"]) if c}

    # ----------------------------------------------------------------- limits and goals
    target = max(1.0, portfolio_share * n)
    # slightly different slack per resource, so budget usually binds first
    limits = {"budget": round(float(portfolio_share * use_budget.sum()), 1),
              "management": round(float(1.1 * portfolio_share * use_mgmt.sum()), 1),
              "diffusion": round(float(1.2 * portfolio_share * use_diff.sum()), 1)}
    weights = {d: 1.0 for d in domains}
    gaps = [k for k in range(nd) if arch_prof[fa, k] < 0.3]          # where the focal cluster is weak
    for k in rng_goal.choice(gaps, size=min(2, len(gaps)), replace=False) if gaps else ():
        weights[domains[int(k)]] = 2.0                                # strategic targets
    strategy = Strategy(domain_weights=weights, reputation_weight=round(float(rng_goal.uniform(0.3, 0.8)), 2),
                        breadth=round(float(rng_goal.uniform(0.3, 0.7)), 2))

    # peers: five competing clusters' portfolios, a little smaller than what the limits allow
    peer_sizes = np.maximum(1, rng_peer.poisson(0.7 * target, 5))
    peer_foreign = rng_peer.beta(6.0, 3.0, 5)
    size_cap_by_resource = min(_fits(use, limits[r]) for r, use in
                               (("budget", use_budget), ("management", use_mgmt), ("diffusion", use_diff)))
    size_min = int(min(peer_sizes.min(), max(1, size_cap_by_resource // 2)))
    size_max = int(max(size_min, math.ceil(1.2 * peer_sizes.max())))
    peers = Peers(size_min=size_min, size_max=size_max,
                  foreign_share_min=round(float(peer_foreign.min() * 0.8), 2),
                  foreign_share_max=round(float(min(0.95, peer_foreign.max() + 0.05)), 2))

    if scoring is None:
        # pair terms add up over ~target^2/2 pairs while gains add over ~target partners;
        # scaling by 10/target keeps their balance at the size the limits allow
        scale = min(1.0, 10.0 / target)
        scoring = Scoring(beta=round(0.5 * scale, 4), kappa2=round(0.05 * scale, 4), tie_weight=0.3)

    # ----------------------------------------------------------------- optional parts
    cand_levels: tuple[Level, ...] = ()
    if levels:
        cand_levels = (WEAK, STRONG)
        u = rng_lev.random(n)
        cand["levels"] = np.where(u < 0.7, f"{WEAK.name};{STRONG.name}",
                                  np.where(u < 0.85, WEAK.name, STRONG.name))

    excluded: list[int] = []
    mandatory: list[int] = []
    cheap = (use_budget <= np.median(use_budget)) & (use_mgmt <= np.median(use_mgmt))
    if n_mandatory:
        # long-standing partners: cheap, preferably in the focal region, never in conflict with each other
        order = rng_opt.permutation(n)
        order = sorted(order.tolist(), key=lambda i: (not cheap[i], region[i] != fr))  # stable: keeps the draw
        for i in order:
            if len(mandatory) == n_mandatory:
                break
            if all((min(i, j), max(i, j)) not in conflict_pairs for j in mandatory):
                mandatory.append(i)
        if len(mandatory) < n_mandatory:
            raise ProblemError(f"cannot pick {n_mandatory} mandatory partners free of mutual hard conflicts")
    if n_excluded:
        rest = np.array([i for i in range(n) if i not in mandatory])
        excluded = sorted(rng_opt.choice(rest, size=n_excluded, replace=False).tolist())

    req: tuple[str, ...] = ()
    if isinstance(required_domains, (int, np.integer)) and not isinstance(required_domains, bool):
        if required_domains:
            out = set(excluded)
            coverable = [k for k in range(nd)
                         if any(prof[i, k] >= scoring.coverage_threshold for i in range(n) if i not in out)]
            # the focal cluster's weakest domains that some partner can cover
            order = sorted(coverable, key=lambda k: (f_prof[k], k))
            req = tuple(domains[k] for k in order[:int(required_domains)])
    else:
        req = tuple(required_domains)

    caps: dict[str, int] = {}
    if region_caps is True:
        cap = max(2, math.ceil(0.45 * target))
        for r, reg in enumerate(REGIONS):
            if (region == r).any():
                caps[reg[0]] = max(cap, int(sum(region[i] == r for i in mandatory)))
    elif region_caps:
        caps = dict(region_caps)

    policy = Policy()
    subsidized = np.zeros(n)   # share of each candidate's budget cost the subsidy pays
    if subsidy:
        if subsidy is True:
            others = [r for r in range(len(REGIONS)) if r != fr and (region == r).any()]
            sr = REGIONS[int(rng_pol.choice(others))][0] if others else REGIONS[fr][0]
        else:
            sr = REGIONS[_region_index(str(subsidy))][0]
        policy = Policy(subsidies={f"region:{sr}": subsidy_share}, bonus={f"region:{sr}": 0.1})
        subsidized = np.where(cand["region"].to_numpy() == sr, subsidy_share, 0.0)

    fv = None
    if foreign_value is True:
        mid = max(1.0, round(0.4 * target))
        fv = ForeignValue.sigmoid(midpoint=mid, steepness=4.0 / mid, scale=1.5)
    elif isinstance(foreign_value, ForeignValue):
        fv = foreign_value

    # every generated scenario must be feasible: build a witness portfolio and widen what it breaks
    use = np.column_stack([use_budget, use_mgmt, use_diff]).astype(float)
    if cand_levels:
        by_name = {lv.name: lv for lv in cand_levels}
        for i, offered in enumerate(cand["levels"]):
            cheapest = min((by_name[t] for t in offered.split(";")),
                           key=lambda lv: sum(float(lv.use.get(r, 1.0)) for r in RESOURCES))
            use[i] *= [float(cheapest.use.get(r, 1.0)) for r in RESOURCES]
    use[:, 0] *= 1.0 - subsidized
    peers, caps, limits = _ensure_feasible(
        use, limits, ~same_country, [REGIONS[r][0] for r in region], prof,
        [domains.index(d) for d in req], scoring.coverage_threshold, mandatory, excluded, conflict_pairs, peers,
        caps, focal.tech_change)

    tag = "_levels" if levels else ""
    return Scenario(candidates=cand, focal=focal, limits=limits, strategy=strategy, peers=peers, policy=policy,
                    pairs=pair_df, levels=cand_levels, mandatory=tuple(ids[i] for i in mandatory),
                    excluded=tuple(ids[i] for i in excluded), region_caps=caps, required_domains=req,
                    foreign_value=fv, scoring=scoring, name=f"alliance_{n}_{nd}_{seed}{tag}")


def _ensure_feasible(use: np.ndarray, limits: dict[str, float], foreign: np.ndarray, regions: list[str],
                     prof: np.ndarray, req: list[int], threshold: float, mandatory: list[int], excluded: list[int],
                     conflicts: set[tuple[int, int]], peers: Peers, caps: dict[str, int],
                     tech_change: float) -> tuple[Peers, dict[str, int], dict[str, float]]:
    """Greedily build a cheap portfolio meeting every constraint kind; widen the settings it would break.

    ``use`` is each candidate's resource use at its cheapest level after
    subsidies (columns in RESOURCES order). Usually nothing changes; small
    instances with many options switched on may get a larger size_max, a wider
    foreign-share range, a looser region cap or (rarely) a higher limit.
    """
    n = use.shape[0]
    limit_vec = np.array([max(limits[r], 1e-9) for r in RESOURCES])
    order = np.argsort((use / limit_vec).sum(axis=1), kind="stable")   # cheapest first
    blocked = np.zeros(n, bool)
    blocked[excluded] = True
    chosen: list[int] = list(mandatory)
    fmin, fmax = peers.foreign_share_min, peers.foreign_share_max
    size_min, size_max = peers.size_min, peers.size_max
    target_min = size_min
    if tech_change > 0 and size_min > 0:   # compile raises the size target the same way
        target_min = min(size_max, int(math.ceil(size_min * (1 + tech_change) - 1e-9)))

    def count(region: str) -> int:
        return sum(regions[i] == region for i in chosen)

    def add(want) -> bool:
        """Add the cheapest allowed candidate satisfying `want`, within region caps if possible."""
        for within_caps in (True, False):
            for i in order.tolist():
                if blocked[i] or i in chosen or not want(i):
                    continue
                if any((min(i, j), max(i, j)) in conflicts for j in chosen):
                    continue
                if within_caps and regions[i] in caps and count(regions[i]) >= caps[regions[i]]:
                    continue
                chosen.append(i)
                return True
        return False

    for k in req:
        if not any(prof[i, k] >= threshold for i in chosen):
            add(lambda i, k=k: prof[i, k] >= threshold)
    for _ in range(n):
        s, f = len(chosen), int(foreign[chosen].sum()) if chosen else 0
        if s < target_min:
            need_foreign = f < fmin * (s + 1)
            if not add(lambda i: bool(foreign[i]) or not need_foreign) and not add(lambda i: True):
                size_min = min(size_min, int(s / (1 + tech_change)))   # cannot grow: lower the target
                break
        elif f < fmin * s - 1e-9:
            if not add(lambda i: bool(foreign[i])):
                fmin = math.floor(100 * f / s) / 100
        elif f > fmax * s + 1e-9:
            if not add(lambda i: not foreign[i]):
                fmax = math.ceil(100 * f / s) / 100
        else:
            break
    s, f = len(chosen), int(foreign[chosen].sum()) if chosen else 0
    if s:   # a last guard: the witness's own share must lie in the range
        fmin, fmax = min(fmin, math.floor(100 * f / s) / 100), max(fmax, math.ceil(100 * f / s) / 100)
    peers = Peers(size_min=size_min, size_max=max(size_max, s), foreign_share_min=fmin,
                  foreign_share_max=min(1.0, fmax))
    caps = {r: max(c, count(r)) for r, c in caps.items()}
    spent = use[chosen].sum(axis=0) if chosen else np.zeros(len(RESOURCES))
    limits = {r: (limits[r] if spent[k] <= limits[r] else round(float(spent[k]) * 1.05 + 0.05, 1))
              for k, r in enumerate(RESOURCES)}
    return peers, caps, limits


def _fits(use: np.ndarray, limit: float) -> int:
    """How many of the cheapest candidates fit under a limit."""
    return int(np.searchsorted(np.cumsum(np.sort(use)), limit, side="right"))


def _pairs(rng: np.random.Generator, n: int, region: np.ndarray, country: np.ndarray, archetype: np.ndarray,
           prof: np.ndarray, n_feuds: int | None, conflict_rate: float, synergy_rate: float,
           tie_rate: float) -> dict[str, np.ndarray]:
    """Pair table arrays (i < j, row-major order): rivalry, conflict, synergy, tie; only nonzero pairs."""
    i, j = np.triu_indices(n, k=1)
    same_region = region[i] == region[j]
    same_country = same_region & (country[i] == country[j])
    same_arch = archetype[i] == archetype[j]
    overlap = np.minimum(prof[i], prof[j]).sum(axis=1) / np.maximum(1e-9, prof.sum(axis=1).max())

    # rivals compete for the same customers, talent and funding: same archetype, same region
    rival = same_region & same_arch
    rivalry = np.where(rival, np.where(same_country, 0.5, 0.25) * (0.5 + overlap) * rng.uniform(0.6, 1.4, i.size), 0)

    # hard conflicts: some same-country rivals, plus feuds (cliques) so that clique rows matter
    conflict = rival & same_country & (rng.random(i.size) < conflict_rate)
    groups = []
    for r in range(len(REGIONS)):
        for a in range(len(ARCHETYPES)):
            members = np.flatnonzero((region == r) & (archetype == a))
            if members.size >= 3:
                groups.append(members)
    feuds = max(1, n // 80) if n_feuds is None else int(n_feuds)
    if groups and feuds:
        for g in rng.choice(len(groups), size=min(feuds, len(groups)), replace=False):
            members = groups[int(g)]
            size = 4 if members.size >= 4 and rng.random() < 0.3 else 3
            clique = np.sort(rng.choice(members, size=size, replace=False))
            for x in range(size):
                for y in range(x + 1, size):
                    a, b = int(clique[x]), int(clique[y])
                    conflict[a * (2 * n - a - 1) // 2 + b - a - 1] = True   # row-major position of (a, b)

    # synergy between complementary archetypes (bioinformatics, industry 4.0, smart grids, ...)
    comp = np.zeros((len(ARCHETYPES), len(ARCHETYPES)))
    for a, b, v in COMPLEMENTS:
        comp[a, b] = comp[b, a] = v
    c = comp[archetype[i], archetype[j]]
    synergy = np.where((c > 0) & (rng.random(i.size) < synergy_rate), c * rng.uniform(0.5, 1.5, i.size), 0)

    # existing ties among candidates: mostly within a country or region
    p_tie = tie_rate * np.where(same_country, 1.6, np.where(same_region, 0.6, 0.1))
    tie = np.where(rng.random(i.size) < p_tie, rng.uniform(0.3, 1.0, i.size), 0)

    keep = np.flatnonzero((rivalry > 0) | conflict | (synergy > 0) | (tie > 0))
    return {"i": i[keep], "j": j[keep], "rivalry": rivalry[keep].round(3), "conflict": conflict[keep],
            "synergy": synergy[keep].round(3), "tie": tie[keep].round(3)}
