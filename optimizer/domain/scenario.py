"""The alliance domain: a focal cluster, its candidate partners, and its goals.

A :class:`Scenario` holds pandas tables and plain settings; :meth:`Scenario.compile`
turns it into the canonical :class:`SelectionProblem` with the default scoring
of :mod:`optimizer.domain.scoring`. How each determinant of alliance capacity and
needs (Colovic, propositions 1-9) enters the model:

=====================================  ============================================================
determinant                            field
=====================================  ============================================================
P1 resources and capabilities          ``limits`` (budget, management, ...) with ``use_<resource>``
                                       columns in the candidate table: rows ``A x <= b``
P2 ability to spread outcomes          ``focal.diffusion`` (delta, scales every gain); a
                                       ``diffusion`` resource row (members who can take part)
P3 knowledge acquisition goals         ``strategy.domain_weights`` (w_d), ``strategy.breadth``
                                       (0 = depth, few strong ties; 1 = breadth, many weak ties)
P4 image and reputation goals          ``strategy.reputation_weight`` (rho) on ``reputation`` above
                                       ``strategy.reputation_bar`` (partners below it cost points);
                                       ``peers.size_min``
P5 rate of technological change        ``focal.tech_change`` (tau): gains x (1 + tau), size target
                                       ``ceil(size_min (1 + tau))``
P6 partners' resources                 ``endowment`` column against ``focal.endowment``
                                       ((e_i / e_0)^theta scales the gain)
P7 competing clusters' portfolios      ``peers``: size range and foreign-share range
P8 policy incentives                   ``policy.subsidies`` (share of budget cost paid),
                                       ``policy.bonus`` (added gain), by partner or group
=====================================  ============================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from optimizer.core.errors import ProblemError
from optimizer.core.problem import LARGEST_VALUE
from optimizer.domain.compile import CompiledScenario, compile_scenario
from optimizer.domain.scoring import Scoring
from optimizer.domain.settings import (
    GROUP_KEYS,
    PAIR_COLUMNS,
    REQUIRED_COLUMNS,
    Focal,
    ForeignValue,
    Level,
    Peers,
    Policy,
    Strategy,
    as_float,
    check_flags,
)
from optimizer.domain.uncertainty import Uncertainty
from optimizer.domain.variants import apply_changes


@dataclass(frozen=True, eq=False)
class Scenario:
    """A focal cluster, its candidate partners and its goals, as pandas tables and settings."""

    candidates: pd.DataFrame
    focal: Focal = field(default_factory=Focal)
    limits: Mapping[str, float] = field(default_factory=dict)        # resource -> limit
    strategy: Strategy = field(default_factory=Strategy)
    peers: Peers = field(default_factory=Peers)
    policy: Policy = field(default_factory=Policy)
    pairs: pd.DataFrame | None = None
    levels: tuple[Level, ...] = ()          # engagement levels; column 'levels' says which a candidate offers
    mandatory: tuple[str, ...] = ()         # candidate ids that must be in
    excluded: tuple[str, ...] = ()          # candidate ids that must stay out
    region_caps: Mapping[str, int] = field(default_factory=dict)
    required_domains: tuple[str, ...] = ()  # at least one chosen partner must cover each
    foreign_value: ForeignValue | None = None
    scoring: Scoring = field(default_factory=Scoring)
    name: str = "scenario"
    uncertainty: Uncertainty | None = None  # how far the candidate table's estimates may be off

    def __post_init__(self) -> None:
        self._check_candidates()
        self._check_focal_and_strategy()
        self._check_peers()
        self._check_choices()
        self._check_policy()
        self._check_levels()
        if self.pairs is not None:
            self._check_pairs(set(self.candidates["id"].astype(str)))
        if self.uncertainty is not None:
            self.uncertainty.check(self.candidates, self.estimated_columns)

    def _check_candidates(self) -> None:
        """The candidate table: required columns, unique ids, one k_ column per domain, numbers in range."""
        cand = self.candidates
        if not isinstance(cand, pd.DataFrame):
            raise ProblemError("candidates must be a pandas DataFrame with one row per candidate partner",
                               where=("candidates",))
        missing = [c for c in REQUIRED_COLUMNS if c not in cand.columns]
        if missing:
            raise ProblemError(f"candidates: missing column(s) {', '.join(missing)}; required: "
                               f"{', '.join(REQUIRED_COLUMNS)}, k_<domain> per domain, use_<resource> per limit",
                               where=("candidates", None, missing[0]))
        ids = cand["id"].astype(str)
        dup = ids[ids.duplicated()]
        if len(dup):
            dup_row = int(np.flatnonzero(ids.duplicated().to_numpy())[0])
            raise ProblemError(f"candidates: id {dup.iloc[0]!r} appears more than once (row {dup.index[0]}); "
                               f"ids must be unique", where=("candidates", dup_row, "id"))
        domains = self.domains
        profile_cols = [c for c in cand.columns if c.startswith("k_")]
        expected = [f"k_{d}" for d in domains]
        if sorted(profile_cols) != sorted(expected):
            extra = sorted(set(profile_cols) - set(expected))
            lacking = sorted(set(expected) - set(profile_cols))
            raise ProblemError(
                f"candidates: profile columns must match the focal profile's domains ({', '.join(domains)}); "
                + (f"no domain for {', '.join(extra)}; " if extra else "")
                + (f"missing {', '.join(lacking)}" if lacking else ""),
                               where=("candidates", None, (extra or lacking)[0]))
        for col in self.estimated_columns:
            if col not in cand.columns:
                raise ProblemError(f"candidates: missing column {col!r} (limit {col[4:]!r} needs each candidate's use)",
                                   where=("candidates", None, col))
            values = pd.to_numeric(cand[col], errors="coerce")
            bad = values.isna() | ~np.isfinite(values.astype(float))
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise ProblemError(f"candidates: column {col!r} row {row} ({ids.iloc[row]}) is "
                                   f"{cand[col].iloc[row]!r}, "
                                   f"expected a finite number", where=("candidates", row, col))
            if (values < 0).any():
                row = int(np.flatnonzero((values < 0).to_numpy())[0])
                raise ProblemError(f"candidates: column {col!r} row {row} ({ids.iloc[row]}) is negative; expected >= 0",
                                   where=("candidates", row, col))
            if (values > LARGEST_VALUE).any():
                row = int(np.flatnonzero((values > LARGEST_VALUE).to_numpy())[0])
                raise ProblemError(f"candidates: column {col!r} row {row} ({ids.iloc[row]}) is {values.iloc[row]:g}, "
                                   f"too large to compute with (limit {LARGEST_VALUE:g}); rescale the column",
                                   where=("candidates", row, col))
            if col.startswith("k_") and (values > 1).any():
                row = int(np.flatnonzero((values > 1).to_numpy())[0])
                raise ProblemError(f"candidates: knowledge level {col!r} row {row} ({ids.iloc[row]}) is "
                                   f"{values.iloc[row]}, expected a value in [0, 1]", where=("candidates", row, col))

    def _check_focal_and_strategy(self) -> None:
        """Focal profile, limits, diffusion, endowment, tech change and the strategy's weights."""
        domains = self.domains
        for d, v in self.focal.profile.items():
            if not (0 <= as_float(v) <= 1):
                raise ProblemError(f"focal.profile[{d!r}] is {v!r}, expected a knowledge level in [0, 1]",
                                   where=("focal", "profile", d))
        for r, v in self.limits.items():
            if not (np.isfinite(as_float(v)) and as_float(v) >= 0):
                raise ProblemError(f"limits[{r!r}] is {v!r}: a resource limit must be a finite number >= 0",
                                   where=("limits", r))
        if not (0 < self.focal.diffusion <= 1):
            raise ProblemError(f"focal.diffusion is {self.focal.diffusion!r}, expected a value in (0, 1]",
                               where=("focal", "diffusion"))
        e0 = self.focal.endowment
        if e0 is not None and not (as_float(e0) > 0 and as_float(e0) <= LARGEST_VALUE):
            raise ProblemError(f"focal.endowment is {e0!r}: expected the focal cluster's endowment, a number > 0 "
                               f"(at most {LARGEST_VALUE:g}) in the unit of the candidates' endowment column",
                               where=("focal", "endowment"))
        if e0 is None and self.scoring.theta > 0 and (pd.to_numeric(self.candidates["endowment"]) > 0).any():
            raise ProblemError("focal.endowment is not set, but the gains use the partners' endowments "
                               f"(scoring.theta = {self.scoring.theta:g}): each endowment counts relative to the "
                               "focal cluster's own; state it in the unit of the endowment column (endowment = "
                               "... under [focal] in scenario.toml, Focal(endowment=...) in Python), or set "
                               "scoring.theta = 0 to leave endowments out", where=("focal", "endowment"))
        if self.focal.tech_change < 0:
            raise ProblemError(f"focal.tech_change is {self.focal.tech_change!r}, expected >= 0",
                               where=("focal", "tech_change"))
        if not (0 <= self.strategy.breadth <= 1):
            raise ProblemError(f"strategy.breadth is {self.strategy.breadth!r}, expected a value in [0, 1]",
                               where=("strategy", "breadth"))
        bar = self.strategy.reputation_bar
        if bar is not None and not (0 <= as_float(bar) <= LARGEST_VALUE):
            raise ProblemError(f"strategy.reputation_bar is {bar!r}: expected the reputation the goal aims above, a "
                               f"number >= 0 in the unit of the candidates' reputation column",
                               where=("strategy", "reputation_bar"))
        if not as_float(self.strategy.reputation_weight) >= 0:
            raise ProblemError(f"strategy.reputation_weight is {self.strategy.reputation_weight!r}, expected a "
                               f"number >= 0", where=("strategy", "reputation_weight"))
        for d, w in self.strategy.domain_weights.items():
            if not as_float(w) >= 0:
                raise ProblemError(f"strategy.domain_weights[{d!r}] is {w!r}, expected a number >= 0 "
                                   f"(domains not listed weigh 1)", where=("strategy", "domain_weights", d))
        unknown_w = sorted(set(self.strategy.domain_weights) - set(domains))
        if unknown_w:
            raise ProblemError(f"strategy.domain_weights: unknown domain(s) {', '.join(unknown_w)}; "
                               f"domains are {', '.join(domains)}", where=("strategy", "domain_weights", unknown_w[0]))

    def _check_peers(self) -> None:
        """The peer benchmark's size and foreign-share ranges."""
        p = self.peers
        for label, v in (("size_min", p.size_min), ("size_max", p.size_max)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating))
                                  or not -2 ** 63 <= v < 2 ** 63 or not float(v).is_integer()):
                raise ProblemError(f"peers: {label} is {v!r}, expected a whole number of partners >= 0",
                                   where=("peers", label))
        if p.size_min < 0 or (p.size_max is not None and p.size_min > p.size_max):
            raise ProblemError(f"peers: size range [{p.size_min}, {p.size_max}] is empty or negative; "
                               f"need 0 <= size_min <= size_max",
                               where=("peers", "size_max" if p.size_min >= 0 else "size_min"))
        if not (0 <= p.foreign_share_min <= p.foreign_share_max <= 1):
            raise ProblemError(f"peers: foreign share range [{p.foreign_share_min}, {p.foreign_share_max}] "
                               f"must satisfy 0 <= min <= max <= 1",
                               where=("peers", "foreign_share_min" if p.foreign_share_min < 0 else "foreign_share_max"))

    def _check_choices(self) -> None:
        """Mandatory and excluded ids, region caps, foreign flags and required domains."""
        cand = self.candidates
        ids = cand["id"].astype(str)
        domains = self.domains
        known = set(ids)
        for label, seq in (("mandatory", self.mandatory), ("excluded", self.excluded)):
            for cid in seq:
                if str(cid) not in known:
                    raise ProblemError(f"{label}: {cid!r} is not a candidate id (ids are the candidates' id "
                                       f"column: {', '.join(ids.iloc[:3])}, ...)", where=(label,))
        both = set(map(str, self.mandatory)) & set(map(str, self.excluded))
        if both:
            raise ProblemError(f"candidate {sorted(both)[0]!r} is both mandatory and excluded; remove it from one",
                               where=("excluded",))
        for region, cap in self.region_caps.items():
            if isinstance(cap, bool) or not isinstance(cap, (int, float, np.integer, np.floating)) or cap < 0 \
                    or not cap < 2 ** 63 or not float(cap).is_integer():
                raise ProblemError(f"region_caps[{region!r}] is {cap!r}: a cap is a whole number of partners >= 0",
                                   where=("region_caps", region))
        regions = set(cand["region"].astype(str))
        for region in self.region_caps:
            if str(region) not in regions:
                raise ProblemError(f"region_caps: no candidate is in region {region!r}; regions are "
                                   f"{', '.join(sorted(regions))}", where=("region_caps", region))
        check_flags(cand["foreign"], "candidates")
        threshold = self.scoring.coverage_threshold
        for d in self.required_domains:
            if d not in domains:
                raise ProblemError(f"required_domains: unknown domain {d!r}; domains are {', '.join(domains)}",
                                   where=("required_domains",))
            if not (pd.to_numeric(cand[f"k_{d}"]) >= threshold).any():
                raise ProblemError(f"required domain {d!r}: no candidate reaches k_{d} >= {threshold:g} "
                                   f"(scoring.coverage_threshold)", where=("required_domains",))

    def _check_policy(self) -> None:
        """Subsidies and bonuses: keys that select candidates, subsidy shares in [0, 1], a budget to lower."""
        for table_name in ("subsidies", "bonus"):
            for key in getattr(self.policy, table_name):
                self._policy_mask(key, where=("policy", table_name, key))
        total = np.zeros(len(self.candidates))
        for key, v in self.policy.subsidies.items():
            if not (0 <= as_float(v) <= 1):
                raise ProblemError(f"policy.subsidies[{key!r}] is {v!r}: a subsidy is the share of the budget "
                                   f"cost paid, in [0, 1]", where=("policy", "subsidies", key))
            total += as_float(v) * self._policy_mask(key)
            over = np.flatnonzero(total > 1)
            if over.size:
                raise ProblemError(f"policy.subsidies: candidate {self.ids[over[0]]!r} gets subsidies adding up to "
                                   f"{total[over[0]]:g} with key {key!r}; a subsidy covers at most the whole cost (1)",
                                   where=("policy", "subsidies", key))
        if self.policy.subsidies and Policy.SUBSIDISED_RESOURCE not in self.limits:
            raise ProblemError(f"policy.subsidies lower the {Policy.SUBSIDISED_RESOURCE!r} resource, but limits "
                               f"has no {Policy.SUBSIDISED_RESOURCE!r}",
                               where=("policy", "subsidies"))

    def _check_levels(self) -> None:
        """Engagement levels: unique names, finite non-negative multipliers, known resources."""
        level_names = [lv.name for lv in self.levels]
        twice = [k for k, name in enumerate(level_names) if name in level_names[:k]]
        if twice:
            raise ProblemError("levels: level names must be unique", where=("levels", twice[0], "name"))
        for lv in self.levels:
            bad_use = any(not (np.isfinite(v) and v >= 0) for v in lv.use.values())
            if not (np.isfinite(lv.gain) and lv.gain >= 0) or bad_use:
                raise ProblemError(f"levels[{lv.name!r}]: gain and use multipliers must be finite numbers >= 0",
                                   where=("levels", self.levels.index(lv)))
            unknown_r = sorted(set(lv.use) - set(self.limits))
            if unknown_r:
                raise ProblemError(f"levels[{lv.name!r}].use: unknown resource(s) {', '.join(unknown_r)}",
                                   where=("levels", self.levels.index(lv), "use", unknown_r[0]))
    def _check_pairs(self, known: set[str]) -> None:
        pairs = self.pairs
        for col in ("a", "b"):
            if col not in pairs.columns:
                raise ProblemError(f"pairs: missing column {col!r}; pairs need a, b (candidate ids) and any of "
                                   f"rivalry, conflict, synergy, tie", where=("pairs", None, col))
        unknown_cols = sorted(set(pairs.columns) - set(PAIR_COLUMNS))
        if unknown_cols:
            raise ProblemError(f"pairs: unknown column(s) {', '.join(unknown_cols)}; known: {', '.join(PAIR_COLUMNS)}",
                               where=("pairs", None, unknown_cols[0]))
        a, b = pairs["a"].astype(str).to_numpy(), pairs["b"].astype(str).to_numpy()
        for col, ids in (("a", a), ("b", b)):
            unknown = np.flatnonzero(~np.isin(ids, list(known)))
            if unknown.size:
                row = int(unknown[0])
                raise ProblemError(f"pairs: row {row} column {col!r}: unknown candidate id {ids[row]!r}",
                                   where=("pairs", row, col))
        same = np.flatnonzero(a == b)
        if same.size:
            raise ProblemError(f"pairs: row {int(same[0])} pairs candidate {a[same[0]]!r} with itself",
                               where=("pairs", int(same[0]), "b"))
        key = pd.Series([f"{min(x, y)}\x00{max(x, y)}" for x, y in zip(a, b)])
        dup = np.flatnonzero(key.duplicated().to_numpy())
        if dup.size:
            row = int(dup[0])
            first = int(np.flatnonzero((key == key.iloc[row]).to_numpy())[0])
            raise ProblemError(f"pairs: rows {first} and {row} both describe the pair {a[row]!r}-{b[row]!r}; "
                               f"give each pair once", where=("pairs", row, "a"))
        if "conflict" in pairs.columns:
            check_flags(pairs["conflict"], "pairs")
        for col in ("rivalry", "synergy", "tie"):
            if col in pairs.columns:
                values = pd.to_numeric(pairs[col], errors="coerce")
                bad = values.isna() | ~np.isfinite(values.astype(float)) | (values < 0)
                if bad.any():
                    row = int(np.flatnonzero(bad.to_numpy())[0])
                    raise ProblemError(f"pairs: row {row} column {col!r} is {pairs[col].iloc[row]!r}, "
                                       f"expected a finite number >= 0", where=("pairs", row, col))

    # ----------------------------------------------------------------- views
    @property
    def domains(self) -> tuple[str, ...]:
        """Knowledge domains, in the order of the focal profile."""
        return tuple(self.focal.profile)

    @property
    def estimated_columns(self) -> list[str]:
        """The numeric candidate columns: estimates a scenario's uncertainty may cover."""
        return (["endowment", "reputation", "coord_cost"] + [f"k_{d}" for d in self.domains]
                + [f"use_{r}" for r in self.limits])

    @property
    def ids(self) -> list[str]:
        """Candidate ids, as strings, in table order."""
        return self.candidates["id"].astype(str).tolist()

    def profiles(self) -> np.ndarray:
        """Candidates x domains knowledge levels."""
        return self.candidates[[f"k_{d}" for d in self.domains]].to_numpy(dtype=float)

    def _policy_mask(self, key: str, where: tuple[object, ...] = ()) -> np.ndarray:
        """Which candidates a policy key applies to (`where`: the key's place, for errors)."""
        kind, sep, value = str(key).partition(":")
        if sep and kind in GROUP_KEYS:
            mask = (self.candidates[kind].astype(str) == value).to_numpy()
            if not mask.any():
                raise ProblemError(f"policy: key {key!r} matches no candidate; {kind}s are "
                                   f"{', '.join(sorted(set(self.candidates[kind].astype(str))))}", where=where)
            return mask
        mask = (self.candidates["id"].astype(str) == str(key)).to_numpy()
        if not mask.any():
            raise ProblemError(f"policy: key {key!r} is neither a candidate id nor one of "
                               f"{', '.join(k + ':<value>' for k in GROUP_KEYS)}", where=where)
        return mask

    def policy_vector(self, table: Mapping[str, float]) -> np.ndarray:
        """Per-candidate value of a policy table (later keys add to earlier ones)."""
        out = np.zeros(len(self.candidates))
        for key, v in table.items():
            out[self._policy_mask(key)] += float(v)
        return out

    def summary(self) -> str:
        """One line: focal cluster, candidates, domains, limits and constraint kinds."""
        parts = [f"{len(self.candidates)} candidates", f"{len(self.domains)} domains",
                 "limits " + ", ".join(f"{k}={v:g}" for k, v in self.limits.items())]
        if self.levels:
            parts.append("levels " + "/".join(lv.name for lv in self.levels))
        for label, v in (("pairs", 0 if self.pairs is None else len(self.pairs)), ("mandatory", len(self.mandatory)),
                         ("excluded", len(self.excluded)), ("region caps", len(self.region_caps)),
                         ("required domains", len(self.required_domains))):
            if v:
                parts.append(f"{label} {v}")
        return f"{self.name}: focal {self.focal.name}; " + ", ".join(parts)

    def replace(self, **changes: Any) -> Scenario:
        """A copy with some fields changed (validated again); the original is untouched."""
        return replace(self, **changes)

    def variant(self, name: str, **changes: Any) -> Scenario:
        """A new scenario named `name`: this one with some settings changed (never mutated).

        Changes are named by what they are: a limit by its name (``budget=80``),
        ``scale_limits={"budget": 0.8}``, ``reputation_weight``, ``breadth``,
        ``domain_weights``, ``tech_change``, ``diffusion_factor``, ``force_in``,
        ``exclude``, ``release``, ``subsidies``, ``bonus``, ``size_min``, ``size_max``,
        ``foreign_share_min``, ``foreign_share_max``, ``region_caps``,
        ``required_domains``; see :mod:`optimizer.domain.variants`.
        """
        return apply_changes(self, name, changes)

    def compile(self, **overrides: Any) -> CompiledScenario:
        """The canonical problem with the default scoring (`linear_terms=`, `pair_terms=` replace a
        scoring function, `terms=` declares terms of your own: see compile_scenario)."""
        return compile_scenario(self, **overrides)


