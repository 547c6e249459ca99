"""What each chosen partner brings, and what keeps a partner whose contribution is negative.

A manager reading a portfolio asks of every partner "why this one?". The answer has two parts:
what it brings (the knowledge domains where it fills the focal cluster's gap most, its reputation
when the strategy seeks it, a subsidy or a policy bonus), and, for a partner that lowers the
objective (a negative marginal contribution), the constraint that keeps it: dropping it would
break the minimum portfolio size, the peers' minimum foreign share, a required domain, or it is
mandatory. Both are read from the scenario and the portfolio, in the scenario's own terms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from optimizer.domain.settings import flag_values

if TYPE_CHECKING:
    from optimizer.domain.compile import CompiledScenario

SHOWN_DOMAINS = 2    # domains named per partner in "brings"


def partner_roles(compiled: CompiledScenario, items: np.ndarray) -> pd.DataFrame:
    """One row per chosen partner item (in `items` order): `brings` and `kept by` ('' when nothing
    but its own value keeps it)."""
    rows = compiled.item_candidate[items]
    return pd.DataFrame({"brings": [_brings(compiled, r) for r in rows],
                         "kept by": _kept_by(compiled, rows)}, index=range(len(items)))


def _brings(compiled: CompiledScenario, row: int) -> str:
    sc = compiled.scenario
    prof = sc.profiles()[row]
    focal = np.array([float(sc.focal.profile.get(d, 0.0)) for d in sc.domains])
    weights = np.array([float(sc.strategy.domain_weights.get(d, 1.0)) for d in sc.domains])
    gap = np.maximum(prof - focal, 0.0) * weights
    best = [k for k in np.argsort(-gap, kind="stable")[:SHOWN_DOMAINS] if gap[k] > 1e-9]
    parts = [f"{sc.domains[k]} +{prof[k] - focal[k]:.2f}" for k in best]
    if sc.strategy.reputation_weight > 0:
        parts.append(f"reputation {float(sc.candidates['reputation'].iloc[row]):.2f}")
    subsidy = sc.policy_vector(sc.policy.subsidies)[row] if sc.policy.subsidies else 0.0
    if subsidy > 0:
        parts.append(f"subsidy {subsidy:.0%}")
    bonus = sc.policy_vector(sc.policy.bonus)[row] if sc.policy.bonus else 0.0
    if bonus > 0:
        parts.append(f"bonus {bonus:g}")
    return "; ".join(parts) or "nothing beyond what the others bring"


def _kept_by(compiled: CompiledScenario, rows: np.ndarray) -> list[str]:
    """For each chosen partner, the constraints its departure alone would break."""
    sc, prob = compiled.scenario, compiled.problem
    ids = sc.ids
    n = rows.size
    foreign = flag_values(sc.candidates["foreign"])[rows].astype(int)
    target = prob.size_min
    if "size_min" in prob.row_names:      # with the foreign-count items the size range is a row on partners
        target = max(target, int(round(-prob.b[prob.row_names.index("size_min")])))
    fmin = sc.peers.foreign_share_min
    prof = sc.profiles()[rows]
    threshold = sc.scoring.coverage_threshold
    mandatory = set(map(str, sc.mandatory))
    out = []
    for k, row in enumerate(rows):
        reasons = []
        if ids[row] in mandatory:
            reasons.append("mandatory")
        if n - 1 < target:
            reasons.append(f"the minimum portfolio size ({target})")
        if fmin > 0 and foreign.sum() - foreign[k] < fmin * (n - 1) - 1e-9:
            reasons.append(f"the peers' minimum foreign share ({fmin:.0%})")
        others = np.delete(prof, k, axis=0)
        for d in sc.required_domains:
            col = sc.domains.index(d)
            if prof[k, col] >= threshold and not (others[:, col] >= threshold).any():
                reasons.append(f"required domain {d} (the only partner covering it)")
        out.append(", ".join(reasons))
    return out
