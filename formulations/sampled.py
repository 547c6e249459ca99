"""One model over many samples of a problem: the portfolio with the best mean of its worst samples.

The samples share the items (the same x) and differ in their numbers. With f_s(x) = c_s x +
sum_p q_sp x_i x_j the value of x in sample s, the model maximizes the conditional value at risk
of the lower tail (Rockafellar & Uryasev), the mean of the worst `tail` share of the samples:

    max  eta - 1 / (tail S) sum_s u_s
    s.t. u_s >= eta - f_s(x),  u_s >= 0         (one row per sample)
         x meets every constraint of every sample
         y_p = x_i x_j                          (one product column per pair of any sample)

With tail <= 1/S it is the best worst case (eta = min_s f_s), with tail = 1 the best mean. The
products are linearized as in the standard formulation, by the signs the pair takes over the
samples (both rows where a pair's term is positive in one sample and negative in another), so
the model stays exact: y_p is x_i x_j at every integral x wherever the objective can tell.
Rows every sample shares (a limit whose uses are certain, a group) are added once.

Not in `formulations.REGISTRY`: it takes several problems, not one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from formulations.common import add_structural_rows, finish
from formulations.model import MipModel, RowBuilder

if TYPE_CHECKING:
    from optimizer.core.problem import SelectionProblem

NAME = "sampled-cvar"


def tail_count(samples: int, tail: float) -> float:
    """tail x samples, at least one sample: how many samples the tail mean weighs."""
    return max(1.0, tail * samples)


def pair_union(problems: Sequence[SelectionProblem]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pair_i, pair_j, Q): every pair with a term in some sample, and Q[s, p] its term in sample s."""
    n = problems[0].n
    keys = [p.pair_i.astype(np.int64) * n + p.pair_j for p in problems]
    union = np.unique(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.int64)
    q = np.zeros((len(problems), union.size))
    for s, (p, k) in enumerate(zip(problems, keys)):
        q[s, np.searchsorted(union, k)] = p.pair_q
    return union // n, union % n, q


def merged(problems: Sequence[SelectionProblem]) -> SelectionProblem:
    """One problem whose constraints are those of every sample (shared rows once), scored by the mean:
    what the model's rows are built from, and the problem a portfolio feasible in every sample meets."""
    first = problems[0]
    stacked = np.vstack([np.column_stack([p.A, p.b]) for p in problems])
    rows, index = np.unique(stacked, axis=0, return_index=True)
    order = np.argsort(index)       # keep the first sample's order, for readable row names
    names = [(name, s) for s, p in enumerate(problems) for name in p.row_names]
    kept = [names[k] for k in index[order]]
    once = {name for name, _ in kept if sum(1 for other, _ in kept if other == name) == 1}
    covers = {tuple(map(int, c)) for p in problems for c in p.covers}
    pi, pj, q = pair_union(problems)
    return first.replace(
        c=np.mean([p.c for p in problems], axis=0), pair_i=pi, pair_j=pj, pair_q=q.mean(axis=0),
        A=rows[order, :-1], b=rows[order, -1],
        row_names=[name if name in once else f"{name} in sample {s}" for name, s in kept],
        size_min=max(p.size_min for p in problems), size_max=min(p.size_max for p in problems),
        covers=[np.array(c) for c in sorted(covers)],
        forced_in=np.unique(np.concatenate([p.forced_in for p in problems])),
        forced_out=np.unique(np.concatenate([p.forced_out for p in problems])))


def build(problems: Sequence[SelectionProblem], tail: float) -> MipModel:
    """The tail-mean model over `problems` (samples of one problem: same items, same order).
    Columns: x (n), y (one per pair), eta, u (one per sample)."""
    if not problems:
        raise ValueError("sampled.build needs at least one sample")
    if not 0 < tail <= 1 or not math.isfinite(tail):
        raise ValueError(f"tail is {tail!r}, expected a share in (0, 1]")
    n, s_count = problems[0].n, len(problems)
    if any(p.n != n for p in problems):
        raise ValueError("the samples have different items; compile every sample from one scenario")
    base = merged(problems)
    pi, pj, q = pair_union(problems)
    npair = pi.size
    y, eta, u = n + np.arange(npair), n + npair, n + npair + 1 + np.arange(s_count)
    rows = RowBuilder(n + npair + 1 + s_count)
    add_structural_rows(base, rows)
    _product_rows(rows, pi, pj, y, q)
    c = np.array([p.c for p in problems])
    # eta - u_s - c_s x - q_s y <= 0: one dense row per sample
    width = 2 + n + npair
    cols = np.concatenate([[eta], [0], np.arange(n), y])
    values = np.column_stack([np.ones(s_count), -np.ones(s_count), -c, -q]).ravel()
    rows.add(s_count, np.repeat(np.arange(s_count), width), _value_columns(cols, u), values, -np.inf, 0.0)
    cost = np.zeros(n + npair + 1 + s_count)
    cost[eta], cost[u] = 1.0, -1.0 / tail_count(s_count, tail)
    lower = np.concatenate([np.zeros(n), np.zeros(npair), [-np.inf], np.zeros(s_count)])
    upper = np.concatenate([np.ones(n), np.ones(npair), [np.inf], np.full(s_count, np.inf)])
    lower[base.forced_in], upper[base.forced_out] = 1.0, 0.0
    integrality = np.concatenate([np.ones(n, bool), np.zeros(npair + 1 + s_count, bool)])

    def extend(x: np.ndarray) -> np.ndarray:
        both = x[pi] * x[pj]
        values = c @ x + q @ both
        k = int(math.ceil(tail_count(s_count, tail))) - 1
        level = float(np.sort(values)[min(k, s_count - 1)])
        return np.concatenate([x, both, [level], np.maximum(0.0, level - values)])

    return finish(NAME, base, rows, cost=cost, lower=lower, upper=upper, integrality=integrality,
                  notes={"samples": s_count, "tail": tail, "product_columns": npair}, extend=extend)


def _value_columns(cols: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Column indices of the value rows: eta, then sample s's own u_s, then x and y."""
    out = np.tile(cols, (u.size, 1))
    out[:, 1] = u
    return out.ravel()


def _product_rows(rows: RowBuilder, pi: np.ndarray, pj: np.ndarray, y: np.ndarray, q: np.ndarray) -> None:
    """y <= x_i, y <= x_j where a pair's term is positive in some sample; y >= x_i + x_j - 1 where negative."""
    pos = np.flatnonzero((q > 0).any(axis=0))
    k = pos.size
    rows.add(2 * k, np.repeat(np.arange(2 * k), 2),
             np.column_stack([np.tile(y[pos], 2), np.concatenate([pi[pos], pj[pos]])]).ravel(),
             np.tile([1.0, -1.0], 2 * k), -np.inf, 0.0)
    neg = np.flatnonzero((q < 0).any(axis=0))
    k = neg.size
    rows.add(k, np.repeat(np.arange(k), 3), np.column_stack([y[neg], pi[neg], pj[neg]]).ravel(),
             np.tile([1.0, -1.0, -1.0], k), -1.0, np.inf)
