"""generate_qkp (Gallo-Hammer-Simeone instances) and the triangle index mapping."""

from __future__ import annotations

import numpy as np
import pytest

from instances import generate_qkp
from instances.generate import triangle_index_to_pair
from optimizer import ProblemError

FIELDS = ("c", "pair_i", "pair_j", "pair_q", "A", "b")


def test_same_seed_same_instance():
    a, b = generate_qkp(60, 50, seed=9), generate_qkp(60, 50, seed=9)
    for field in FIELDS:
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert a.name == b.name == "qkp_60_50_9"


def test_other_seed_other_instance():
    a, b = generate_qkp(60, 50, seed=1), generate_qkp(60, 50, seed=2)
    assert not np.array_equal(a.A, b.A)
    assert not np.array_equal(a.c, b.c)


def test_values_of_a_known_seed_do_not_drift():
    """'Deterministic for a given seed on every machine': pinned output of numpy's default_rng stream."""
    p = generate_qkp(6, 50, seed=0)
    assert p.c.tolist() == [0.0, 61.0, 98.0, 73.0, 0.0, 0.0]
    assert p.pair_i.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 3, 4]
    assert p.pair_j.tolist() == [1, 2, 4, 2, 3, 4, 3, 4, 4, 5]
    assert p.pair_q.tolist() == [43.0, 41.0, 3.0, 1.0, 13.0, 1.0, 68.0, 53.0, 65.0, 26.0]
    assert p.A.tolist() == [[31.0, 39.0, 20.0, 24.0, 50.0, 41.0]] and p.b.tolist() == [203.0]


@pytest.mark.parametrize("density", [10, 25, 50, 75, 100])
def test_density_and_value_ranges(density):
    n = 200
    p = generate_qkp(n, density, seed=density)
    total = n * (n - 1) // 2
    d = density / 100
    if density == 100:
        assert p.n_pairs == total and np.all(p.c > 0)
    else:
        sd = np.sqrt(total * d * (1 - d))
        assert abs(p.n_pairs - d * total) < 5 * sd + 1, f"{p.n_pairs} pairs for density {density}%"
        # linear profits are nonzero with the same probability
        assert abs(np.count_nonzero(p.c) - d * n) < 5 * np.sqrt(n * d * (1 - d)) + 1
    nz = p.c[p.c != 0]
    assert np.all((nz >= 1) & (nz <= 100) & (nz == np.round(nz)))
    assert np.all((p.pair_q >= 1) & (p.pair_q <= 100) & (p.pair_q == np.round(p.pair_q)))
    w = p.A[0]
    assert p.A.shape == (1, n)
    assert np.all((w >= 1) & (w <= 50) & (w == np.round(w)))
    assert 50 <= p.b[0] <= w.sum() and p.b[0] == np.round(p.b[0])
    assert p.is_classic_qkp and p.row_names == ("capacity",)
    # pairs sorted row-major, i < j, no repeats
    key = p.pair_i * n + p.pair_j
    assert np.all(p.pair_i < p.pair_j) and np.all(np.diff(key) > 0)


def test_values_cover_their_ranges():
    p = generate_qkp(400, 100, seed=5)
    assert p.c.min() == 1 and p.c.max() == 100
    assert p.pair_q.min() == 1 and p.pair_q.max() == 100
    assert p.A.min() == 1 and p.A.max() == 50


def test_capacities_spread_over_their_range():
    caps = [generate_qkp(50, 50, seed=s).b[0] / generate_qkp(50, 50, seed=s).A.sum() for s in range(30)]
    assert min(caps) < 0.3 and max(caps) > 0.7


@pytest.mark.parametrize("n", [1, 2, 3])
def test_tiny_instances(n):
    p = generate_qkp(n, 100, seed=0)
    assert p.n == n and p.n_pairs == n * (n - 1) // 2


@pytest.mark.parametrize("n, density", [(0, 50), (-3, 50), (2.5, 50), ("10", 50), (10, 0), (10, -5), (10, 101),
                                        (10, float("nan"))])
def test_bad_arguments(n, density):
    with pytest.raises(ProblemError, match="n must be|density"):
        generate_qkp(n, density)


# ----------------------------------------------------------------------------- triangle mapping

@pytest.mark.parametrize("n", [2, 3, 4, 5, 7, 16, 31, 100, 257])
def test_triangle_index_matches_triu_indices_everywhere(n):
    ei, ej = np.triu_indices(n, k=1)
    i, j = triangle_index_to_pair(np.arange(ei.size), n)
    assert np.array_equal(i, ei) and np.array_equal(j, ej)


@pytest.mark.parametrize("n", [3000, 4097])
def test_triangle_index_matches_triu_indices_for_large_n(n):
    ei, ej = np.triu_indices(n, k=1)
    total = ei.size
    rng = np.random.default_rng(n)
    starts = np.r_[0, np.cumsum(np.arange(n - 1, 0, -1))[:-1]]   # first position of each row
    k = np.unique(np.concatenate([rng.integers(0, total, 20000), starts, starts[1:] - 1, [0, 1, total - 2, total - 1]]))
    i, j = triangle_index_to_pair(k, n)
    assert np.array_equal(i, ei[k]) and np.array_equal(j, ej[k])
    assert (int(i[0]), int(j[0])) == (0, 1) and (int(i[-1]), int(j[-1])) == (n - 2, n - 1)


def test_triangle_index_for_very_large_n_at_row_boundaries():
    """Where float rounding of the square root is most likely to land one row off."""
    n = 2_000_000
    rows = np.unique(np.r_[np.arange(0, 50), np.linspace(0, n - 2, 2000).astype(np.int64), np.arange(n - 50, n - 1)])
    starts = rows * (2 * n - rows - 1) // 2
    i, j = triangle_index_to_pair(starts, n)            # first position of each row: (r, r + 1)
    assert np.array_equal(i, rows) and np.array_equal(j, rows + 1)
    inner = rows[rows > 0]
    i, j = triangle_index_to_pair(starts[rows > 0] - 1, n)  # last position of the row before: (r - 1, n - 1)
    assert np.array_equal(i, inner - 1) and np.all(j == n - 1)


def test_triangle_index_empty_input():
    i, j = triangle_index_to_pair(np.zeros(0, dtype=np.int64), 5)
    assert i.size == 0 and j.size == 0


def test_collaboration_qkp_is_sparse_heavy_tailed_and_deterministic():
    from instances import generate_collaboration_qkp

    p = generate_collaboration_qkp(3000, seed=2, budget_share=0.1)
    q = generate_collaboration_qkp(3000, seed=2, budget_share=0.1)
    assert np.array_equal(p.pair_i, q.pair_i) and np.array_equal(p.pair_q, q.pair_q) and np.array_equal(p.c, q.c)
    density = p.n_pairs / (p.n * (p.n - 1) / 2)
    assert 0.0005 < density < 0.006   # sparse: a few pairs per item
    degree = np.bincount(np.concatenate([p.pair_i, p.pair_j]), minlength=p.n)
    assert degree.max() > 20 * np.median(degree)   # hubs: heavy-tailed degrees
    # co-authorship counts: mostly one paper together, a long tail of frequent pairs
    assert np.all(p.pair_q == np.round(p.pair_q)) and p.pair_q.min() == 1
    assert 0.6 < np.mean(p.pair_q == 1) < 0.95 and p.pair_q.max() >= 10
    assert p.A.min() >= 10 and np.all(p.A == np.round(p.A)) and np.all(p.c == np.round(p.c))
    assert np.all(p.pair_i < p.pair_j) and p.b[0] == np.floor(0.1 * p.A.sum())
    assert generate_collaboration_qkp(3000, seed=3).n_pairs != p.n_pairs


@pytest.mark.parametrize("kwargs", [{"n": 5}, {"n": 100, "budget_share": 0.0}, {"n": 100, "budget_share": 1.5},
                                    {"n": 100, "papers_per_author": 0}])
def test_collaboration_qkp_rejects_bad_sizes(kwargs):
    from instances import generate_collaboration_qkp

    with pytest.raises(ProblemError):
        generate_collaboration_qkp(**kwargs)
