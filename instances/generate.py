"""Random instance generators, deterministic for a given seed on every machine."""

from __future__ import annotations

import numpy as np

from optimizer.errors import ProblemError
from optimizer.problem import SelectionProblem


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
    rng = np.random.default_rng(seed)
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
