"""Scenario -> SelectionProblem: items, gains, pair terms and every constraint kind."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from optimizer.core.errors import ProblemError
from optimizer.core.problem import ConcavePart, SelectionProblem
from optimizer.domain.scoring import level_gain
from optimizer.domain.settings import ForeignValue, Level, Policy, flag_values
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


@dataclass(frozen=True)
class _Items:
    """The problem's items: one per (candidate, engagement level), grouped by candidate."""

    candidate: np.ndarray          # candidate row of each item
    levels: list[Level]            # engagement level of each item (a neutral level without levels)
    gain: np.ndarray               # g: the level's factor on knowledge terms
    names: list[str]

    @property
    def n(self) -> int:
        return int(self.candidate.size)


@dataclass
class _Rows:
    """Rows A x <= b as they are emitted; rows over partner items only are padded for auxiliary items."""

    n: int                                          # partner items
    coefficients: list[np.ndarray] = field(default_factory=list)
    limits: list[float] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def add(self, name: str, coefficients: np.ndarray, limit: float) -> None:
        self.coefficients.append(np.asarray(coefficients, dtype=float))
        self.limits.append(float(limit))
        self.names.append(name)

    def matrix(self, n_all: int) -> np.ndarray:
        padded = [np.concatenate([r, np.zeros(n_all - r.size)]) for r in self.coefficients]
        return np.array(padded).reshape(len(padded), n_all)


@dataclass
class _Auxiliary:
    """Items that are not partners (unary counts of foreign partners and of partners), their gains,
    the pair terms between them, and which count each belongs to."""

    gain: list[float] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    term: str = ""                                  # the term their gains (or pair terms) belong to
    counts: dict[str, list[int]] = field(default_factory=dict)   # "foreign" / "size" -> aux items, in order
    pairs: list[tuple[int, int, float]] = field(default_factory=list)   # (aux i, aux j, term), i < j


def compile_scenario(scenario: Scenario, *, linear_terms: Callable = default_linear_terms,
                     pair_terms: Callable = default_pair_terms, terms: Sequence[Term] = ()) -> CompiledScenario:
    """Compile with the default scoring; pass `linear_terms` / `pair_terms` to replace either, and
    `terms` to declare terms of your own that optimizer/domain/terms.py does not list.

    One section per part of the problem: items, linear terms, pair terms, resource rows, the size
    range, the auxiliary foreign-count items, and the constraint sets (groups, covers, fixed items).
    """
    notes: list[str] = []
    items = _items(scenario)
    lin = linear_terms(scenario)
    declared = _declared(lin, "linear", terms)
    scale = _cost_scale(scenario)
    linear_parts = {key: np.asarray(v, dtype=float)[items.candidate]
                    * (items.gain if declared[key].knowledge else 1.0) * scale(declared[key])
                    for key, v in lin.items()}
    rivalry, synergy, tie, conflict_edges = _pair_table(scenario, len(scenario.candidates))
    ii, jj, pair_parts = _pair_parts(scenario, items, pair_terms, (rivalry, synergy, tie), declared, terms)
    rows = _Rows(items.n)
    _resource_rows(scenario, items, rows)
    size_min, size_max = _size_range(scenario, notes)
    aux = _foreign_count(scenario, items, rows, size_min, size_max)
    if aux.gain:
        size_min, size_max = 0, items.n + len(aux.gain)   # the size rows moved into A (partners only)
    groups, covers, forced_in, forced_out = _constraint_sets(scenario, items, conflict_edges)

    n_aux = len(aux.gain)
    n_all = items.n + n_aux
    c = sum(linear_parts.values()) if linear_parts else np.zeros(items.n)
    linear_parts = {k: np.concatenate([v, np.zeros(n_aux)]) for k, v in linear_parts.items()}
    if aux.pairs:
        ii, jj, pair_parts = _with_aux_pairs(ii, jj, pair_parts, aux, items.n)
        declared[aux.term] = BY_NAME[aux.term]
    elif n_aux:
        linear_parts[aux.term] = np.concatenate([np.zeros(items.n), np.array(aux.gain)])
        declared[aux.term] = BY_NAME[aux.term]
    problem = SelectionProblem(
        c=np.concatenate([c, np.array(aux.gain, dtype=float)]),
        pair_i=ii, pair_j=jj, pair_q=sum(pair_parts.values()) if pair_parts else np.zeros(ii.size),
        A=rows.matrix(n_all), b=np.array(rows.limits, dtype=float), row_names=rows.names,
        size_min=size_min, size_max=min(size_max, n_all), groups=groups, covers=covers,
        forced_in=forced_in, forced_out=forced_out, names=items.names + aux.names, name=scenario.name,
        concave=_concave_part(scenario, items, declared, n_aux) if pair_terms is default_pair_terms else None,
    )
    return CompiledScenario(scenario=scenario, problem=problem,
                            item_candidate=np.concatenate([items.candidate, np.full(n_aux, -1)]),
                            item_level=tuple(lv.name for lv in items.levels) + ("",) * n_aux,
                            linear_parts=linear_parts, pair_parts=pair_parts,
                            terms={k: declared[k] for k in (*linear_parts, *pair_parts)}, notes=notes,
                            counts={k: items.n + np.array(v, dtype=np.int64) for k, v in aux.counts.items()})


def _concave_part(scenario: Scenario, items: _Items, declared: dict[str, Term], n_aux: int) -> ConcavePart | None:
    """The positive semidefinite part of the default pair terms: redundancy (beta (0.5 + breadth) g_i g_j
    sum_d min(k_id, k_jd), times the cost weight) and complexity (kappa2 (1.5 - breadth) per pair of partners,
    times the cost weight). A hint for bounds (SelectionProblem's docstring): the pair list holds the values."""
    if "redundancy" not in declared or "complexity" not in declared:
        return None
    s, breadth, scale = scenario.scoring, scenario.strategy.breadth, _cost_scale(scenario)
    profiles = np.vstack([scenario.profiles()[items.candidate], np.zeros((n_aux, len(scenario.domains)))])
    gain = items.gain if declared["redundancy"].knowledge else np.ones(items.n)
    return ConcavePart(profiles=profiles, scale=np.concatenate([gain, np.zeros(n_aux)]),
                       weight=s.beta * (0.5 + breadth) * scale(declared["redundancy"]),
                       size_cost=s.kappa2 * (1.5 - breadth) * scale(declared["complexity"]),
                       counted=np.concatenate([np.ones(items.n), np.zeros(n_aux)]))


def _with_aux_pairs(ii: np.ndarray, jj: np.ndarray, parts: dict[str, np.ndarray], aux: _Auxiliary,
                    n: int) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The pair list with the auxiliary items' pair terms appended (their own part; zeros in the others)."""
    ai = n + np.array([p[0] for p in aux.pairs], dtype=np.int64)
    aj = n + np.array([p[1] for p in aux.pairs], dtype=np.int64)
    values = np.array([p[2] for p in aux.pairs], dtype=float)
    out = {k: np.concatenate([v, np.zeros(values.size)]) for k, v in parts.items()}
    out[aux.term] = np.concatenate([np.zeros(ii.size), values])
    return np.concatenate([ii, ai]), np.concatenate([jj, aj]), out


def _items(scenario: Scenario) -> _Items:
    """One item per candidate and level it offers, named by the partner (and the level)."""
    cand = scenario.candidates
    levels = _levels_per_candidate(scenario)
    candidate = np.repeat(np.arange(len(cand)), [len(ls) for ls in levels])
    item_levels = [lv for ls in levels for lv in ls]
    breadth = scenario.strategy.breadth
    gain = np.array([level_gain(lv.gain, lv.strong, breadth) if lv.name else 1.0 for lv in item_levels])
    # item names speak in partner names; a name already used by an earlier row gets its id, so a
    # candidate appended to the list never renames the others' items
    labels = cand["name"].astype(str).tolist()
    repeated = cand["name"].astype(str).duplicated(keep="first").to_numpy()
    labels = [f"{label} ({cid})" if twice else label for label, cid, twice in zip(labels, scenario.ids, repeated)]
    names = [labels[c] + (f" [{lv.name}]" if lv.name else "") for c, lv in zip(candidate, item_levels)]
    return _Items(candidate, item_levels, gain, names)


def _cost_scale(scenario: Scenario) -> Callable[[Term], float]:
    """scoring.cost_weight on every cost term (the table's role says which), 1 on gains."""
    return lambda term: scenario.scoring.cost_weight if term.role == "cost" else 1.0


def _pair_parts(scenario: Scenario, items: _Items, pair_terms: Callable, tables: tuple[np.ndarray, ...],
                declared: dict[str, Term], terms: Sequence[Term]) -> tuple[np.ndarray, np.ndarray, dict]:
    """Pair terms over items of different candidates (i < j), the zero pairs left out."""
    nc = len(scenario.candidates)
    rivalry, synergy, tie = tables
    ci, cj = np.triu_indices(nc, k=1)
    cparts = pair_terms(scenario, ci, cj, rivalry[ci, cj], synergy[ci, cj], tie[ci, cj])
    declared.update(_declared(cparts, "pair", terms))
    scale = _cost_scale(scenario)
    dense = {}
    for key, v in cparts.items():
        m = np.zeros((nc, nc))
        m[ci, cj] = np.asarray(v, dtype=float)
        dense[key] = m
    g = items.gain
    ii, jj = np.triu_indices(items.n, k=1)
    keep = items.candidate[ii] != items.candidate[jj]
    ii, jj = ii[keep], jj[keep]
    a, b = items.candidate[ii], items.candidate[jj]  # a < b since items are grouped by candidate
    pair_parts = {key: m[a, b] * (g[ii] * g[jj] if declared[key].knowledge else 1.0) * scale(declared[key])
                  for key, m in dense.items()}
    if not pair_parts:
        return ii[:0], jj[:0], {}
    nz = np.flatnonzero(np.abs(sum(pair_parts.values())) > 0)
    return ii[nz], jj[nz], {k: v[nz] for k, v in pair_parts.items()}


def _resource_rows(scenario: Scenario, items: _Items, rows: _Rows) -> None:
    """One row per limited resource (use x level multiplier, less the subsidy on the subsidised
    resource), per region cap, and per side of the peer benchmark's foreign-share range."""
    cand = scenario.candidates
    subsidy = scenario.policy_vector(scenario.policy.subsidies)   # at most 1 each (Scenario checks)
    paid = {Policy.SUBSIDISED_RESOURCE: 1.0 - subsidy[items.candidate]}
    for r, limit in scenario.limits.items():
        use = cand[f"use_{r}"].to_numpy(dtype=float)[items.candidate]
        use = use * np.array([float(lv.use.get(r, 1.0)) for lv in items.levels]) * paid.get(r, 1.0)
        rows.add(r, use, limit)
    regions = cand["region"].astype(str).to_numpy()
    for region, cap in scenario.region_caps.items():
        mask = regions[items.candidate] == str(region)     # some candidate is there (Scenario checks)
        rows.add(f"region:{region}", mask, cap)
    f_item = flag_values(cand["foreign"])[items.candidate].astype(float)
    peers = scenario.peers
    if peers.foreign_share_min > 0:
        rows.add("foreign_share_min", peers.foreign_share_min - f_item, 0.0)
    if peers.foreign_share_max < 1:
        rows.add("foreign_share_max", f_item - peers.foreign_share_max, 0.0)


def _size_range(scenario: Scenario, notes: list[str]) -> tuple[int, int]:
    """The peers' size range (P7), its minimum raised by tech change (P5) with a note saying so."""
    nc = len(scenario.candidates)
    peers = scenario.peers
    size_max = nc if peers.size_max is None else int(peers.size_max)
    size_min = int(peers.size_min)
    tau = scenario.focal.tech_change
    if tau > 0 and size_min > 0:
        raised = min(size_max, int(math.ceil(size_min * (1 + tau) - 1e-9)))
        if raised != size_min:
            notes.append(f"size target raised from {size_min} to {raised} by tech_change {tau:g}")
        size_min = raised
    return size_min, size_max


def _foreign_count(scenario: Scenario, items: _Items, rows: _Rows, size_min: int, size_max: int) -> _Auxiliary:
    """Lavie & Miller's value of internationalization, exactly, with unary counts as auxiliary items.

    Over the count F of foreign partners: one item u_f per count (u_f = 1 when at least f foreign
    partners are chosen, u_1 >= u_2 >= ...), gaining the value's increment v(f) - v(f - 1).
    Over the share F / N: also one item w_n per size (w_n = 1 when at least n partners are chosen);
    with u_0 = w_0 = 1 the value G(F, N) = v(F / N) is sum_{f, n} D(f, n) u_f w_n, D the mixed second
    difference of G (the sum telescopes to G at the chosen counts), so each D(f, n) != 0 is a pair
    term between u_f and w_n. Either way the size range becomes two rows over partner items only."""
    fv = scenario.foreign_value
    if fv is None:
        return _Auxiliary()
    nc = len(scenario.candidates)
    foreign = flag_values(scenario.candidates["foreign"])
    excluded = set(map(str, scenario.excluded))
    n_foreign = int(sum(1 for k in range(nc) if foreign[k] and scenario.ids[k] not in excluded))
    top = min(n_foreign, size_max)
    if fv.over == "count":
        aux = _Auxiliary(gain=np.diff(fv(np.arange(top + 1))).tolist(),
                         names=[f"foreign>={k}" for k in range(1, top + 1)], term="foreign")
    else:
        n_top = min(size_max, nc - len(excluded))
        aux = _Auxiliary(gain=[0.0] * (top + n_top), names=[f"foreign>={k}" for k in range(1, top + 1)]
                         + [f"size>={k}" for k in range(1, n_top + 1)], term="foreign share",
                         pairs=_share_pairs(fv, top, n_top))
        aux.counts["size"] = list(range(top, top + n_top))
    aux.counts["foreign"] = list(range(top))
    if not aux.gain:
        return aux
    n_all = items.n + len(aux.gain)
    for kind, weight in (("foreign", foreign[items.candidate].astype(float)), ("size", np.ones(items.n))):
        if kind in aux.counts and aux.counts[kind]:
            _unary_count(rows, kind, np.concatenate([weight, np.zeros(len(aux.gain))]),
                         items.n + np.array(aux.counts[kind]), n_all)
    rows.add("size_max", np.ones(items.n), size_max)   # size limits on partners only
    rows.add("size_min", -np.ones(items.n), -size_min)
    return aux


def _unary_count(rows: _Rows, kind: str, weight: np.ndarray, z: np.ndarray, n_all: int) -> None:
    """Rows that make the items z a unary count of weight . x: sum z = weight . x, z_{k+1} <= z_k."""
    ones = np.zeros(n_all)
    ones[z] = 1.0
    rows.add(f"{kind}_count_le", weight - ones, 0.0)
    rows.add(f"{kind}_count_ge", ones - weight, 0.0)
    for k in range(z.size - 1):
        order = np.zeros(n_all)
        order[z[k + 1]], order[z[k]] = 1.0, -1.0
        rows.add(f"{kind}_order_{k + 1}", order, 0.0)


def _share_pairs(fv: ForeignValue, f_top: int, n_top: int) -> list[tuple[int, int, float]]:
    """D(f, n) = G(f, n) - G(f-1, n) - G(f, n-1) + G(f-1, n-1) between u_f (aux f-1) and w_n (aux f_top+n-1),
    with G(f, n) = v(min(f, n) / n) and G(., 0) = 0."""
    f, n = np.meshgrid(np.arange(f_top + 1), np.arange(n_top + 1), indexing="ij")
    grid = np.asarray(fv.of_portfolio(f, n), dtype=float)
    mixed = grid[1:, 1:] - grid[:-1, 1:] - grid[1:, :-1] + grid[:-1, :-1]
    fi, ni = np.nonzero(np.abs(mixed) > 1e-12)
    return [(int(a), int(f_top + b), float(mixed[a, b])) for a, b in zip(fi, ni)]


def _constraint_sets(scenario: Scenario, items: _Items,
                     conflict_edges: list[tuple[int, int]]) -> tuple[list, list, list[int], list[int]]:
    """Groups (one level per partner; conflict cliques), covers (mandatory partners with levels,
    required domains) and fixed items (mandatory with one level, excluded)."""
    nc = len(scenario.candidates)
    items_of = [np.flatnonzero(items.candidate == c) for c in range(nc)]
    groups = [its for its in items_of if its.size > 1]        # one engagement level per partner
    if conflict_edges:
        graph = nx.Graph(conflict_edges)
        for clique in nx.find_cliques(graph):                 # clique rows beat pairwise rows
            groups.append(np.concatenate([items_of[c] for c in sorted(clique)]))
    forced_in, covers = [], []
    index = {cid: k for k, cid in enumerate(scenario.ids)}
    for cid in scenario.mandatory:
        its = items_of[index[str(cid)]]
        if its.size == 1:
            forced_in.append(int(its[0]))
        else:
            covers.append(its)
    forced_out = [int(i) for cid in scenario.excluded for i in items_of[index[str(cid)]]]
    prof = scenario.profiles()
    for d in scenario.required_domains:
        k = scenario.domains.index(d)
        # some candidate reaches the threshold (Scenario checks)
        covers.append(np.flatnonzero(prof[items.candidate, k] >= scenario.scoring.coverage_threshold))
    return groups, covers, forced_in, forced_out


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
    #: auxiliary items that count the chosen partners, in order: "foreign" (foreign partners), "size" (all)
    counts: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def partner_items(self) -> np.ndarray:
        """Indices of items that are real partners (not auxiliary)."""
        return np.flatnonzero(self.item_candidate >= 0)

    def with_foreign_count(self, x: np.ndarray) -> np.ndarray:
        """x with the auxiliary count items (foreign partners, partners) set to match its chosen partners
        (a copy)."""
        x = np.array(x, dtype=float)
        partners = self.partner_items
        chosen = x[partners] > 0.5
        foreign = flag_values(self.scenario.candidates["foreign"])[self.item_candidate[partners]]
        for kind, count in (("foreign", int(np.count_nonzero(chosen & foreign))),
                            ("size", int(np.count_nonzero(chosen)))):
            items = self.counts.get(kind, np.zeros(0, dtype=np.int64))
            x[items] = 0.0
            x[items[:count]] = 1.0
        return x

    def portfolio_x(self, portfolio: Mapping[str, str]) -> np.ndarray:
        """The item vector of a portfolio given as partner id -> engagement level ('' without levels),
        the foreign-count items set to match: how another scenario's portfolio is scored under this
        one's weights. A ProblemError names a partner or level this scenario does not offer."""
        ids = self.scenario.ids
        index = {(ids[c], level): k for k, (c, level) in enumerate(zip(self.item_candidate, self.item_level))
                 if c >= 0}
        x = np.zeros(self.problem.n)
        for pid, level in portfolio.items():
            k = index.get((str(pid), str(level)))
            if k is None:
                offered = sorted(lv for (i, lv) in index if i == str(pid))
                raise ProblemError(f"scenario {self.scenario.name!r} has no partner {pid!r} at level {level!r}"
                                   + (f"; it offers {', '.join(map(repr, offered))}" if offered else ""))
            x[k] = 1.0
        return self.with_foreign_count(x)

    def portfolio_of(self, x: np.ndarray) -> dict[str, str]:
        """The portfolio an item vector chooses: partner id -> engagement level ('' without levels);
        the inverse of portfolio_x."""
        ids = self.scenario.ids
        return {ids[self.item_candidate[k]]: self.item_level[k] for k in self.partner_items if x[k] > 0.5}

    def breakdown(self, x: np.ndarray) -> dict[str, float]:
        """Objective of x split into its named terms; the terms sum to the objective."""
        x = np.asarray(x, dtype=float)
        p = self.problem
        both = x[p.pair_i] * x[p.pair_j]
        out = {name: float(v @ x) for name, v in self.linear_parts.items()}
        out.update({name: float(v @ both) for name, v in self.pair_parts.items()})
        return out
