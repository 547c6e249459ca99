"""Scenario -> SelectionProblem: items, gains, pair terms and every constraint kind."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from optimizer.core.errors import ProblemError
from optimizer.core.problem import SelectionProblem
from optimizer.domain.scoring import level_gain
from optimizer.domain.settings import Level, flag_values
from optimizer.domain.terms import BY_NAME, Term, default_linear_terms, default_pair_terms

if TYPE_CHECKING:  # compile takes a Scenario but never imports the module that defines it
    from optimizer.domain.scenario import Scenario


def _levels_per_candidate(scenario: Scenario) -> list[list[Level]]:
    """The engagement levels each candidate offers (one neutral level without levels)."""
    if not scenario.levels:
        return [[Level(name="")] for _ in range(len(scenario.candidates))]
    by_name = {lv.name: lv for lv in scenario.levels}
    out = []
    column = scenario.candidates["levels"] if "levels" in scenario.candidates.columns else None
    for row in range(len(scenario.candidates)):
        raw = "" if column is None or not isinstance(column.iloc[row], str) else column.iloc[row].strip()
        if not raw:
            out.append(list(scenario.levels))
            continue
        names = [t.strip() for t in raw.split(";") if t.strip()]
        unknown = [t for t in names if t not in by_name]
        if unknown:
            raise ProblemError(f"candidates: row {row} column 'levels' names unknown level {unknown[0]!r}; "
                               f"levels are {', '.join(by_name)}", where=("candidates", row, "levels"))
        out.append([by_name[t] for t in names])
    return out


def _pair_table(scenario: Scenario, n: int) -> tuple[np.ndarray, ...]:
    """Dense candidate x candidate matrices of rivalry, synergy, tie, and the hard-conflict edges."""
    rivalry, synergy, tie = (np.zeros((n, n)) for _ in range(3))
    edges: list[tuple[int, int]] = []
    if scenario.pairs is not None and len(scenario.pairs):
        index = {cid: k for k, cid in enumerate(scenario.ids)}
        pairs = scenario.pairs
        a = np.array([index[str(v)] for v in pairs["a"]])
        b = np.array([index[str(v)] for v in pairs["b"]])
        for col, mat in (("rivalry", rivalry), ("synergy", synergy), ("tie", tie)):
            if col in pairs.columns:
                v = pairs[col].fillna(0).to_numpy(dtype=float)
                mat[a, b] = v
                mat[b, a] = v
        if "conflict" in pairs.columns:
            flag = flag_values(pairs["conflict"])
            edges = list(zip(a[flag].tolist(), b[flag].tolist()))
    return rivalry, synergy, tie, edges


def _declared(names: Iterable[str], kind: str, extra: Sequence[Term]) -> dict[str, Term]:
    """The table row of every term a scoring function returned; an undeclared name is refused,
    so that no report or frontier has to guess whether it is a gain or a cost."""
    table = {**BY_NAME, **{t.name: t for t in extra}}
    out = {}
    for name in names:
        if name not in table:
            raise ProblemError(f"the scoring returned a {kind} term {name!r} that is not declared; add a Term row "
                               f"to optimizer/domain/terms.py, or pass terms=[Term({name!r}, {kind!r}, 'gain' or "
                               f"'cost', ...)] to compile (declared: {', '.join(table)})")
        out[name] = table[name]
    return out


def compile_scenario(scenario: Scenario, *, linear_terms: Callable = default_linear_terms,
                     pair_terms: Callable = default_pair_terms, terms: Sequence[Term] = ()) -> CompiledScenario:
    """Compile with the default scoring; pass `linear_terms` / `pair_terms` to replace either, and
    `terms` to declare terms of your own that optimizer/domain/terms.py does not list."""
    cand = scenario.candidates
    nc = len(cand)
    ids = scenario.ids
    notes: list[str] = []
    levels = _levels_per_candidate(scenario)
    item_candidate = np.repeat(np.arange(nc), [len(ls) for ls in levels])
    item_levels = [lv for ls in levels for lv in ls]
    n_items = item_candidate.size
    breadth = scenario.strategy.breadth
    g = np.array([level_gain(lv.gain, lv.strong, breadth) if lv.name else 1.0 for lv in item_levels])

    # item names speak in partner names; a name already used by an earlier row gets its id, so a
    # candidate appended to the list never renames the others' items
    labels = cand["name"].astype(str).tolist()
    repeated = cand["name"].astype(str).duplicated(keep="first").to_numpy()
    labels = [f"{label} ({cid})" if twice else label for label, cid, twice in zip(labels, ids, repeated)]
    names = [labels[c] + (f" [{lv.name}]" if lv.name else "") for c, lv in zip(item_candidate, item_levels)]

    # linear parts ------------------------------------------------------------
    lin = linear_terms(scenario)
    declared = _declared(lin, "linear", terms)

    def weight(key: str) -> float:
        """scoring.cost_weight on every cost term (the table's role says which), 1 on gains."""
        return scenario.scoring.cost_weight if declared[key].role == "cost" else 1.0

    linear_parts = {}
    for key, v in lin.items():
        v = np.asarray(v, dtype=float)
        linear_parts[key] = v[item_candidate] * (g if declared[key].knowledge else 1.0) * weight(key)

    # pair parts over items of different candidates -----------------------------
    rivalry, synergy, tie, conflict_edges = _pair_table(scenario, nc)
    ci, cj = np.triu_indices(nc, k=1)
    cparts = pair_terms(scenario, ci, cj, rivalry[ci, cj], synergy[ci, cj], tie[ci, cj])
    declared.update(_declared(cparts, "pair", terms))
    dense = {}
    for key, v in cparts.items():
        m = np.zeros((nc, nc))
        m[ci, cj] = np.asarray(v, dtype=float)
        dense[key] = m
    ii, jj = np.triu_indices(n_items, k=1)
    keep = item_candidate[ii] != item_candidate[jj]
    ii, jj = ii[keep], jj[keep]
    a, b = item_candidate[ii], item_candidate[jj]  # a < b since items are grouped by candidate
    pair_parts = {key: m[a, b] * (g[ii] * g[jj] if declared[key].knowledge else 1.0) * weight(key)
                  for key, m in dense.items()}
    total = sum(pair_parts.values()) if pair_parts else np.zeros(ii.size)
    nz = np.flatnonzero(np.abs(total) > 0) if pair_parts else np.zeros(0, int)
    ii, jj = ii[nz], jj[nz]
    pair_parts = {k: v[nz] for k, v in pair_parts.items()}

    # resource rows -------------------------------------------------------------
    rows, limits, row_names = [], [], []
    subsidy = scenario.policy_vector(scenario.policy.subsidies)
    if np.any(subsidy > 1):
        raise ProblemError("policy.subsidies add up to more than 1 for candidate "
                           f"{ids[int(np.argmax(subsidy))]!r}; a subsidy covers at most the whole cost",
                           where=("policy", "subsidies"))
    for r, limit in scenario.limits.items():
        use = cand[f"use_{r}"].to_numpy(dtype=float)[item_candidate]
        use = use * np.array([float(lv.use.get(r, 1.0)) for lv in item_levels])
        if r == "budget":
            use = use * (1.0 - subsidy[item_candidate])
        rows.append(use)
        limits.append(float(limit))
        row_names.append(r)
    regions = cand["region"].astype(str).to_numpy()
    for region, cap in scenario.region_caps.items():
        mask = regions[item_candidate] == str(region)
        if not mask.any():
            raise ProblemError(f"region_caps: no candidate is in region {region!r}; regions are "
                               f"{', '.join(sorted(set(regions)))}", where=("region_caps", region))
        rows.append(mask.astype(float))
        limits.append(float(cap))
        row_names.append(f"region:{region}")
    foreign = flag_values(cand["foreign"])
    f_item = foreign[item_candidate].astype(float)
    p = scenario.peers
    if p.foreign_share_min > 0:
        rows.append(p.foreign_share_min - f_item)
        limits.append(0.0)
        row_names.append("foreign_share_min")
    if p.foreign_share_max < 1:
        rows.append(f_item - p.foreign_share_max)
        limits.append(0.0)
        row_names.append("foreign_share_max")

    # portfolio size (P4, P5, P7) ---------------------------------------------------
    size_max = nc if p.size_max is None else int(p.size_max)
    size_min = int(p.size_min)
    if scenario.focal.tech_change > 0 and size_min > 0:
        raised = min(size_max, int(math.ceil(size_min * (1 + scenario.focal.tech_change) - 1e-9)))
        if raised != size_min:
            notes.append(f"size target raised from {size_min} to {raised} "
                         f"by tech_change {scenario.focal.tech_change:g}")
        size_min = raised

    # auxiliary items: Lavie & Miller's value of the number of foreign partners -------------
    aux_gain: list[float] = []
    aux_names: list[str] = []
    if scenario.foreign_value is not None:
        excluded = set(map(str, scenario.excluded))
        n_foreign = int(sum(1 for k in range(nc) if foreign[k] and ids[k] not in excluded))
        top = min(n_foreign, size_max)
        values = scenario.foreign_value(np.arange(top + 1))
        aux_gain = np.diff(values).tolist()
        aux_names = [f"foreign>={k}" for k in range(1, top + 1)]
    n_aux = len(aux_gain)
    n_all = n_items + n_aux

    def pad(v: np.ndarray) -> np.ndarray:
        return np.concatenate([v, np.zeros(n_aux)])

    A = [pad(r) for r in rows]
    if n_aux:
        z = np.concatenate([np.zeros(n_items), np.ones(n_aux)])
        A += [pad(f_item) - z, z - pad(f_item)]        # number of foreign partners == sum of z
        limits += [0.0, 0.0]
        row_names += ["foreign_count_le", "foreign_count_ge"]
        for k in range(n_aux - 1):                      # z_{k+1} <= z_k keeps z a unary count
            order = np.zeros(n_all)
            order[n_items + k + 1], order[n_items + k] = 1.0, -1.0
            A.append(order)
            limits.append(0.0)
            row_names.append(f"foreign_order_{k + 1}")
        partner = pad(np.ones(n_items))
        A += [partner, -partner]                        # size limits on partners only
        limits += [float(size_max), -float(size_min)]
        row_names += ["size_max", "size_min"]
        size_min, size_max = 0, n_all

    # constraint sets ------------------------------------------------------------------
    items_of = [np.flatnonzero(item_candidate == c) for c in range(nc)]
    groups = [items for items in items_of if items.size > 1]        # one engagement level per partner
    if conflict_edges:
        graph = nx.Graph(conflict_edges)
        for clique in nx.find_cliques(graph):                       # clique rows beat pairwise rows
            groups.append(np.concatenate([items_of[c] for c in sorted(clique)]))
    forced_in, covers = [], []
    index = {cid: k for k, cid in enumerate(ids)}
    for cid in scenario.mandatory:
        items = items_of[index[str(cid)]]
        if items.size == 1:
            forced_in.append(int(items[0]))
        else:
            covers.append(items)
    forced_out = [int(i) for cid in scenario.excluded for i in items_of[index[str(cid)]]]
    prof = scenario.profiles()
    for d in scenario.required_domains:
        k = scenario.domains.index(d)
        able = np.flatnonzero(prof[item_candidate, k] >= scenario.scoring.coverage_threshold)
        if able.size == 0:
            raise ProblemError(f"required domain {d!r}: no candidate reaches k_{d} >= "
                               f"{scenario.scoring.coverage_threshold:g} (scoring.coverage_threshold)",
                               where=("required_domains",))
        covers.append(able)

    c = sum(linear_parts.values()) if linear_parts else np.zeros(n_items)
    linear_parts = {k: pad(v) for k, v in linear_parts.items()}
    if n_aux:
        linear_parts["foreign"] = np.concatenate([np.zeros(n_items), np.array(aux_gain)])
        declared["foreign"] = BY_NAME["foreign"]
    problem = SelectionProblem(
        c=np.concatenate([c, np.array(aux_gain, dtype=float)]),
        pair_i=ii, pair_j=jj, pair_q=sum(pair_parts.values()) if pair_parts else np.zeros(ii.size),
        A=np.array(A).reshape(len(A), n_all), b=np.array(limits, dtype=float), row_names=row_names,
        size_min=size_min, size_max=min(size_max, n_all), groups=groups, covers=covers,
        forced_in=forced_in, forced_out=forced_out, names=names + aux_names, name=scenario.name,
    )
    return CompiledScenario(scenario=scenario, problem=problem,
                            item_candidate=np.concatenate([item_candidate, np.full(n_aux, -1)]),
                            item_level=tuple(lv.name for lv in item_levels) + ("",) * n_aux,
                            linear_parts=linear_parts, pair_parts=pair_parts,
                            terms={k: declared[k] for k in (*linear_parts, *pair_parts)}, notes=notes)


@dataclass
class CompiledScenario:
    """A compiled scenario: the canonical problem and the map back to the domain."""

    scenario: Scenario
    problem: SelectionProblem
    item_candidate: np.ndarray           # candidate row per item, -1 for auxiliary items
    item_level: tuple[str, ...]          # engagement level per item ('' without levels)
    linear_parts: dict[str, np.ndarray]  # objective parts on items: diversity, reputation, ...
    pair_parts: dict[str, np.ndarray]    # objective parts on the problem's pairs: synergy, redundancy, ...
    terms: dict[str, Term] = field(default_factory=dict)  # the table row of every part (gain or cost, ...)
    notes: list[str] = field(default_factory=list)

    @property
    def partner_items(self) -> np.ndarray:
        """Indices of items that are real partners (not auxiliary)."""
        return np.flatnonzero(self.item_candidate >= 0)

    def with_foreign_count(self, x: np.ndarray) -> np.ndarray:
        """x with the auxiliary foreign-count items set to match its chosen partners (a copy)."""
        aux = np.flatnonzero(self.item_candidate < 0)
        x = np.array(x, dtype=float)
        if aux.size:
            partners = self.partner_items
            foreign = flag_values(self.scenario.candidates["foreign"])
            x[aux] = 0.0
            x[aux[:int(round(x[partners] @ foreign[self.item_candidate[partners]]))]] = 1.0
        return x

    def breakdown(self, x: np.ndarray) -> dict[str, float]:
        """Objective of x split into its named terms; the terms sum to the objective."""
        x = np.asarray(x, dtype=float)
        p = self.problem
        both = x[p.pair_i] * x[p.pair_j]
        out = {name: float(v @ x) for name, v in self.linear_parts.items()}
        out.update({name: float(v @ both) for name, v in self.pair_parts.items()})
        return out
