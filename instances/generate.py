"""Random instance generators, deterministic for a given seed on every machine."""

from __future__ import annotations

import numpy as np

from optimizer.core.checks import check_seed
from optimizer.core.errors import ProblemError
from optimizer.core.problem import SelectionProblem


def triangle_index_to_pair(k: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Map row-major positions k in the strict upper triangle of an n x n matrix to (i, j)."""
    k = np.asarray(k, dtype=np.int64)
    row_start = lambda i: i * (2 * n - i - 1) // 2  # noqa: E731
    i = np.floor(((2 * n - 1) - np.sqrt((2.0 * n - 1) ** 2 - 8.0 * k)) / 2).astype(np.int64)
    i = np.clip(i, 0, n - 2)
    i -= (k < row_start(i)).astype(np.int64)          # float rounding can land one row off
    i += (k >= row_start(i + 1)).astype(np.int64)
    return i, k - row_start(i) + i + 1


def generate_qkp(n: int, density: float, seed: int = 0) -> SelectionProblem:
    """A classic QKP instance by Gallo, Hammer & Simeone's procedure.

    density is a percentage in (0, 100] (as in the instance names jeu_100_25_*):
    each linear and pair profit is nonzero with that probability, uniform in
    1..100; weights are uniform in 1..50; the capacity is uniform in 50..sum of
    weights.
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ProblemError(f"n must be a whole number >= 1, got {n!r}")
    if not 0 < density <= 100:
        raise ProblemError(f"density is a percentage in (0, 100], got {density!r}")
    rng = np.random.default_rng(check_seed(seed))
    d = density / 100.0
    c = np.where(rng.random(n) < d, rng.integers(1, 101, n), 0).astype(float)
    total = n * (n - 1) // 2
    if d >= 1.0:
        k = np.arange(total, dtype=np.int64)
    else:
        k = np.sort(rng.choice(total, size=rng.binomial(total, d), replace=False))
    i, j = triangle_index_to_pair(k, n)
    q = rng.integers(1, 101, k.size).astype(float)
    w = rng.integers(1, 51, n).astype(float)
    cap = float(rng.integers(50, max(int(w.sum()), 50) + 1))
    return SelectionProblem(c=c, pair_i=i, pair_j=j, pair_q=q, A=w[None, :], b=[cap], row_names=("capacity",),
                            name=f"qkp_{n}_{density:g}_{seed}")


def generate_collaboration_qkp(n: int = 10_000, seed: int = 0, budget_share: float = 0.05,
                               group_size: tuple[int, int] = (3, 8), hub_links: int = 3) -> SelectionProblem:
    """A large sparse QKP shaped like a collaboration network: a few hubs, many small dense groups.

    Pairs are the edges of a Holme-Kim power-law graph with clustering
    (networkx.powerlaw_cluster_graph: preferential attachment makes hubs,
    `hub_links` edges per new item) plus small groups (sizes in `group_size`)
    whose members are linked with probability 0.7. With the defaults the pair
    density is about 0.1% at n = 10,000. Pair and linear utilities are uniform
    in 1..100 (linear ones nonzero for half the items), weights uniform in
    1..50, and the budget is `budget_share` of the total weight.
    """
    import networkx as nx

    if not isinstance(n, (int, np.integer)) or n < 10:
        raise ProblemError(f"n must be a whole number >= 10, got {n!r}")
    if not 0 < budget_share <= 1:
        raise ProblemError(f"budget_share is a share of the total weight in (0, 1], got {budget_share!r}")
    rng = np.random.default_rng(check_seed(seed))
    graph = nx.powerlaw_cluster_graph(n, hub_links, 0.3, seed=int(rng.integers(2**31)))
    edges = np.array(graph.edges(), dtype=np.int64).reshape(-1, 2)
    lo, hi = group_size
    sizes = rng.integers(lo, hi + 1, n // lo + 1)
    bounds = np.cumsum(sizes)
    bounds = bounds[bounds < n]
    order = rng.permutation(n)
    groups = np.split(order, bounds)
    parts = [edges]
    for members in groups:
        a, b = np.triu_indices(members.size, k=1)
        keep = rng.random(a.size) < 0.7
        parts.append(np.stack([members[a[keep]], members[b[keep]]], axis=1))
    pairs = np.concatenate(parts)
    pairs = np.unique(np.sort(pairs, axis=1), axis=0)
    q = rng.integers(1, 101, len(pairs)).astype(float)
    c = np.where(rng.random(n) < 0.5, rng.integers(1, 101, n), 0).astype(float)
    w = rng.integers(1, 51, n).astype(float)
    cap = float(np.floor(budget_share * w.sum()))
    return SelectionProblem(c=c, pair_i=pairs[:, 0], pair_j=pairs[:, 1], pair_q=q, A=w[None, :], b=[cap],
                            row_names=("budget",), name=f"collab_{n}_{seed}_b{budget_share:g}")
