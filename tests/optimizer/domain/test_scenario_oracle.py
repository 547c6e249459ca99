"""An independent second implementation of the scenario layer, checked against solve().

The oracle below re-implements the domain scoring and every constraint kind
from the written definitions only (../shared/MODEL.md and the docstrings of
optimizer.domain.scenario, optimizer.domain.scoring, optimizer.domain.compile, optimizer.domain.report). It
never calls the package's scoring or compile functions: it reads the public
Scenario fields (pandas tables and settings) and enumerates every portfolio,
with engagement levels every assignment of at most one level per partner.

Definitions used (module docstring of optimizer.domain.scoring, refined by the
docstrings of level_gain and default_pair_terms):

    e_i     = (endowment_i / focal.endowment) ** theta                  (1 when theta = 0)
    g_l     = gain_l * (1.5 - breadth if strong else 0.5 + breadth)   (1 without levels)
    c_i     = delta (1 + tau) g_l e_i sum_d w_d max(0, k_id - k_0d) + rho rep_i + bonus_i - kappa1 coord_i
    q_ij    = g_a g_b synergy_ij
              - g_a g_b beta (0.5 + breadth) sum_d min(k_id, k_jd) - tie_weight tie_ij
              - gamma rivalry_ij - kappa2 (1.5 - breadth)
    foreign = ForeignValue(number of foreign partners)   (np.interp on its breakpoints)

Constraints: resource rows with level use multipliers and the budget subsidy,
size range with the size target ceil(size_min (1 + tau)) capped at size_max,
foreign-share range (as the linear rows f_min |S| <= #foreign <= f_max |S|),
region caps, mandatory / excluded partners, required domains covered by a
chosen partner with k >= coverage_threshold, hard conflicts.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from optimizer import (
    Focal,
    ForeignValue,
    Level,
    Peers,
    Policy,
    ProblemError,
    Scenario,
    Scoring,
    Strategy,
    Termination,
    solve,
)
from optimizer.domain.terms import Term

TOL = 1e-6
DOMAIN_POOL = ("ai", "bio", "energy", "materials")
REGIONS = ("north", "south", "east")
COUNTRIES = ("DE", "FR", "US")
INDUSTRIES = ("ict", "health")
GROUP_KEYS = ("region", "country", "industry")
BREAKDOWN_TERMS = ("diversity", "reputation", "bonus", "coordination", "synergy", "redundancy", "ties", "conflict",
                   "complexity", "foreign", "foreign share")


def close(a: float, b: float, tol: float = TOL) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def _flag(v) -> bool:
    return str(v).strip().lower() in {"true", "1", "yes", "1.0"}


# ============================================================================ the oracle

@dataclass
class Evaluation:
    feasible: np.ndarray      # (T,) bool
    objective: np.ndarray     # (T,) float (also for infeasible rows)
    terms: dict               # term -> (T,) float
    size: np.ndarray
    n_foreign: np.ndarray
    use: dict                 # resource -> (T,) float


class Oracle:
    """Brute force over every portfolio of a small Scenario, from the documented definitions."""

    def __init__(self, sc: Scenario):
        self.sc = sc
        cand = sc.candidates.reset_index(drop=True)
        self.cand = cand
        n = self.n = len(cand)
        self.ids = [str(v) for v in cand["id"]]
        self.names = [str(v) for v in cand["name"]]
        self.domains = list(sc.focal.profile)
        s, f, st = sc.scoring, sc.focal, sc.strategy
        self.breadth = st.breadth
        K = self.K = cand[[f"k_{d}" for d in self.domains]].to_numpy(float)
        k0 = np.array([float(f.profile[d]) for d in self.domains])
        w = np.array([float(st.domain_weights.get(d, 1.0)) for d in self.domains])

        endow = cand["endowment"].to_numpy(float)
        # zero endowment: e_i^theta taken as 0 for theta > 0 (0^0 = 1)
        efac = np.array([1.0 if s.theta == 0 else (e / f.endowment) ** s.theta if e > 0 else 0.0 for e in endow])
        novelty = np.array([sum(w[d] * max(0.0, K[i, d] - k0[d]) for d in range(len(self.domains)))
                            for i in range(n)])
        self.diversity = f.diffusion * (1.0 + f.tech_change) * efac * novelty
        # against the focal cluster's own reputation when stated (the quality bar of the goal)
        self.reputation = st.reputation_weight * (cand["reputation"].to_numpy(float) - (st.reputation_bar or 0.0))
        self.bonus = self._policy(sc.policy.bonus)
        self.coordination = -s.kappa1 * cand["coord_cost"].to_numpy(float)
        self.subsidy = self._policy(sc.policy.subsidies)
        self.foreign = np.array([_flag(v) for v in cand["foreign"]])
        self.region = [str(v) for v in cand["region"]]

        # engagement options per candidate: (level name, gain factor g, use multipliers)
        levels = {lv.name: lv for lv in sc.levels}
        self.options: list[list[tuple[str, float, dict]]] = []
        for i in range(n):
            if not sc.levels:
                self.options.append([("", 1.0, {})])
                continue
            raw = cand["levels"].iloc[i] if "levels" in cand.columns else ""
            raw = raw.strip() if isinstance(raw, str) else ""
            offered = [t.strip() for t in raw.split(";") if t.strip()] if raw else [lv.name for lv in sc.levels]
            opts = []
            for name in offered:
                lv = levels[name]
                g = lv.gain * ((1.5 - self.breadth) if lv.strong else (0.5 + self.breadth))
                opts.append((name, g, dict(lv.use)))
            self.options.append(opts)

        # pair data (symmetric matrices) and hard conflicts
        self.synergy, self.rivalry, self.tie = (np.zeros((n, n)) for _ in range(3))
        self.hard: set[tuple[int, int]] = set()
        if sc.pairs is not None:
            pos = {cid: k for k, cid in enumerate(self.ids)}
            for _, row in sc.pairs.iterrows():
                a, b = pos[str(row["a"])], pos[str(row["b"])]
                for col, mat in (("synergy", self.synergy), ("rivalry", self.rivalry), ("tie", self.tie)):
                    if col in row.index and not pd.isna(row[col]):
                        mat[a, b] = mat[b, a] = float(row[col])
                if "conflict" in row.index and not pd.isna(row["conflict"]) and _flag(row["conflict"]):
                    self.hard.add((min(a, b), max(a, b)))
        self.overlap = np.array([[np.minimum(K[i], K[j]).sum() for j in range(n)] for i in range(n)])

        # size range with the tech-change target
        p = sc.peers
        self.size_max = n if p.size_max is None else int(p.size_max)
        size_min = int(p.size_min)
        if f.tech_change > 0 and size_min > 0:
            target = math.ceil(Fraction(size_min) * (1 + Fraction(str(f.tech_change))))
            size_min = min(self.size_max, target)
        self.size_min = size_min

        # every assignment: code 0 = out, code l >= 1 = option l-1
        self.M = np.array(list(itertools.product(*[range(len(o) + 1) for o in self.options])), dtype=np.int64)
        self.all = self.evaluate(self.M)

    def _policy(self, table) -> np.ndarray:
        out = np.zeros(self.n)
        for key, v in table.items():
            kind, sep, value = str(key).partition(":")
            for i in range(self.n):
                if sep and kind in GROUP_KEYS:
                    hit = str(self.cand[kind].iloc[i]) == value
                else:
                    hit = self.ids[i] == str(key)
                if hit:
                    out[i] += float(v)
        return out

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, M: np.ndarray) -> Evaluation:
        """Objective terms and feasibility of assignments (rows of codes, 0 = not chosen)."""
        sc, s, n = self.sc, self.sc.scoring, self.n
        M = np.atleast_2d(np.asarray(M, dtype=np.int64))
        T = M.shape[0]
        chosen = M > 0
        G = np.zeros((T, n))
        for i in range(n):
            for code, (_, g, _) in enumerate(self.options[i], start=1):
                G[M[:, i] == code, i] = g
        X = chosen.astype(float)
        terms = {
            "diversity": G @ self.diversity,
            "reputation": X @ self.reputation,
            "bonus": X @ self.bonus,
            "coordination": X @ self.coordination,
            "synergy": np.zeros(T), "redundancy": np.zeros(T), "ties": np.zeros(T), "conflict": np.zeros(T),
            "complexity": np.zeros(T), "foreign": np.zeros(T), "foreign share": np.zeros(T),
        }
        feasible = np.ones(T, bool)
        for i, j in itertools.combinations(range(n), 2):
            both = X[:, i] * X[:, j]
            gg = G[:, i] * G[:, j]
            terms["synergy"] += gg * self.synergy[i, j]
            terms["redundancy"] -= gg * s.beta * (0.5 + self.breadth) * self.overlap[i, j]
            terms["ties"] -= both * s.tie_weight * self.tie[i, j]  # network redundancy: not scaled by levels
            terms["conflict"] -= both * s.gamma * self.rivalry[i, j]
            terms["complexity"] -= both * s.kappa2 * (1.5 - self.breadth)
            if (i, j) in self.hard:
                feasible &= both == 0
        n_foreign = X @ self.foreign.astype(float)
        fv = sc.foreign_value
        if fv is not None and fv.over == "count":
            terms["foreign"] = np.interp(n_foreign, np.asarray(fv.breakpoints, float), np.asarray(fv.values, float))
        elif fv is not None:     # Lavie & Miller over the foreign share; an empty portfolio scores 0
            n_chosen = chosen.sum(axis=1)
            share = np.divide(n_foreign, n_chosen, out=np.zeros(T), where=n_chosen > 0)
            terms["foreign share"] = np.where(n_chosen > 0, np.interp(share, np.asarray(fv.breakpoints, float),
                                                                      np.asarray(fv.values, float)), 0.0)
        objective = sum(terms.values())

        # resources
        use = {}
        for r, limit in sc.limits.items():
            base = self.cand[f"use_{r}"].to_numpy(float)
            u = np.zeros(T)
            for i in range(n):
                for code, (_, _, mult) in enumerate(self.options[i], start=1):
                    cost = base[i] * float(mult.get(r, 1.0)) * ((1.0 - self.subsidy[i]) if r == "budget" else 1.0)
                    u += (M[:, i] == code) * cost
            use[r] = u
            feasible &= u <= float(limit) + 1e-9
        size = chosen.sum(axis=1)
        feasible &= (size >= self.size_min) & (size <= self.size_max)
        p = sc.peers
        feasible &= n_foreign >= p.foreign_share_min * size - 1e-9
        feasible &= n_foreign <= p.foreign_share_max * size + 1e-9
        for region, cap in sc.region_caps.items():
            in_region = np.array([r == str(region) for r in self.region])
            feasible &= X @ in_region <= cap
        pos = {cid: k for k, cid in enumerate(self.ids)}
        for cid in sc.mandatory:
            feasible &= chosen[:, pos[str(cid)]]
        for cid in sc.excluded:
            feasible &= ~chosen[:, pos[str(cid)]]
        for d in sc.required_domains:
            able = self.K[:, self.domains.index(d)] >= sc.scoring.coverage_threshold
            feasible &= (chosen & able[None, :]).any(axis=1)
        return Evaluation(feasible, objective, terms, size, n_foreign, use)

    # ------------------------------------------------------------------ answers
    def best(self, mask: np.ndarray | None = None) -> tuple[float | None, np.ndarray | None]:
        ok = self.all.feasible if mask is None else self.all.feasible & mask
        if not ok.any():
            return None, None
        idx = np.flatnonzero(ok)
        k = idx[np.argmax(self.all.objective[idx])]
        return float(self.all.objective[k]), self.M[k]

    def best_with(self, cid: str) -> float | None:
        return self.best(self.M[:, self.ids.index(cid)] > 0)[0]

    def code(self, i: int, level: str) -> int:
        names = [o[0] for o in self.options[i]]
        return names.index(level) + 1


def assignment_of(compiled, x: np.ndarray, oracle: Oracle) -> np.ndarray:
    """The oracle's assignment (codes per candidate) for a package item vector."""
    m = np.zeros(oracle.n, dtype=np.int64)
    for item in np.flatnonzero(np.asarray(x) > 0.5):
        c = int(compiled.item_candidate[item])
        if c < 0:
            continue
        assert m[c] == 0, f"candidate {oracle.ids[c]} chosen at two levels"
        m[c] = oracle.code(c, compiled.item_level[item])
    return m


def assignment_of_names(compiled, names, oracle: Oracle) -> np.ndarray:
    by_name = {compiled.problem.names[k]: k for k in compiled.partner_items}
    x = np.zeros(compiled.problem.n)
    for nm in names:
        x[by_name[nm]] = 1.0
    return assignment_of(compiled, x, oracle)


# ============================================================================ random scenarios

FEATURES = ("pairs", "hard", "levels", "level_column", "foreign_value", "share", "size", "tech_change",
            "hours", "subsidy", "bonus", "mandatory", "excluded", "region_caps", "required", "ties")

FAMILIES = {
    "plain": set(),
    "pairs": {"pairs", "hard", "ties"},
    "levels": {"levels", "level_column", "hours"},
    "levels_pairs": {"levels", "pairs", "hard"},
    "foreign": {"foreign_value", "share"},
    "constraints": {"size", "tech_change", "hours", "subsidy", "mandatory", "excluded", "region_caps", "required"},
    "policy": {"bonus", "subsidy"},
    "everything": {"pairs", "hard", "levels", "level_column", "foreign_value", "share", "size", "tech_change",
                   "hours", "subsidy", "bonus", "mandatory", "excluded", "region_caps", "required"},
}
SEEDS_PER_FAMILY = 16       # in the default suite; SLOW_SEEDS more per family under the slow marker
SLOW_SEEDS = 32


def random_scenario(seed: int, family: str, share_values: bool = True) -> tuple[Scenario, set[str]]:
    """A small random scenario; the family's features are on, the others on with probability 0.3.
    `share_values=False` keeps every foreign value over the count, as cases were before share values."""
    rng = np.random.default_rng(seed)
    on = set(FAMILIES[family]) | {f for f in FEATURES if rng.random() < 0.3}
    if "levels" in on:
        on.discard("ties")  # tie redundancy under levels: see test_tie_redundancy_is_not_scaled_by_levels
    nd = int(rng.integers(2, 5))
    domains = DOMAIN_POOL[:nd]
    n_levels = int(rng.integers(2, 4)) if "levels" in on else 0
    n = int(rng.integers(3, 9 if n_levels < 3 else 7))
    if n_levels == 3 and "level_column" not in on:
        n = min(n, 6)
    r2 = lambda a, b, size=None: np.round(rng.uniform(a, b, size), 3)  # noqa: E731

    cand = pd.DataFrame({
        "id": [f"p{i}" for i in range(n)],
        "name": [f"Partner {i}" for i in range(n)],
        "region": rng.choice(REGIONS, n),
        "country": rng.choice(COUNTRIES, n),
        "foreign": rng.random(n) < 0.45,
        "industry": rng.choice(INDUSTRIES, n),
        "endowment": r2(0.3, 5.0, n),
        "reputation": r2(0.0, 1.0, n),
        "coord_cost": r2(0.0, 0.6, n),
    })
    for d in domains:
        cand[f"k_{d}"] = r2(0.0, 1.0, n)
    cand["use_budget"] = r2(0.5, 4.0, n)
    limits = {"budget": float(np.round(cand["use_budget"].sum() * rng.uniform(0.35, 0.95), 3))}
    if "hours" in on:
        cand["use_hours"] = r2(0.0, 3.0, n)
        limits["hours"] = float(np.round(cand["use_hours"].sum() * rng.uniform(0.4, 0.9), 3))

    levels: tuple[Level, ...] = ()
    if n_levels:
        pool = [Level("member", gain=float(r2(0.4, 1.0)), use={"budget": 0.5}, strong=False),
                Level("programme", gain=float(r2(1.0, 2.0)),
                      use={"budget": 1.6, **({"hours": 2.0} if "hours" in limits else {})}, strong=True),
                Level("lab", gain=float(r2(0.5, 1.5)), use={}, strong=bool(rng.random() < 0.5))]
        levels = tuple(pool[:n_levels])
        if "level_column" in on:
            col = []
            for _ in range(n):
                if rng.random() < 0.4:
                    col.append("")
                else:
                    k = int(rng.integers(1, n_levels + 1))
                    col.append(";".join(rng.choice([lv.name for lv in levels], k, replace=False)))
            cand["levels"] = col

    focal = Focal(name="focal", region="north", country="DE",
                  profile={d: float(r2(0.0, 0.6)) for d in domains},
                  diffusion=float(r2(0.3, 1.0)), endowment=float(r2(0.5, 4.0)),
                  tech_change=float(rng.choice([0.1, 0.25, 0.5, 1.0])) if "tech_change" in on else 0.0)
    weights = {d: float(r2(0.0, 3.0)) for d in domains if rng.random() < 0.6}
    strategy = Strategy(domain_weights=weights, reputation_weight=float(r2(0.0, 2.0)),
                        breadth=float(rng.choice([0.0, 0.2, 0.5, 0.8, 1.0])))
    scoring = Scoring(theta=float(r2(0.0, 1.5)), beta=float(r2(0.0, 1.5)), gamma=float(r2(0.0, 2.0)),
                      kappa1=float(r2(0.0, 1.5)), kappa2=float(r2(0.0, 0.4)), tie_weight=float(r2(0.0, 1.0)),
                      coverage_threshold=float(r2(0.3, 0.7)))

    size_min, size_max = 0, None
    if "size" in on:
        size_min = int(rng.integers(0, 3))
        size_max = int(rng.integers(max(size_min, 1), n + 1)) if rng.random() < 0.7 else None
    fmin, fmax = 0.0, 1.0
    if "share" in on:
        fmin = float(rng.choice([0.0, 0.2, 0.34]))
        fmax = float(rng.choice([0.5, 0.67, 1.0]))
    peers = Peers(size_min=size_min, size_max=size_max, foreign_share_min=fmin, foreign_share_max=fmax)

    # group keys only for groups that have candidates: a key matching nobody is rejected as a typo
    keys = ([f"p{i}" for i in range(n)] + [f"region:{r}" for r in sorted(set(cand["region"]))]
            + [f"country:{c}" for c in sorted(set(cand["country"]))]
            + [f"industry:{x}" for x in sorted(set(cand["industry"]))])
    subsidies, bonus = {}, {}
    if "subsidy" in on:
        for key in rng.choice(keys, int(rng.integers(1, 3)), replace=False):
            subsidies[str(key)] = float(r2(0.1, 0.45))
    if "bonus" in on:
        for key in rng.choice(keys, int(rng.integers(1, 4)), replace=False):
            bonus[str(key)] = float(r2(-0.3, 1.5))
    policy = Policy(subsidies=subsidies, bonus=bonus)

    pairs = None
    if "pairs" in on or "hard" in on or "ties" in on:
        rows = []
        for a, b in itertools.combinations(range(n), 2):
            if rng.random() < 0.55:
                if rng.random() < 0.5:  # either orientation of a pair is allowed
                    a, b = b, a
                rows.append({"a": f"p{a}", "b": f"p{b}",
                             "rivalry": float(r2(0.0, 1.0)) if "pairs" in on and rng.random() < 0.6 else 0.0,
                             "synergy": float(r2(0.0, 2.0)) if "pairs" in on and rng.random() < 0.6 else 0.0,
                             "tie": float(rng.integers(0, 2)) if "ties" in on else 0.0,
                             "conflict": bool("hard" in on and rng.random() < 0.2)})
        pairs = pd.DataFrame(rows, columns=["a", "b", "rivalry", "synergy", "tie", "conflict"])

    ids = [f"p{i}" for i in range(n)]
    perm = [str(v) for v in rng.permutation(ids)]
    mandatory = tuple(perm[:1]) if "mandatory" in on else ()
    excluded = tuple(perm[1:1 + int(rng.integers(1, 3))]) if "excluded" in on else ()

    region_caps = {}
    if "region_caps" in on:
        present = sorted(set(cand["region"]))
        for r in rng.choice(present, int(rng.integers(1, len(present) + 1)), replace=False):
            region_caps[str(r)] = int(rng.integers(0, 3))

    required = ()
    if "required" in on:
        thr = scoring.coverage_threshold
        coverable = [d for d in domains if (cand[f"k_{d}"] >= thr).any()]
        if coverable:
            required = tuple(str(d) for d in rng.choice(coverable, int(rng.integers(1, min(2, len(coverable)) + 1)),
                                                        replace=False))

    fv = None
    if "foreign_value" in on:
        if rng.random() < 0.3:
            fv = ForeignValue.sigmoid(midpoint=float(r2(1.0, 3.0)), steepness=float(r2(0.5, 3.0)),
                                      scale=float(r2(0.5, 3.0)))
        else:
            m = int(rng.integers(2, 5))
            bp = np.concatenate([[0.0], np.cumsum(r2(0.5, 2.0, m - 1))])
            vals = np.concatenate([[0.0], r2(-1.0, 3.0, m - 1)])
            fv = ForeignValue(tuple(bp.tolist()), tuple(vals.tolist()))

    # drawn last, from their own streams, so the earlier draws (and every case before they existed) stay as they were
    # over the foreign share instead, half of the time
    if fv is not None and share_values and np.random.default_rng([seed, 9]).random() < 0.5:
        own = np.random.default_rng([seed, 10])
        m = int(own.integers(2, 5))
        bp = np.concatenate([[0.0], np.sort(own.choice(np.arange(1, 20), m - 1, replace=False)) / 20.0])
        fv = ForeignValue(tuple(bp.tolist()), tuple(np.concatenate([[0.0], own.uniform(-1.0, 3.0, m - 1)]).tolist()),
                          over="share")
    if np.random.default_rng([seed, 7]).random() < 0.5:
        strategy = dataclasses.replace(strategy,
                                       reputation_bar=float(np.random.default_rng([seed, 8]).uniform(0.2, 0.7)))
    sc = Scenario(candidates=cand, focal=focal, limits=limits, strategy=strategy, peers=peers, policy=policy,
                  pairs=pairs, levels=levels, mandatory=mandatory, excluded=excluded, region_caps=region_caps,
                  required_domains=required, foreign_value=fv, scoring=scoring, name=f"{family}-{seed}")
    used = {f for f in on if f not in ("level_column",)} | ({"level_column"} if "levels" in cand.columns else set())
    return sc, used


CASES = [(family, 1000 * k + seed) for k, family in enumerate(FAMILIES) for seed in range(SEEDS_PER_FAMILY)]


def _describe(sc: Scenario) -> str:
    return (f"scenario {sc.name}: {len(sc.candidates)} candidates, levels={[lv.name for lv in sc.levels]}, "
            f"limits={dict(sc.limits)}, peers={sc.peers}, tau={sc.focal.tech_change}, mandatory={sc.mandatory}, "
            f"excluded={sc.excluded}, region_caps={dict(sc.region_caps)}, required={sc.required_domains}, "
            f"foreign_value={sc.foreign_value}")


def check_against_oracle(sc: Scenario) -> tuple[Oracle, object]:
    """solve(sc) agrees with the oracle; returns both for further checks."""
    oracle = Oracle(sc)
    best, best_m = oracle.best()
    result = solve(sc)
    if best is None:
        assert result.termination is Termination.INFEASIBLE, (
            f"{_describe(sc)}\noracle: infeasible; solve: {result.termination.value} {result.objective} "
            f"{result.selected}")
        return oracle, result
    assert result.termination is Termination.OPTIMAL, (
        f"{_describe(sc)}\noracle optimum {best} at {best_m}; solve: {result.termination.value} ({result.message})")
    compiled = result.report.compiled
    got_m = assignment_of(compiled, result.x, oracle)
    mine = oracle.evaluate(got_m)
    assert mine.feasible[0], (f"{_describe(sc)}\nthe package's portfolio {result.selected} breaks a "
                              f"documented constraint")
    assert close(result.objective, best), (
        f"{_describe(sc)}\noracle optimum {best} at {best_m}; solve {result.objective} at {got_m} "
        f"(oracle values that one at {mine.objective[0]})")
    assert close(float(mine.objective[0]), result.objective)
    breakdown = result.report.breakdown()
    assert close(float(breakdown.sum()), result.objective)
    for term in BREAKDOWN_TERMS:  # term by term, with the names report.breakdown() documents
        assert close(float(breakdown.get(term, 0.0)), float(mine.terms[term][0])), (
            f"{_describe(sc)}\nterm {term}: package {breakdown.get(term, 0.0)}, oracle {mine.terms[term][0]}")
    return oracle, result


# ============================================================================ the tests

SLOW_CASES = [(family, 1000 * k + seed) for k, family in enumerate(FAMILIES)
              for seed in range(SEEDS_PER_FAMILY, SEEDS_PER_FAMILY + SLOW_SEEDS)]


@pytest.mark.parametrize("family,seed", [*CASES, *(pytest.param(*c, marks=pytest.mark.slow) for c in SLOW_CASES)],
                         ids=[f"{f}-{s}" for f, s in (*CASES, *SLOW_CASES)])
def test_solve_matches_oracle(family: str, seed: int) -> None:
    sc, _ = random_scenario(seed, family)
    check_against_oracle(sc)


def test_random_cases_cover_every_feature_and_both_outcomes() -> None:
    """The generator really exercises each feature, and feasible and infeasible scenarios both occur."""
    seen, outcomes = {f: 0 for f in FEATURES}, {"optimal": 0, "infeasible": 0}
    feasible_with = {f: 0 for f in FEATURES}
    for family, seed in CASES:
        sc, used = random_scenario(seed, family)
        feasible = Oracle(sc).best()[0] is not None
        outcomes["optimal" if feasible else "infeasible"] += 1
        for f in used:
            seen[f] += 1
            feasible_with[f] += feasible
    assert all(v >= 10 for v in seen.values()), seen
    assert all(v >= 5 for v in feasible_with.values()), feasible_with
    assert outcomes["optimal"] >= 0.6 * len(CASES) and outcomes["infeasible"] >= 10, outcomes


# ---------------------------------------------------------------------------- every constraint kind at once

def everything_scenario() -> Scenario:
    n = 8
    cand = pd.DataFrame({
        "id": [f"c{i}" for i in range(n)],
        "name": ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Theta"],
        "region": ["north", "north", "south", "south", "east", "east", "west", "west"],
        "country": ["DE", "FR", "FR", "US", "US", "DE", "JP", "DE"],
        "foreign": [False, True, True, True, True, False, True, False],
        "industry": ["ict", "ict", "bio", "bio", "ict", "bio", "ict", "bio"],
        "endowment": [2.0, 3.5, 1.0, 4.0, 2.5, 0.8, 3.0, 1.5],
        "reputation": [0.6, 0.9, 0.4, 0.8, 0.7, 0.3, 0.95, 0.5],
        "coord_cost": [0.1, 0.4, 0.2, 0.5, 0.3, 0.1, 0.6, 0.2],
        "k_ai": [0.9, 0.7, 0.1, 0.3, 0.8, 0.2, 0.6, 0.4],
        "k_bio": [0.1, 0.3, 0.9, 0.7, 0.2, 0.8, 0.3, 0.6],
        "k_energy": [0.4, 0.2, 0.5, 0.9, 0.1, 0.3, 0.7, 0.6],
        "use_budget": [3.0, 4.0, 2.5, 5.0, 3.5, 1.5, 4.5, 2.0],
        "use_hours": [2.0, 1.0, 2.0, 3.0, 1.5, 1.0, 2.5, 1.0],
        "levels": ["", "member", "", "member;programme", "", "programme", "", ""],
    })
    pairs = pd.DataFrame([
        {"a": "c0", "b": "c1", "conflict": True, "rivalry": 0.5, "synergy": 0.0},   # triangle c0-c1-c4
        {"a": "c4", "b": "c1", "conflict": True, "rivalry": 0.0, "synergy": 0.0},
        {"a": "c0", "b": "c4", "conflict": True, "rivalry": 0.2, "synergy": 0.0},
        {"a": "c2", "b": "c3", "conflict": False, "rivalry": 0.0, "synergy": 1.2},
        {"a": "c6", "b": "c2", "conflict": False, "rivalry": 0.6, "synergy": 0.4},
        {"a": "c3", "b": "c7", "conflict": False, "rivalry": 0.3, "synergy": 0.9},
    ])
    return Scenario(
        candidates=cand,
        focal=Focal(name="Focal", region="north", country="DE", profile={"ai": 0.3, "bio": 0.2, "energy": 0.4},
                    diffusion=0.8, tech_change=0.2, endowment=2.5),
        limits={"budget": 7.5, "hours": 6.0},
        strategy=Strategy(domain_weights={"ai": 1.5, "energy": 0.7}, reputation_weight=0.8, breadth=0.7),
        peers=Peers(size_min=3, size_max=5, foreign_share_min=0.3, foreign_share_max=0.75),
        policy=Policy(subsidies={"c3": 0.3, "country:US": 0.2}, bonus={"c5": 0.5, "region:west": 0.3,
                                                                        "industry:bio": 0.2}),
        pairs=pairs,
        levels=(Level("member", gain=0.8, use={"budget": 0.5, "hours": 0.5}),
                Level("programme", gain=1.6, use={"budget": 1.5, "hours": 2.0}, strong=True)),
        mandatory=("c2",),
        excluded=("c5",),
        region_caps={"west": 1, "south": 2},
        required_domains=("ai", "energy"),
        foreign_value=ForeignValue((0.0, 1.0, 2.0, 4.0), (0.0, 0.8, 1.1, 0.6)),
        scoring=Scoring(theta=0.6, beta=0.6, gamma=1.2, kappa1=0.8, kappa2=0.1, tie_weight=0.4,
                        coverage_threshold=0.6, overlap_threshold=0.5),
        name="everything",
    )


def test_every_constraint_kind_at_once() -> None:
    sc = everything_scenario()
    compiled = sc.compile()
    prob = compiled.problem
    # the hard-conflict triangle becomes one clique row over all items of its three partners
    triangle = {0, 1, 4}
    cliques = [set(compiled.item_candidate[g].tolist()) for g in prob.groups]
    assert triangle in cliques, cliques
    rows = {"budget", "hours", "region:west", "region:south", "foreign_share_min", "foreign_share_max"}
    assert rows <= set(prob.row_names)
    assert len(prob.covers) >= 2 and (compiled.item_candidate < 0).any()  # required domains, foreign-count items

    oracle, result = check_against_oracle(sc)
    assert result.termination is Termination.OPTIMAL
    report = result.report
    assert close(float(report.breakdown().sum()), result.objective)
    m = assignment_of(compiled, result.x, oracle)
    ev = oracle.evaluate(m)
    chosen = np.flatnonzero(m > 0)
    assert 1 < chosen.size < oracle.n  # a genuine choice, not everything or nothing

    # metrics recomputed by hand
    met = report.metrics()
    assert met["termination"] == "optimal"
    assert met["size"] == chosen.size and oracle.size_min <= chosen.size <= oracle.size_max
    assert oracle.size_min == min(5, math.ceil(3 * 1.2))  # the tech-change target
    assert close(met["foreign_share"], oracle.foreign[chosen].mean())
    assert sc.peers.foreign_share_min - 1e-9 <= met["foreign_share"] <= sc.peers.foreign_share_max + 1e-9
    for r, limit in sc.limits.items():
        base = sc.candidates[f"use_{r}"].to_numpy(float)
        use = 0.0
        for i in chosen:
            name, g, mult = oracle.options[i][m[i] - 1]
            use += base[i] * mult.get(r, 1.0) * ((1 - oracle.subsidy[i]) if r == "budget" else 1.0)
        assert close(met[f"use_{r}"], use) and close(met[f"slack_{r}"], limit - use), (r, met)
        assert close(float(ev.use[r][0]), use)
    covered = [d for k, d in enumerate(oracle.domains) if oracle.K[chosen, k].max() >= sc.scoring.coverage_threshold]
    assert met["domains_covered"] == len(covered)
    assert set(sc.required_domains) <= set(covered)
    pairs_chosen = list(itertools.combinations(chosen, 2))
    # redundant: the pair shares at least overlap_threshold of the smaller partner's knowledge mass
    mass = oracle.K.sum(axis=1)
    dens = np.mean([min(mass[i], mass[j]) > 0 and oracle.overlap[i, j] / min(mass[i], mass[j])
                    >= sc.scoring.overlap_threshold for i, j in pairs_chosen])
    assert close(met["redundancy_density"], float(dens))

    # each chosen partner's marginal = objective - objective without it (own evaluation)
    table = report.partners()
    assert sorted(table["id"]) == sorted(oracle.ids[i] for i in chosen)
    for _, row in table.iterrows():
        i = oracle.ids.index(row["id"])
        assert row["level"] == oracle.options[i][m[i] - 1][0]
        without = m.copy()
        without[i] = 0
        ev_without = oracle.evaluate(without)
        assert close(row["marginal"], result.objective - float(ev_without.objective[0])), (row["id"], row["marginal"])
        assert bool(row["removable"]) == bool(ev_without.feasible[0]), row["id"]
    text = report.to_text()
    assert "Objective breakdown" in text and "everything" in text


# ---------------------------------------------------------------------------- why_not

WHY_NOT_CASES = [("everything", 0), ("pairs", 1), ("pairs", 2), ("levels_pairs", 0), ("levels_pairs", 1),
                 ("constraints", 1), ("constraints", 3), ("foreign", 0), ("foreign", 1)]


def _feasible_random(family: str, k: int) -> tuple[Scenario, Oracle]:
    """The k-th random scenario of a family that has a feasible portfolio."""
    found = 0
    for seed in range(1000 * list(FAMILIES).index(family), 1000 * list(FAMILIES).index(family) + 200):
        sc = random_scenario(seed, family)[0]
        oracle = Oracle(sc)
        if oracle.best()[0] is not None:
            if found == k:
                return sc, oracle
            found += 1
    raise AssertionError(f"no feasible {family} scenario")


@pytest.mark.parametrize("family,k", WHY_NOT_CASES, ids=[f"{f}-{k}" for f, k in WHY_NOT_CASES])
def test_why_not_matches_brute_force(family: str, k: int) -> None:
    if family == "everything":
        sc = everything_scenario()
        oracle = Oracle(sc)
    else:
        sc, oracle = _feasible_random(family, k)
    base, _ = oracle.best()
    result = solve(sc)
    assert result.termination is Termination.OPTIMAL and close(result.objective, base)
    report = result.report
    chosen = set(report.partners()["id"])
    compared = 0
    for cid in oracle.ids:
        wn = report.why_not(cid)
        if cid in chosen:
            assert wn.feasible and wn.cost == 0.0
            continue
        expected = oracle.best_with(cid)
        if cid in sc.excluded or expected is None:
            assert not wn.feasible, (cid, wn)
            continue
        assert wn.feasible, (cid, wn)
        assert close(wn.objective, expected), (cid, wn.objective, expected)
        assert wn.cost >= -TOL and close(wn.cost, base - expected), (cid, wn.cost, base - expected)
        m = assignment_of_names(report.compiled, wn.portfolio, oracle)
        assert m[oracle.ids.index(cid)] > 0
        ev = oracle.evaluate(m)
        assert ev.feasible[0] and close(float(ev.objective[0]), expected)
        compared += 1
    assert compared >= 1  # at least one partner left out that a feasible portfolio could include


# ---------------------------------------------------------------------------- replacing a scoring function

def _my_linear_terms(scenario: Scenario) -> dict[str, np.ndarray]:
    full = Oracle(scenario)  # per-candidate terms computed from the definitions, not by optimizer.domain.scoring
    return {"diversity": full.diversity, "reputation": full.reputation, "bonus": full.bonus,
            "coordination": full.coordination}


def test_replacing_linear_terms_changes_c() -> None:
    sc = everything_scenario()
    oracle = Oracle(sc)
    default = sc.compile()
    # the default c is the documented gain (diversity scaled by the level's factor, foreign items aside)
    for item in default.partner_items:
        i = int(default.item_candidate[item])
        g = dict((nm, g) for nm, g, _ in oracle.options[i])[default.item_level[item]]
        expected = g * oracle.diversity[i] + oracle.reputation[i] + oracle.bonus[i] + oracle.coordination[i]
        assert close(default.problem.c[item], expected), (item, default.problem.c[item], expected)

    extra = np.arange(oracle.n, dtype=float) * 0.25 + 1.0

    def custom(scenario: Scenario) -> dict[str, np.ndarray]:
        terms = _my_linear_terms(scenario)
        terms["diversity"] = 2.0 * terms["diversity"]
        terms["proximity"] = extra
        return terms

    with pytest.raises(ProblemError, match="linear term 'proximity' that is not declared"):
        sc.compile(linear_terms=custom)  # gain or cost? every report needs to know
    changed = sc.compile(linear_terms=custom, terms=[Term("proximity", "linear", "gain")])
    assert changed.problem.n == default.problem.n
    assert changed.terms["proximity"].role == "gain" and changed.terms["redundancy"].role == "cost"
    for item in changed.partner_items:
        i = int(changed.item_candidate[item])
        g = dict((nm, g) for nm, g, _ in oracle.options[i])[changed.item_level[item]]
        assert close(changed.problem.c[item] - default.problem.c[item], g * oracle.diversity[i] + extra[i])
    aux = np.flatnonzero(changed.item_candidate < 0)
    np.testing.assert_allclose(changed.problem.c[aux], default.problem.c[aux])
    np.testing.assert_allclose(changed.problem.pair_q, default.problem.pair_q)
    x = solve(changed.problem).x
    parts = changed.breakdown(x)
    assert "proximity" in parts and close(sum(parts.values()), changed.problem.objective(x))

    # a term that is zero everywhere leaves c as it was; a constant shifts every partner item
    flat = sc.compile(linear_terms=lambda s: {**_my_linear_terms(s), "nothing": np.zeros(oracle.n)},
                      terms=[Term("nothing", "linear", "cost")])
    np.testing.assert_allclose(flat.problem.c, default.problem.c)


def test_replacing_pair_terms_changes_q() -> None:
    sc = everything_scenario()
    default = sc.compile()

    def only_complexity(scenario, i, j, rivalry, synergy, tie):
        return {"complexity": np.full(i.size, -1.0)}

    changed = sc.compile(pair_terms=only_complexity)
    np.testing.assert_allclose(changed.problem.c, default.problem.c)
    prob = changed.problem
    # every pair of items of different partners now carries exactly -1
    ic = changed.item_candidate
    expected = {(a, b) for a in changed.partner_items for b in changed.partner_items if a < b and ic[a] != ic[b]}
    assert set(zip(prob.pair_i.tolist(), prob.pair_j.tolist())) == expected
    np.testing.assert_allclose(prob.pair_q, -1.0)


# ---------------------------------------------------------------------------- documented behaviour the package breaks

def _tiny(foreign=(False, True, False)) -> pd.DataFrame:
    n = len(foreign)
    return pd.DataFrame({"id": [f"c{i}" for i in range(n)], "name": [f"C{i}" for i in range(n)],
                         "region": ["north"] * n, "country": ["DE"] * n, "foreign": list(foreign),
                         "industry": ["ict"] * n, "endowment": [1.0] * n, "reputation": [0.0] * n,
                         "coord_cost": [0.0] * n, "k_a": [0.9, 0.8, 0.2][:n], "k_b": [0.1, 0.3, 0.9][:n]})


def test_tie_redundancy_is_not_scaled_by_levels() -> None:
    cand = _tiny().assign(k_a=[0.0, 0.0, 0.0], k_b=[0.0, 0.0, 0.0])  # no knowledge overlap at all
    sc = Scenario(cand, focal=Focal(profile={"a": 0.0, "b": 0.0}, endowment=1.0),
                  pairs=pd.DataFrame([{"a": "c0", "b": "c1", "tie": 1.0}]),
                  levels=(Level("deep", gain=2.0, strong=True),),
                  strategy=Strategy(breadth=0.0),             # g = 2 * 1.5 = 3 for both
                  scoring=Scoring(tie_weight=1.0, kappa2=0.0, kappa1=0.0))
    compiled = sc.compile()
    x = np.zeros(compiled.problem.n)
    x[[0, 1]] = 1.0
    assert close(compiled.breakdown(x)["ties"], -1.0)   # scaled by levels it would be -9.0 (= -3 * 3 * 1)
    assert close(compiled.breakdown(x)["redundancy"], 0.0)


def test_foreign_value_baseline_must_be_zero() -> None:
    # the value with no foreign partner is a constant the canonical problem cannot carry: it must be 0
    with pytest.raises(ProblemError, match="values\\[0\\]"):
        ForeignValue((0.0, 1.0, 2.0), (5.0, 6.0, 6.5))


def test_tech_change_never_lowers_size_min() -> None:
    # an empty peer size range is rejected up front, so tech_change can only raise the minimum
    with pytest.raises(ProblemError, match="size range"):
        Scenario(_tiny(), focal=Focal(profile={"a": 0.2, "b": 0.2}, tech_change=0.5, endowment=1.0),
                 peers=Peers(size_min=3, size_max=2))
