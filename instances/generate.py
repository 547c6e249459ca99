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
                               papers_per_author: float = 1.5) -> SelectionProblem:
    """A large sparse QKP shaped like a real collaboration network: people, papers, co-authorship counts.

    Each person has a productivity drawn from a Pareto law (tail index 1.5: a few
    very prolific people) and belongs to a community (sizes heavy-tailed too).
    `papers_per_author` * n papers are written; a paper's lead author is drawn by
    productivity, its team size is 1 + a geometric number (mean about 3.5, at most
    12), and each co-author comes from the lead's community with probability 0.85,
    else from anywhere, again by productivity. So degrees are heavy-tailed,
    neighbourhoods are clustered (each paper is a clique), and the pair value q_ij
    is the number of papers i and j wrote together (mostly 1, a long tail). A
    person's own value c_i is their number of single-author papers, their cost
    w_i is 10 sqrt(1 + their number of papers), rounded (prolific people cost
    more, less than in proportion), and the budget is `budget_share` of the total
    cost, so it binds. About 4 pairs per person (0.08% density at n = 10,000).
    """
    if not isinstance(n, (int, np.integer)) or n < 10:
        raise ProblemError(f"n must be a whole number >= 10, got {n!r}")
    if not 0 < budget_share <= 1:
        raise ProblemError(f"budget_share is a share of the total weight in (0, 1], got {budget_share!r}")
    if not 0 < papers_per_author <= 100:
        raise ProblemError(f"papers_per_author must be in (0, 100], got {papers_per_author!r}")
    rng = np.random.default_rng(check_seed(seed))
    productivity = rng.pareto(1.5, n) + 1.0
    # communities: consecutive blocks of a random order, sizes 5-500 from a heavy-tailed law
    sizes = np.minimum(5 + rng.pareto(1.2, n // 5 + 1) * 20, 500).astype(np.int64)
    ends = np.cumsum(sizes)
    ends = ends[ends < n]
    member = rng.permutation(n)                              # member[k]: the person at block position k
    block = np.zeros(n, np.int64)
    block[ends] = 1
    block = np.cumsum(block)                                 # block position -> community
    community = np.empty(n, np.int64)
    community[member] = block
    starts = np.r_[0, ends]
    weight = np.cumsum(productivity[member])                 # in block order: sampling by productivity
    before = np.r_[0.0, weight][starts]                      # cumulative productivity before each community
    total = np.r_[weight[ends - 1], weight[-1]] - before

    n_papers = max(1, int(round(papers_per_author * n)))
    lead = np.searchsorted(weight, rng.random(n_papers) * weight[-1], side="right")
    lead = member[np.minimum(lead, n - 1)]
    team = np.minimum(rng.geometric(0.4, n_papers), 12)      # 1 + co-authors
    slots = team - 1
    paper = np.repeat(np.arange(n_papers), slots)
    home = community[lead][paper]
    local = rng.random(paper.size) < 0.85
    u = rng.random(paper.size)
    target = np.where(local, before[home] + u * total[home], u * weight[-1])
    coauthor = member[np.minimum(np.searchsorted(weight, target, side="right"), n - 1)]
    parts = []
    for size in range(2, 13):                                # papers of one team size at a time
        papers = np.flatnonzero(team == size)
        if papers.size == 0:
            continue
        offsets = np.r_[0, np.cumsum(slots)][papers]
        table = np.concatenate([lead[papers, None], coauthor[offsets[:, None] + np.arange(size - 1)]], axis=1)
        a, b = np.triu_indices(size, 1)
        parts.append(np.stack([table[:, a].ravel(), table[:, b].ravel()], axis=1))
    pairs = np.concatenate(parts) if parts else np.zeros((0, 2), np.int64)
    pairs = np.sort(pairs[pairs[:, 0] != pairs[:, 1]], axis=1)
    pairs, counts = np.unique(pairs, axis=0, return_counts=True)
    papers_of = np.bincount(lead, minlength=n) + np.bincount(coauthor, minlength=n)
    c = np.bincount(lead[team == 1], minlength=n).astype(float)
    w = np.round(10.0 * np.sqrt(1.0 + papers_of))
    cap = float(np.floor(budget_share * w.sum()))
    return SelectionProblem(c=c, pair_i=pairs[:, 0], pair_j=pairs[:, 1], pair_q=counts.astype(float), A=w[None, :],
                            b=[cap], row_names=("budget",), name=f"collab_{n}_{seed}_b{budget_share:g}")
