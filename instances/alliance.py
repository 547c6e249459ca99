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
from dataclasses import dataclass, field, fields, replace
from typing import Any

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


@dataclass(frozen=True)
class AllianceSpec:
    """What :func:`generate_alliance` builds: every knob, checked when the spec is made.

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
    """

    n_candidates: int
    n_domains: int = 8
    seed: int = 0
    levels: bool = False
    required_domains: int | Sequence[str] = 0
    region_caps: bool | Mapping[str, int] = False
    n_mandatory: int = 0
    n_excluded: int = 0
    subsidy: bool | str = False
    subsidy_share: float = 0.5
    foreign_value: bool | ForeignValue = False
    focal_region: str | None = None
    focal_archetype: str | None = None
    portfolio_share: float = 0.10
    home_share: float = 0.12
    endowment_sigma: float = 1.2
    conflict_rate: float = 0.05
    n_feuds: int | None = None
    synergy_rate: float = 0.10
    tie_rate: float = 0.05
    scoring: Scoring | None = None

    def __post_init__(self) -> None:
        n = self.n_candidates
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
            raise ProblemError(f"n_candidates must be a whole number >= 2, got {n!r}")
        nd = self.n_domains
        if isinstance(nd, bool) or not isinstance(nd, (int, np.integer)) or nd < 2:
            raise ProblemError(f"n_domains must be a whole number >= 2, got {nd!r}")
        check_seed(self.seed)
        if not 0 < self.portfolio_share <= 1:
            raise ProblemError(f"portfolio_share must lie in (0, 1], got {self.portfolio_share!r}")
        if not 0 <= self.home_share < 1:
            raise ProblemError(f"home_share must lie in [0, 1), got {self.home_share!r}")
        if not 0 <= self.subsidy_share <= 1:
            raise ProblemError(f"subsidy_share must lie in [0, 1], got {self.subsidy_share!r}")
        if self.n_mandatory < 0 or self.n_excluded < 0 or self.n_mandatory + self.n_excluded > n:
            raise ProblemError(f"n_mandatory={self.n_mandatory} and n_excluded={self.n_excluded} must be >= 0 "
                               f"and together at most n_candidates={n}")
        if self.focal_region is not None:
            _region_index(self.focal_region)
        if self.focal_archetype is not None:
            _archetype_index(self.focal_archetype)


def generate_alliance(n_candidates: int | AllianceSpec, n_domains: int = 8, seed: int = 0,
                      **options: Any) -> Scenario:
    """A realistic random alliance scenario: ``generate_alliance(60, seed=7, levels=True)`` or
    ``generate_alliance(AllianceSpec(60, seed=7, levels=True))``; the knobs are :class:`AllianceSpec`'s.

    Deterministic for a seed on every machine; optional constraints draw from
    their own random streams, so switching one on keeps the candidates and the
    pair table. Every scenario is feasible: a cheap witness portfolio meeting
    all constraints is built greedily, and whatever it would break (peer size
    or foreign-share range, a region cap, rarely a resource limit) is widened
    to admit it; small instances with many options on are the ones affected.

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
    spec = n_candidates
    if not isinstance(spec, AllianceSpec):
        unknown = sorted(set(options) - {f.name for f in fields(AllianceSpec)})
        if unknown:
            raise ProblemError(f"generate_alliance: unknown option(s) {', '.join(unknown)}; the options are "
                               f"{', '.join(f.name for f in fields(AllianceSpec)[3:])}")
        spec = AllianceSpec(spec, n_domains, seed, **options)
    elif options or (n_domains, seed) != (8, 0):
        raise ProblemError("generate_alliance: give either an AllianceSpec or the knobs, not both")
    rng = dict(zip(("focal", "candidates", "pairs", "goals", "levels", "options", "peers", "policy"),
                   (np.random.default_rng(s) for s in np.random.SeedSequence(check_seed(spec.seed)).spawn(8))))
    world = _focal(spec, rng["focal"])
    _place_candidates(spec, world, rng["candidates"])
    cand = _candidate_table(spec, world, rng["candidates"])
    pairs = _pairs(rng["pairs"], world, spec)
    pair_df = pd.DataFrame({"a": [world.ids[i] for i in pairs["i"]], "b": [world.ids[j] for j in pairs["j"]],
                            "rivalry": pairs["rivalry"], "conflict": pairs["conflict"],
                            "synergy": pairs["synergy"], "tie": pairs["tie"]})
    conflict_pairs = {(int(i), int(j)) for i, j, c in zip(pairs["i"], pairs["j"], pairs["conflict"]) if c}
    goals = _goals(spec, world, rng["goals"], rng["peers"])
    opts = _options(spec, world, cand, goals, conflict_pairs, rng)
    peers, caps, limits = _ensure_feasible(_witness_use(world, opts), world, opts, goals, conflict_pairs)
    n, nd = spec.n_candidates, len(world.domains)
    tag = "_levels" if spec.levels else ""
    return Scenario(candidates=cand, focal=world.focal, limits=limits, strategy=goals.strategy, peers=peers,
                    policy=opts.policy, pairs=pair_df, levels=opts.levels,
                    mandatory=tuple(world.ids[i] for i in opts.mandatory),
                    excluded=tuple(world.ids[i] for i in opts.excluded), region_caps=caps,
                    required_domains=opts.required, foreign_value=opts.foreign_value, scoring=goals.scoring,
                    name=f"alliance_{n}_{nd}_{spec.seed}{tag}")


@dataclass
class _World:
    """What the sections draw and later sections read: the focal cluster and the candidates' arrays."""

    domains: tuple[str, ...]
    archetype_profiles: np.ndarray       # archetypes x domains
    focal: Focal
    home: tuple[int, int, int]           # the focal cluster's region, country and archetype indices
    focal_language: str
    focal_profile: np.ndarray
    region: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    country: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    archetype: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    cities: list[str] = field(default_factory=list)
    profiles: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    same_country: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    use: dict[str, np.ndarray] = field(default_factory=dict)   # by resource, RESOURCES order
    ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Goals:
    limits: dict[str, float]
    strategy: Strategy
    peers: Peers
    scoring: Scoring
    target: float                        # the portfolio size the limits allow on average


@dataclass(frozen=True)
class _Options:
    levels: tuple[Level, ...]
    mandatory: list[int]
    excluded: list[int]
    required: tuple[str, ...]
    caps: dict[str, int]
    policy: Policy
    subsidized: np.ndarray               # share of each candidate's budget cost the subsidy pays
    foreign_value: ForeignValue | None
    offered: list[str] | None            # the levels each candidate offers ("a;b"), with levels on


def _focal(spec: AllianceSpec, rng: np.random.Generator) -> _World:
    """The focal cluster: region, country, industry, city; strong in its own archetype, a little elsewhere."""
    domains = _domains(int(spec.n_domains))
    arch_prof = _archetype_profiles(domains)
    fr = _region_index(spec.focal_region) if spec.focal_region is not None else _pick(rng, [r[1] for r in REGIONS])
    countries = REGIONS[fr][3]
    fc = _pick(rng, [c[2] for c in countries])
    fa = (_archetype_index(spec.focal_archetype) if spec.focal_archetype is not None
          else _pick(rng, np.array([a[2] for a in ARCHETYPES]) * np.array(REGIONS[fr][2])))
    f_city = countries[fc][3][int(rng.integers(len(countries[fc][3])))]
    nd = len(domains)
    f_prof = np.clip(arch_prof[fa] * rng.uniform(1.0, 1.15, nd) + rng.beta(1.2, 12, nd), 0, 1)
    focal = Focal(name=f"{f_city} {ARCHETYPES[fa][1]} Cluster", region=REGIONS[fr][0], country=countries[fc][0],
                  profile={d: round(float(v), 3) for d, v in zip(domains, f_prof)},
                  diffusion=round(float(rng.uniform(0.6, 0.95)), 2), tech_change=ARCHETYPES[fa][3])
    return _World(domains, arch_prof, focal, (fr, fc, fa), countries[fc][1], f_prof)


def _place_candidates(spec: AllianceSpec, world: _World, rng: np.random.Generator) -> None:
    """Each candidate's region, country, city and archetype (some from the focal cluster's own country)."""
    n = spec.n_candidates
    fr, fc, _ = world.home
    home = rng.random(n) < spec.home_share
    world.region = np.empty(n, int)
    world.country = np.empty(n, int)
    for i in range(n):
        if home[i]:
            world.region[i], world.country[i] = fr, fc
        else:
            world.region[i] = _pick(rng, [r[1] for r in REGIONS])
            world.country[i] = _pick(rng, [c[2] for c in REGIONS[world.region[i]][3]])
        cities = REGIONS[world.region[i]][3][world.country[i]][3]
        world.cities.append(cities[int(rng.integers(len(cities)))])
    world.archetype = np.array([_pick(rng, np.array([a[2] for a in ARCHETYPES]) * np.array(REGIONS[r][2]))
                                for r in world.region])


def _candidate_table(spec: AllianceSpec, world: _World, rng: np.random.Generator) -> pd.DataFrame:
    """Size and standing, knowledge profiles, distance and costs, names: the candidate table."""
    n, nd = spec.n_candidates, len(world.domains)
    fr, fc, _ = world.home
    # patent families: lognormal, so a few clusters hold most of the knowledge stock
    endowment = np.maximum(1.0, np.round(np.exp(np.log(120.0) + spec.endowment_sigma * rng.standard_normal(n))))
    size_pct = _rank_pct(endowment + rng.random(n) * 1e-3)  # jitter only breaks ties
    # the focal cluster is of average size among those drawn: the reference its partners' endowments
    # are measured against (stated in the scenario, so adding a candidate later changes nothing)
    world.focal = replace(world.focal, endowment=round(float(endowment.mean()), 1))
    reputation = np.clip(0.15 + 0.7 * size_pct + rng.normal(0, 0.12, n), 0, 1).round(3)

    # knowledge around the archetype; larger clusters are a bit deeper in their core domains
    strength = np.clip(0.75 + 0.25 * size_pct + rng.normal(0, 0.08, n), 0.5, 1.1)
    base = world.archetype_profiles[world.archetype]
    core = base >= 0.3
    prof = np.where(core, base * strength[:, None] + rng.normal(0, 0.08, (n, nd)), rng.beta(1.0, 15.0, (n, nd)))
    special = rng.random(n) < 0.35          # one side specialty outside the archetype
    sdom = rng.integers(nd, size=n)
    slev = rng.uniform(0.3, 0.7, n)
    rows = np.flatnonzero(special)
    prof[rows, sdom[rows]] = np.maximum(prof[rows, sdom[rows]], slev[rows])
    world.profiles = prof = np.clip(prof, 0, 1).round(3)

    # distance and costs
    region, country = world.region, world.country
    lang = np.array([REGIONS[r][3][c][1] for r, c in zip(region, country)])
    world.same_country = same_country = (region == fr) & (country == fc)
    geo = np.where(same_country, 0.0, GEO_DISTANCE[fr, region])
    culture = np.where(same_country, 0.0, CULTURE_DISTANCE[fr, region])
    lang_diff = (lang != world.focal_language).astype(float)
    coord = np.clip(0.05 + 0.35 * geo + 0.15 * lang_diff + 0.10 * culture + rng.normal(0, 0.03, n), 0.01, None)
    world.use = {
        # budget in k EUR a year: travel, joint events, staff exchange; bigger partners run bigger programmes
        "budget": (15.0 * (1 + 1.2 * geo) * (0.8 + 0.5 * size_pct) * rng.lognormal(0, 0.25, n)).round(1),
        # management person-days a year: distance and language make every meeting dearer
        "management": (8.0 * (1 + 0.8 * geo + 0.5 * lang_diff + 0.3 * culture) * rng.lognormal(0, 0.25, n)).round(1),
        # member firms that must take part: scarce for far partners (international experience needed)
        "diffusion": np.maximum(1, np.round(1.5 + 2.5 * size_pct + 2.5 * geo * rng.random(n))),
    }

    counts: dict[str, int] = {world.focal.name: 1}
    names = []
    for i in range(n):
        base_name = f"{world.cities[i]} {ARCHETYPES[world.archetype[i]][1]} Cluster"
        k = counts.get(base_name, 0)
        counts[base_name] = k + 1
        names.append(base_name + (_ROMAN[k] if k < len(_ROMAN) else f" {k + 1}"))
    width = max(3, len(str(n)))
    world.ids = [f"C{i + 1:0{width}d}" for i in range(n)]
    cand = pd.DataFrame({
        "id": world.ids, "name": names, "city": world.cities,
        "region": [REGIONS[r][0] for r in region],
        "country": [REGIONS[r][3][c][0] for r, c in zip(region, country)],
        "language": lang, "foreign": ~same_country,
        "industry": [ARCHETYPES[a][0] for a in world.archetype],
        "endowment": endowment, "reputation": reputation, "coord_cost": coord.round(3),
    })
    for k, d in enumerate(world.domains):
        cand[f"k_{d}"] = prof[:, k]
    for r in RESOURCES:
        cand[f"use_{r}"] = world.use[r]
    return cand


def _goals(spec: AllianceSpec, world: _World, rng_goal: np.random.Generator,
           rng_peer: np.random.Generator) -> _Goals:
    """Resource limits, the strategy (two weak domains as targets), the peers' ranges and the scoring."""
    n = spec.n_candidates
    share = spec.portfolio_share
    target = max(1.0, share * n)
    use = world.use
    # slightly different slack per resource, so budget usually binds first
    limits = {"budget": round(float(share * use["budget"].sum()), 1),
              "management": round(float(1.1 * share * use["management"].sum()), 1),
              "diffusion": round(float(1.2 * share * use["diffusion"].sum()), 1)}
    domains = world.domains
    weights = {d: 1.0 for d in domains}
    fa = world.home[2]
    gaps = [k for k in range(len(domains)) if world.archetype_profiles[fa, k] < 0.3]   # where the focal is weak
    for k in rng_goal.choice(gaps, size=min(2, len(gaps)), replace=False) if gaps else ():
        weights[domains[int(k)]] = 2.0                                # strategic targets
    strategy = Strategy(domain_weights=weights, reputation_weight=round(float(rng_goal.uniform(0.3, 0.8)), 2),
                        breadth=round(float(rng_goal.uniform(0.3, 0.7)), 2))

    # peers: five competing clusters' portfolios, a little smaller than what the limits allow
    peer_sizes = np.maximum(1, rng_peer.poisson(0.7 * target, 5))
    peer_foreign = rng_peer.beta(6.0, 3.0, 5)
    size_cap_by_resource = min(_fits(use[r], limits[r]) for r in RESOURCES)
    size_min = int(min(peer_sizes.min(), max(1, size_cap_by_resource // 2)))
    size_max = int(max(size_min, math.ceil(1.2 * peer_sizes.max())))
    peers = Peers(size_min=size_min, size_max=size_max,
                  foreign_share_min=round(float(peer_foreign.min() * 0.8), 2),
                  foreign_share_max=round(float(min(0.95, peer_foreign.max() + 0.05)), 2))
    scoring = spec.scoring
    if scoring is None:
        # pair terms add up over ~target^2/2 pairs while gains add over ~target partners;
        # scaling by 10/target keeps their balance at the size the limits allow
        scale = min(1.0, 10.0 / target)
        scoring = Scoring(beta=round(0.5 * scale, 4), kappa2=round(0.05 * scale, 4), tie_weight=0.3)
    return _Goals(limits, strategy, peers, scoring, target)


def _options(spec: AllianceSpec, world: _World, cand: pd.DataFrame, goals: _Goals,
             conflicts: set[tuple[int, int]], rng: dict[str, np.random.Generator]) -> _Options:
    """The optional parts: levels, mandatory and excluded partners, required domains, region caps,
    a subsidy and the foreign-partner value (each from its own stream)."""
    n = spec.n_candidates
    fr = world.home[0]
    region = world.region
    cand_levels: tuple[Level, ...] = ()
    offered = None
    if spec.levels:
        cand_levels = (WEAK, STRONG)
        u = rng["levels"].random(n)
        cand["levels"] = np.where(u < 0.7, f"{WEAK.name};{STRONG.name}", np.where(u < 0.85, WEAK.name, STRONG.name))
        offered = cand["levels"].tolist()

    mandatory = _mandatory(spec, world, conflicts, rng["options"])
    excluded: list[int] = []
    if spec.n_excluded:
        rest = np.array([i for i in range(n) if i not in mandatory])
        excluded = sorted(rng["options"].choice(rest, size=spec.n_excluded, replace=False).tolist())

    req: tuple[str, ...] = ()
    if isinstance(spec.required_domains, (int, np.integer)) and not isinstance(spec.required_domains, bool):
        if spec.required_domains:
            out = set(excluded)
            threshold = goals.scoring.coverage_threshold
            coverable = [k for k in range(len(world.domains))
                         if any(world.profiles[i, k] >= threshold for i in range(n) if i not in out)]
            # the focal cluster's weakest domains that some partner can cover
            order = sorted(coverable, key=lambda k: (world.focal_profile[k], k))
            req = tuple(world.domains[k] for k in order[:int(spec.required_domains)])
    else:
        req = tuple(spec.required_domains)

    caps: dict[str, int] = {}
    if spec.region_caps is True:
        cap = max(2, math.ceil(0.45 * goals.target))
        for r, reg in enumerate(REGIONS):
            if (region == r).any():
                caps[reg[0]] = max(cap, int(sum(region[i] == r for i in mandatory)))
    elif spec.region_caps:
        caps = dict(spec.region_caps)

    policy = Policy()
    subsidized = np.zeros(n)
    if spec.subsidy:
        if spec.subsidy is True:
            others = [r for r in range(len(REGIONS)) if r != fr and (region == r).any()]
            sr = REGIONS[int(rng["policy"].choice(others))][0] if others else REGIONS[fr][0]
        else:
            sr = REGIONS[_region_index(str(spec.subsidy))][0]
        policy = Policy(subsidies={f"region:{sr}": spec.subsidy_share}, bonus={f"region:{sr}": 0.1})
        subsidized = np.where(cand["region"].to_numpy() == sr, spec.subsidy_share, 0.0)

    fv = None
    if spec.foreign_value is True:
        mid = max(1.0, round(0.4 * goals.target))
        fv = ForeignValue.sigmoid(midpoint=mid, steepness=4.0 / mid, scale=1.5)
    elif isinstance(spec.foreign_value, ForeignValue):
        fv = spec.foreign_value
    return _Options(cand_levels, mandatory, excluded, req, caps, policy, subsidized, fv, offered)


def _mandatory(spec: AllianceSpec, world: _World, conflicts: set[tuple[int, int]],
               rng: np.random.Generator) -> list[int]:
    """Long-standing partners: cheap, preferably in the focal region, never in conflict with each other."""
    mandatory: list[int] = []
    if not spec.n_mandatory:
        return mandatory
    use_budget, use_mgmt = world.use["budget"], world.use["management"]
    cheap = (use_budget <= np.median(use_budget)) & (use_mgmt <= np.median(use_mgmt))
    order = rng.permutation(spec.n_candidates)
    fr = world.home[0]
    order = sorted(order.tolist(), key=lambda i: (not cheap[i], world.region[i] != fr))  # stable: keeps the draw
    for i in order:
        if len(mandatory) == spec.n_mandatory:
            break
        if all((min(i, j), max(i, j)) not in conflicts for j in mandatory):
            mandatory.append(i)
    if len(mandatory) < spec.n_mandatory:
        raise ProblemError(f"cannot pick {spec.n_mandatory} mandatory partners free of mutual hard conflicts")
    return mandatory


def _witness_use(world: _World, opts: _Options) -> np.ndarray:
    """Each candidate's resource use at its cheapest level after subsidies (columns in RESOURCES order)."""
    use = np.column_stack([world.use[r] for r in RESOURCES]).astype(float)
    if opts.offered is not None:
        by_name = {lv.name: lv for lv in opts.levels}
        for i, offered in enumerate(opts.offered):
            cheapest = min((by_name[t] for t in offered.split(";")),
                           key=lambda lv: sum(float(lv.use.get(r, 1.0)) for r in RESOURCES))
            use[i] *= [float(cheapest.use.get(r, 1.0)) for r in RESOURCES]
    use[:, RESOURCES.index(Policy.SUBSIDISED_RESOURCE)] *= 1.0 - opts.subsidized
    return use


def _ensure_feasible(use: np.ndarray, world: _World, opts: _Options, goals: _Goals,
                     conflicts: set[tuple[int, int]]) -> tuple[Peers, dict[str, int], dict[str, float]]:
    """Greedily build a cheap portfolio meeting every constraint kind; widen the settings it would break.

    ``use`` is each candidate's resource use at its cheapest level after
    subsidies (columns in RESOURCES order). Usually nothing changes; small
    instances with many options switched on may get a larger size_max, a wider
    foreign-share range, a looser region cap or (rarely) a higher limit.
    """
    limits, peers, caps = goals.limits, goals.peers, opts.caps
    foreign = ~world.same_country
    regions = [REGIONS[r][0] for r in world.region]
    prof, threshold = world.profiles, goals.scoring.coverage_threshold
    req = [world.domains.index(d) for d in opts.required]
    tech_change = world.focal.tech_change
    n = use.shape[0]
    limit_vec = np.array([max(limits[r], 1e-9) for r in RESOURCES])
    order = np.argsort((use / limit_vec).sum(axis=1), kind="stable")   # cheapest first
    blocked = np.zeros(n, bool)
    blocked[opts.excluded] = True
    chosen: list[int] = list(opts.mandatory)
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


def _pairs(rng: np.random.Generator, world: _World, spec: AllianceSpec) -> dict[str, np.ndarray]:
    """Pair table arrays (i < j, row-major order): rivalry, conflict, synergy, tie; only nonzero pairs."""
    n = spec.n_candidates
    region, country, archetype, prof = world.region, world.country, world.archetype, world.profiles
    i, j = np.triu_indices(n, k=1)
    same_region = region[i] == region[j]
    same_country = same_region & (country[i] == country[j])
    same_arch = archetype[i] == archetype[j]
    overlap = np.minimum(prof[i], prof[j]).sum(axis=1) / np.maximum(1e-9, prof.sum(axis=1).max())

    # rivals compete for the same customers, talent and funding: same archetype, same region
    rival = same_region & same_arch
    rivalry = np.where(rival, np.where(same_country, 0.5, 0.25) * (0.5 + overlap) * rng.uniform(0.6, 1.4, i.size), 0)

    # hard conflicts: some same-country rivals, plus feuds (cliques) so that clique rows matter
    conflict = rival & same_country & (rng.random(i.size) < spec.conflict_rate)
    groups = []
    for r in range(len(REGIONS)):
        for a in range(len(ARCHETYPES)):
            members = np.flatnonzero((region == r) & (archetype == a))
            if members.size >= 3:
                groups.append(members)
    feuds = max(1, n // 80) if spec.n_feuds is None else int(spec.n_feuds)
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
    synergy = np.where((c > 0) & (rng.random(i.size) < spec.synergy_rate), c * rng.uniform(0.5, 1.5, i.size), 0)

    # existing ties among candidates: mostly within a country or region
    p_tie = spec.tie_rate * np.where(same_country, 1.6, np.where(same_region, 0.6, 0.1))
    tie = np.where(rng.random(i.size) < p_tie, rng.uniform(0.3, 1.0, i.size), 0)

    keep = np.flatnonzero((rivalry > 0) | conflict | (synergy > 0) | (tie > 0))
    return {"i": i[keep], "j": j[keep], "rivalry": rivalry[keep].round(3), "conflict": conflict[keep],
            "synergy": synergy[keep].round(3), "tie": tie[keep].round(3)}
