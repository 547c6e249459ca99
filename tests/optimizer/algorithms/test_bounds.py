"""optimizer.algorithms.bounds: the continuous knapsack helpers against a reference and LP duality, and the
Lagrangian upper-plane bound against exact enumeration (validity of bound, bound_in, bound_out)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from instances import generate_qkp
from optimizer import SelectionProblem
from optimizer.algorithms.bounds import (
    QkpBound,
    fixings,
    fractional_knapsack,
    grouped_fractional_knapsack,
    lagrangian_bound,
)
from optimizer.solvers.bruteforce import feasible_mask
from tests.problem_strategies import enumerate_optimum, problems


def _tol(v: float) -> float:
    return 1e-6 * max(1.0, abs(v))


# ----------------------------------------------------------------------------- continuous knapsack

def reference_fractional(value: list[float], weight: list[float], capacity: float) -> tuple[float, np.ndarray]:
    """Textbook greedy for max v x, w x <= capacity, 0 <= x <= 1 (v, w >= 0).

    Convention shared with the code: a negative capacity admits nothing (value 0, x = 0).
    """
    x = np.zeros(len(value))
    if capacity < 0:
        return 0.0, x
    order = sorted((k for k in range(len(value)) if value[k] > 0),
                   key=lambda k: -(np.inf if weight[k] == 0 else value[k] / weight[k]))
    room, total = capacity, 0.0
    for k in order:
        take = 1.0 if weight[k] <= room else max(room, 0.0) / weight[k]
        x[k] = take
        room -= take * weight[k]
        total += take * value[k]
    return total, x


def dual_value(value: np.ndarray, weight: np.ndarray, capacity: float) -> float:
    """LP dual min_{mu >= 0} mu*cap + sum max(0, v - mu w); the minimum sits at 0 or a ratio (cap >= 0)."""
    mus = [0.0] + [v / w for v, w in zip(value, weight) if w > 0]
    return min(mu * capacity + float(np.maximum(0.0, value - mu * weight).sum()) for mu in mus)


_num = st.one_of(st.just(0.0), st.integers(0, 20).map(float), st.integers(0, 2000).map(lambda v: v / 100.0))


@st.composite
def grouped_data(draw):
    n_groups = draw(st.integers(1, 4))
    m = draw(st.integers(0, 14))
    owner = np.array(draw(st.lists(st.integers(0, n_groups - 1), min_size=m, max_size=m)), dtype=np.int64)
    value = np.array(draw(st.lists(_num, min_size=m, max_size=m)), dtype=float)
    weight = np.array(draw(st.lists(_num, min_size=m, max_size=m)), dtype=float)
    capacity = np.array(draw(st.lists(st.one_of(st.integers(-5, 40).map(float), _num),
                                      min_size=n_groups, max_size=n_groups)), dtype=float)
    return owner, value, weight, capacity, n_groups


@settings(max_examples=200, deadline=None)
@given(grouped_data())
def test_grouped_fractional_knapsack_matches_reference_per_group(data):
    owner, value, weight, capacity, n_groups = data
    best, x = grouped_fractional_knapsack(owner, value, weight, capacity, n_groups)
    assert best.shape == (n_groups,) and x.shape == value.shape
    assert np.all(x >= 0.0) and np.all(x <= 1.0)
    # the returned x gives the returned value, group by group
    np.testing.assert_allclose(np.bincount(owner, weights=value * x, minlength=n_groups), best, rtol=1e-9, atol=1e-9)
    for g in range(n_groups):
        members = np.flatnonzero(owner == g)
        ref, _ = reference_fractional(value[members].tolist(), weight[members].tolist(), float(capacity[g]))
        assert best[g] == pytest.approx(ref, rel=1e-9, abs=1e-9), f"group {g}"
        if capacity[g] >= 0:
            assert weight[members] @ x[members] <= capacity[g] + 1e-9 * max(1.0, capacity[g])
            # LP optimality, independently of any sorting: equals the dual minimum
            assert best[g] == pytest.approx(dual_value(value[members], weight[members], float(capacity[g])),
                                            rel=1e-9, abs=1e-9)
        else:
            assert best[g] == 0.0 and np.all(x[members] == 0.0)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_num, _num), max_size=12), st.integers(-3, 60).map(float))
def test_fractional_knapsack_matches_reference(items, capacity):
    value = np.array([v for v, _ in items], dtype=float)
    weight = np.array([w for _, w in items], dtype=float)
    best, x = fractional_knapsack(value, weight, capacity)
    ref, _ = reference_fractional(value.tolist(), weight.tolist(), capacity)
    assert best == pytest.approx(ref, rel=1e-9, abs=1e-9)
    assert np.all((x >= 0) & (x <= 1))
    assert value @ x == pytest.approx(best, rel=1e-9, abs=1e-9)
    if capacity >= 0:
        assert weight @ x <= capacity + 1e-9


def test_grouped_fractional_knapsack_hand_example():
    # group 0: capacity 3, ratios 3 (w=1), 2 (w=2), 1 (w=2); zero-weight item always in; zero value never
    owner = np.array([0, 0, 0, 0, 0, 1, 1])
    value = np.array([3.0, 4.0, 2.0, 5.0, 0.0, 7.0, 1.0])
    weight = np.array([1.0, 2.0, 2.0, 0.0, 0.0, 1.0, 0.0])
    best, x = grouped_fractional_knapsack(owner, value, weight, np.array([3.0, -1.0]), 2)
    assert best.tolist() == [12.0, 0.0]
    assert x.tolist() == [1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0]
    best, x = grouped_fractional_knapsack(owner, value, weight, np.array([4.0, 0.0]), 2)
    assert best.tolist() == [13.0, 1.0]
    assert x.tolist() == [1.0, 1.0, 0.5, 1.0, 0.0, 0.0, 1.0]


# ----------------------------------------------------------------------------- the bound: validity

def _all_vectors(n: int) -> np.ndarray:
    return ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(float)


def exact_values(problem: SelectionProblem) -> tuple[np.ndarray, np.ndarray]:
    """Every 0/1 vector and its objective (-inf when infeasible, forced items included)."""
    X = _all_vectors(problem.n)
    ok = feasible_mask(problem, X)
    ok &= np.all(X[:, problem.forced_in] == 1, axis=1) & np.all(X[:, problem.forced_out] == 0, axis=1)
    return X, np.where(ok, problem.objectives(X), -np.inf)


def assert_valid(problem: SelectionProblem, result: QkpBound) -> float:
    """bound >= optimum, bound_in[k] >= best with x_k = 1, bound_out[k] >= best with x_k = 0. Returns the optimum."""
    X, values = exact_values(problem)
    opt = float(values.max())
    assert result.bound_in.shape == result.bound_out.shape == (problem.n,)
    if np.isfinite(opt):
        assert result.bound >= opt - _tol(opt), f"bound {result.bound} < optimum {opt}"
    for k in range(problem.n):
        for label, fixed, side in (("bound_in", 1, result.bound_in), ("bound_out", 0, result.bound_out)):
            best = float(values[X[:, k] == fixed].max())
            if np.isfinite(best):
                assert side[k] >= best - _tol(best), (
                    f"{label}[{k}] = {side[k]} < {best}, the best feasible objective with x_{k} = {fixed}")
    return opt


def _call_bound(problem: SelectionProblem, incumbent: float) -> QkpBound | None:
    return lagrangian_bound(problem, incumbent, iterations=200, seed=0)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(problems(max_n=10), st.sampled_from(["optimum", "below", "zero"]))
def test_lagrangian_bound_is_valid_on_random_problems(problem, incumbent_kind):
    _, values = exact_values(problem)
    opt = float(values.max())
    finite = np.isfinite(opt)
    incumbent = {"optimum": opt if finite else 0.0, "below": (opt - 10.0) if finite else -3.0,
                 "zero": 0.0}[incumbent_kind]
    result = _call_bound(problem, incumbent)
    if result is None:
        return
    assert np.isfinite(result.bound) or not finite
    assert not np.any(np.isnan(result.bound_in)) and not np.any(np.isnan(result.bound_out))
    assert_valid(problem, result)


QKPS = [(n, density, seed) for n in range(8, 13) for density in (25, 50, 100) for seed in (0,)]


@pytest.mark.parametrize("n, density, seed", QKPS)
def test_lagrangian_bound_valid_and_reasonably_tight_on_classic_qkp(n, density, seed):
    problem = generate_qkp(n, density, seed)
    _, opt, _ = enumerate_optimum(problem)
    for incumbent in (opt, 0.0):
        result = lagrangian_bound(problem, incumbent, iterations=200, seed=0)
        assert result is not None
        assert assert_valid(problem, result) == pytest.approx(opt)
        # sanity: the relaxation is not trivially loose (observed: within ~20% of the optimum)
        assert result.bound <= 1.5 * opt, f"bound {result.bound} vs optimum {opt}"


def test_lagrangian_bound_with_size_limit_only():
    problem = SelectionProblem(c=[3.0, -1.0, 2.0, 4.0], pair_i=[0, 1, 2], pair_j=[1, 3, 3],
                               pair_q=[5.0, 6.0, -2.0], size_max=2)
    result = lagrangian_bound(problem, 0.0)
    assert result is not None and "size_max" in result.method
    assert_valid(problem, result)


def test_lagrangian_bound_honours_forced_items():
    problem = SelectionProblem(c=[1.0, 2.0, 3.0, 4.0, 5.0], pair_i=[0, 1, 3], pair_j=[1, 2, 4],
                               pair_q=[10.0, 3.0, 8.0], A=[[2, 2, 1, 3, 3]], b=[6], forced_in=[0], forced_out=[4])
    result = lagrangian_bound(problem, 0.0)
    assert_valid(problem, result)
    assert result.bound_in[4] == -np.inf   # no solution has the forced-out item
    assert result.bound_out[0] == -np.inf  # no solution lacks the forced-in item


# ----------------------------------------------------------------------------- the bound: no row applies

@pytest.mark.parametrize("kwargs", [
    dict(),                                                                     # no rows, no size limit
    dict(A=[[1.0, -1.0, 2.0]], b=[2.0]),                                       # row with a negative coefficient
    dict(A=[[1.0, 1.0, 1.0]], b=[-1.0]),                                       # nonnegative row, negative limit
    dict(A=[[0.4, -0.6, 0.4], [-0.4, 0.6, -0.4]], b=[0.0, 0.0], size_min=2),   # share range rows only
    dict(size_max=3),                                                           # size_max == n: no limit
    dict(size_max=5, size_min=1),                                               # size_max > n: no limit
])
def test_lagrangian_bound_returns_none_without_a_nonnegative_row_or_size_limit(kwargs):
    problem = SelectionProblem(c=[1.0, 2.0, 3.0], pair_i=[0], pair_j=[1], pair_q=[4.0], **kwargs)
    assert lagrangian_bound(problem, 0.0) is None


# ----------------------------------------------------------------------------- known bugs

@pytest.mark.parametrize("kwargs", [
    dict(c=[-1.0], A=[[1.0]], b=[1.0]),
    dict(c=[0.0], A=[[0.0]], b=[0.0]),
    dict(c=[1.0, 2.0], size_max=1, forced_out=[0, 1]),
])
def test_no_item_with_positive_gain_returns_a_bound(kwargs):
    problem = SelectionProblem(**kwargs)
    result = lagrangian_bound(problem, 0.0)
    assert result is not None
    assert_valid(problem, result)


@pytest.mark.parametrize("make", [
    # classic QKP, 3 items: optimum 2 (items 1, 2), returned bound 0.5
    lambda: SelectionProblem(c=[1.0, 0.0, 1.0], pair_i=[0, 1], pair_j=[1, 2], pair_q=[1.0, 1.0],
                             A=[[2.0, 0.0, 0.0]], b=[1.0]),
    lambda: generate_qkp(9, 50, 1),   # optimum 809, returned bound 54
    lambda: generate_qkp(8, 50, 0),   # IndexError
], ids=["tiny", "qkp_9_50_1", "qkp_8_50_0"])
def test_bound_with_minus_infinity_incumbent_is_valid(make):
    problem = make()
    result = lagrangian_bound(problem, -np.inf)
    assert result is not None
    assert not np.any(np.isnan(result.bound_in)) and not np.any(np.isnan(result.bound_out))
    assert_valid(problem, result)


def test_fixings_keep_the_incumbents_side_of_items_whose_other_side_is_no_better():
    bound_in = np.array([9.0, 11.0, 10.0, 12.0])     # with each item
    bound_out = np.array([12.0, 9.5, 12.0, 10.4])    # without it
    fix_in, fix_out = fixings(bound_in, bound_out, 10.0, False, np.array([], int), np.array([2]))
    assert list(fix_in) == [1] and list(fix_out) == [0]        # item 2 is out already
    fix_in, _ = fixings(bound_in, bound_out, 10.0, True, np.array([], int), np.array([], int))
    assert list(fix_in) == [1, 3]                              # integral gains: 10.4 cannot beat 10
