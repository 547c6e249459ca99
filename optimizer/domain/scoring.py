"""Default scoring: how a scenario's data become gains and pair terms (MODEL.md).

Every parameter lives in :class:`Scoring`; every function takes the scenario
tables and returns numpy arrays, so a user can replace any of them:
``Scenario(..., scoring=Scoring(beta=2.0))`` changes a weight, and
``scenario.compile(linear_terms=..., pair_terms=...)`` replaces the functions (see
optimizer/domain/terms.py, which lists every term).

    gain        c_i  = delta (1 + tau) g_l e_i^theta sum_d w_d max(0, k_id - k_0d)
                       + rho q_i + bonus_i - kappa1 coord_i
    redundancy  r_ij = beta' g_a g_b sum_d min(k_id, k_jd)        (knowledge overlap)
    ties        t_ij = tie_weight tie_ij                           (existing tie: network redundancy)
    conflict    s_ij = gamma rivalry_ij
    complexity  kappa2' per pair of chosen partners (so kappa2' |S|(|S|-1)/2 in all)
    pair term   q_ij = g_a g_b synergy_ij - r_ij - t_ij - s_ij - kappa2'

with the breadth/depth strategy b in [0, 1] (0.5 is neutral):
beta' = beta (0.5 + b) and kappa2' = kappa2 (1.5 - b), so a breadth strategy
dislikes overlap more and tolerates more alliances.

e_i is the candidate's endowment divided by the focal cluster's own
(``focal.endowment``, in the same unit), so theta acts on a unitless ratio (0^0 = 1)
and no candidate's value depends on which other candidates are on the list
(MODEL.md: adding or excluding a candidate never changes another's terms); g_l is the engagement level's gain factor
under the strategy (`level_gain`; 1 without levels); k are knowledge levels in
[0, 1]. Only the knowledge terms (diversity, synergy, redundancy) scale with g.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from optimizer.core.errors import ProblemError
from optimizer.core.problem import LARGEST_VALUE


@dataclass(frozen=True)
class Scoring:
    """Parameters of the default scoring functions, all in one place."""

    theta: float = 0.5             # elasticity of gain to partner endowment
    beta: float = 1.0              # weight of knowledge overlap (redundancy)
    gamma: float = 1.0             # weight of rivalry (soft conflict)
    kappa1: float = 1.0            # weight of per-alliance coordination cost
    kappa2: float = 0.05           # complexity cost per pair of chosen partners
    tie_weight: float = 0.5        # redundancy from an existing tie between two partners
    coverage_threshold: float = 0.5   # a partner covers domain d when k_id >= this
    overlap_threshold: float = 0.6    # a chosen pair is "redundant" in the metrics (and the network figure)
                                      # when it shares at least this share of the smaller partner's knowledge
    cost_weight: float = 1.0       # multiplies every cost term of the terms table (variants' cost_weight=,
                                   # the cost-weight frontier): a new cost term is scaled with the others

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
                raise ProblemError(f"scoring.{name} is {value!r}: it must be a finite number", where=("scoring", name))
            if value < 0:
                raise ProblemError(f"scoring.{name} is {value!r}: it must be >= 0", where=("scoring", name))


class CandidatePairs(NamedTuple):
    """Every pair of candidates (i < j) with the values pairs.csv gives it (0 where it gives none)."""

    i: np.ndarray
    j: np.ndarray
    rivalry: np.ndarray
    synergy: np.ndarray
    tie: np.ndarray


def endowment_factor(endowment: np.ndarray, reference: float | None, theta: float) -> np.ndarray:
    """e_i^theta with e_i = endowment_i / reference (the focal cluster's endowment); 1 when theta is 0.

    The reference is a number the scenario states, never a statistic of the candidate list, so a
    candidate added to (or excluded from) the list changes no other candidate's factor.
    """
    endowment = np.asarray(endowment, dtype=float)
    if theta == 0:
        return np.ones_like(endowment)      # 0^0 = 1: endowments do not count
    if reference is None:       # Scenario refuses this when an endowment is positive
        if np.any(endowment > 0):
            raise ProblemError("focal.endowment is not set: partner endowments have no reference",
                               where=("focal", "endowment"))
        return np.zeros_like(endowment)
    # the ratio of two representable numbers can overflow (1e300 / 1e-10): refused, not inf
    with np.errstate(over="ignore"):
        ratio = endowment / float(reference)
        factor = np.power(ratio, theta, where=ratio > 0, out=np.zeros_like(ratio))
    too_big = np.flatnonzero(~np.isfinite(factor) | (factor > LARGEST_VALUE))
    if too_big.size:
        raise ProblemError(f"candidates: endowment row {int(too_big[0])} is {endowment[too_big[0]]:g}, "
                           f"{ratio[too_big[0]]:g} times focal.endowment = {reference:g}: too large to compute "
                           f"with; state both in the same unit", where=("candidates", int(too_big[0]), "endowment"))
    return factor


def knowledge_gain(profiles: np.ndarray, focal: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """sum_d w_d max(0, k_id - k_0d): what each candidate knows that the focal cluster lacks."""
    return np.maximum(profiles - focal[None, :], 0.0) @ weights


def overlap(profiles: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """sum_d min(k_id, k_jd) for candidate pairs (i, j): shared knowledge."""
    return np.minimum(profiles[i], profiles[j]).sum(axis=1)


def relative_overlap(profiles: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Shared knowledge as a share of the smaller partner's knowledge mass, in [0, 1] (0 when either
    has none): overlap(i, j) / min(sum_d k_id, sum_d k_jd). What the redundancy metric and the network
    figure call redundant (above scoring.overlap_threshold). The absolute overlap grows with the number
    of domains and the partners' size, so a fixed threshold on it marks almost every pair (92% of the
    example's pairs above 0.3); on the relative overlap, 0.6 marks every pair of the same industry in
    the example and 11% of the others (0.7: 99.5% and 3%)."""
    mass = profiles.sum(axis=1)
    smaller = np.minimum(mass[i], mass[j])
    shared = overlap(profiles, i, j)
    return np.divide(shared, smaller, out=np.zeros_like(shared, dtype=float), where=smaller > 0)


def level_gain(gain: float, strong: bool, breadth: float) -> float:
    """Gain factor of an engagement level under the breadth/depth strategy.

    A breadth strategy (breadth -> 1) values weak ties up to 1.5x and strong
    ties down to 0.5x; a depth strategy the reverse; 0.5 is neutral.
    """
    return gain * ((1.5 - breadth) if strong else (0.5 + breadth))


# ------------------------------------------------------------------ the terms, one function each
# Linear terms take the scenario and return one value per candidate (before engagement levels);
# pair terms also take the candidate pairs (i < j) with their rivalry, synergy and tie values and
# return one value per pair. optimizer/domain/terms.py lists them (gain or cost, knowledge-scaled).

def diversity(scenario) -> np.ndarray:
    """delta (1 + tau) (e_i / e_0)^theta sum_d w_d max(0, k_id - k_0d): new knowledge for the cluster."""
    s, f = scenario.scoring, scenario.focal
    weights = np.array([float(scenario.strategy.domain_weights.get(d, 1.0)) for d in scenario.domains])
    focal = np.array([float(f.profile[d]) for d in scenario.domains])
    e = endowment_factor(scenario.candidates["endowment"].to_numpy(dtype=float), f.endowment, s.theta)
    return f.diffusion * (1.0 + f.tech_change) * e * knowledge_gain(scenario.profiles(), focal, weights)


def reputation(scenario) -> np.ndarray:
    """rho (q_i - q_0): the reputation goal (P4) above the strategy's bar q_0 (strategy.reputation_bar;
    0 when not stated, which makes the goal a per-partner bonus). Summed over the portfolio it is
    rho (sum q_i - q_0 |S|): quality above the bar, exact in the canonical form, so a heavier goal
    raises the partners' reputation instead of only adding partners."""
    bar = scenario.strategy.reputation_bar or 0.0
    return scenario.strategy.reputation_weight * (scenario.candidates["reputation"].to_numpy(dtype=float) - bar)


def bonus(scenario) -> np.ndarray:
    """The policy bonus of each candidate (P8)."""
    return scenario.policy_vector(scenario.policy.bonus)


def coordination(scenario) -> np.ndarray:
    """-kappa1 coord_i: the cost of managing each alliance."""
    return -scenario.scoring.kappa1 * scenario.candidates["coord_cost"].to_numpy(dtype=float)


def synergy(scenario, pairs: CandidatePairs) -> np.ndarray:
    """The synergy of each pair, as given in pairs.csv."""
    return pairs.synergy


def redundancy(scenario, pairs: CandidatePairs) -> np.ndarray:
    """-beta (0.5 + breadth) sum_d min(k_id, k_jd): overlapping knowledge (a breadth strategy dislikes it more)."""
    return -scenario.scoring.beta * (0.5 + scenario.strategy.breadth) * overlap(scenario.profiles(), pairs.i,
                                                                                  pairs.j)


def ties(scenario, pairs: CandidatePairs) -> np.ndarray:
    """-tie_weight tie_ij: partners already tied to each other bring less (network redundancy)."""
    return -scenario.scoring.tie_weight * pairs.tie


def conflict(scenario, pairs: CandidatePairs) -> np.ndarray:
    """-gamma rivalry_ij: rival partners (soft conflict)."""
    return -scenario.scoring.gamma * pairs.rivalry


def complexity(scenario, pairs: CandidatePairs) -> np.ndarray:
    """-kappa2 (1.5 - breadth) per pair of chosen partners: every extra alliance adds complexity."""
    return np.full(pairs.i.size, -scenario.scoring.kappa2 * (1.5 - scenario.strategy.breadth))
