"""Formulations: array models whose feasible 0/1 points and objective match the canonical problem."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import formulations
from formulations.bounds import row_sum_bound
from formulations.model import MipModel
from optimizer import SelectionProblem
from optimizer.solvers import bruteforce
from tests.problem_strategies import problems

FORMULATIONS = tuple(formulations.REGISTRY)
TOL = 1e-9


def _row_activity(model: MipModel, v: np.ndarray) -> np.ndarray:
    """M v from the CSR arrays."""
    rows = np.repeat(np.arange(model.num_row), np.diff(model.row_start))
    return np.bincount(rows, weights=model.row_value * v[model.row_index], minlength=model.num_row)


def _model_violations(model: MipModel, v: np.ndarray) -> list[str]:
    out = []
    scale = lambda a: TOL * np.maximum(1.0, np.abs(np.where(np.isfinite(a), a, 0.0)))  # noqa: E731
    bad = np.flatnonzero((v < model.col_lower - scale(model.col_lower))
                         | (v > model.col_upper + scale(model.col_upper)))
    out += [f"column {k}: {v[k]} outside [{model.col_lower[k]}, {model.col_upper[k]}]" for k in bad]
    act = _row_activity(model, v)
    bad = np.flatnonzero((act < model.row_lower - scale(model.row_lower))
                         | (act > model.row_upper + scale(model.row_upper)))
    out += [f"row {r}: {act[r]} outside [{model.row_lower[r]}, {model.row_upper[r]}]" for r in bad]
    return out


def _check_well_formed(model: MipModel, problem: SelectionProblem, name: str) -> None:
    assert model.formulation == name
    assert model.n_items == problem.n
    nc, nr = model.num_col, model.num_row
    for a in (model.col_cost, model.col_lower, model.col_upper, model.integrality):
        assert a.shape == (nc,)
    assert model.row_lower.shape == model.row_upper.shape == (nr,)
    assert model.row_start.shape == (nr + 1,) and model.row_start[0] == 0
    assert np.all(np.diff(model.row_start) >= 0) and model.row_start[-1] == model.row_index.size == model.num_nz
    assert np.all((model.row_index >= 0) & (model.row_index < nc))
    assert np.all(model.row_lower <= model.row_upper)
    assert np.all(model.col_lower <= model.col_upper)
    assert np.all(model.integrality[: problem.n])          # item columns are the binaries
    assert np.all(model.col_lower[problem.forced_in] == 1) and np.all(model.col_upper[problem.forced_out] == 0)
    for a in (model.col_cost, model.row_value):
        assert np.all(np.isfinite(a))


@pytest.mark.parametrize("name", FORMULATIONS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems(max_n=8))
def test_model_holds_exactly_the_feasible_points_with_the_same_objective(name, problem):
    """Every 0/1 point: start_vector(x) satisfies the model iff x is feasible, and the objectives agree."""
    model = formulations.build(name, problem)
    _check_well_formed(model, problem, name)
    X = np.array(list(itertools.product((0.0, 1.0), repeat=problem.n)))
    feasible = bruteforce.feasible_mask(problem, X)
    feasible &= np.all(X[:, problem.forced_in] == 1, axis=1) & np.all(X[:, problem.forced_out] == 0, axis=1)
    for x, ok in zip(X, feasible):
        v = model.start_vector(x)
        assert v.shape == (model.num_col,)
        assert np.array_equal(v[: problem.n], x)
        broken = _model_violations(model, v)
        if ok:
            assert not broken, f"{name}: feasible x={x} breaks the model: {broken}"
            assert model.objective(v) == pytest.approx(problem.objective(x), rel=1e-9, abs=1e-9)
        else:
            assert broken, f"{name}: infeasible x={x} satisfies the model"


@pytest.mark.parametrize("name", FORMULATIONS)
def test_start_vector_of_a_generated_qkp(name):
    from instances import generate_qkp

    problem = generate_qkp(40, 50, seed=5)
    model = formulations.build(name, problem)
    _check_well_formed(model, problem, name)
    rng = np.random.default_rng(1)
    checked = 0
    for _ in range(200):
        x = (rng.random(problem.n) < rng.uniform(0.02, 0.3)).astype(float)
        if problem.A[0] @ x > problem.b[0]:
            continue
        v = model.start_vector(x)
        assert not _model_violations(model, v)
        assert model.objective(v) == pytest.approx(problem.objective(x))
        checked += 1
    assert checked > 50


PAIRED = SelectionProblem(c=[1.0, 2.0, 3.0, 4.0], pair_i=[0, 0, 1, 2], pair_j=[1, 2, 3, 3],
                          pair_q=[5.0, 0.0, -2.0, 3.0], A=[[1, 1, 1, 1]], b=[3])


def test_standard_has_one_product_column_per_nonzero_pair():
    model = formulations.build("standard", PAIRED)
    assert model.num_col == 4 + 3 and not model.is_quadratic
    assert not model.integrality[4:].any()
    assert np.all(model.col_lower[4:] == 0) and np.all(model.col_upper[4:] == 1)
    assert model.col_cost.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, -2.0, 3.0]


def test_glover_has_one_column_per_pair_owner():
    model = formulations.build("glover", PAIRED)
    assert model.num_col == 4 + 3  # items 0, 1, 2 own a nonzero pair
    assert not model.integrality[4:].any()
    assert model.col_cost[4:].tolist() == [1.0, 1.0, 1.0]


def test_miqp_keeps_the_products_in_the_objective():
    model = formulations.build("miqp", PAIRED)
    assert model.num_col == 4 and model.is_quadratic
    assert sorted(zip(model.quad_i.tolist(), model.quad_j.tolist(), model.quad_q.tolist())) == [
        (0, 1, 5.0), (1, 3, -2.0), (2, 3, 3.0)]


def test_unknown_formulation_and_choice():
    with pytest.raises(KeyError, match="unknown formulation 'nope'"):
        formulations.build("nope", PAIRED)
    # negative pair terms (alliance scenarios): Glover's first, as measured (benchmarks/README.md)
    assert formulations.choose(PAIRED, ("standard", "rlt", "glover")).name == "glover"
    assert formulations.choose(PAIRED, ("standard", "rlt")).name == "rlt"
    assert formulations.choose(PAIRED, ("miqp",)).name == "miqp"
    assert "negative pair terms" in formulations.choose(PAIRED, ("glover",)).reason
    # the classic QKP: the RLT model first
    classic = PAIRED.replace(pair_q=np.abs(PAIRED.pair_q))
    assert formulations.choose(classic, ("standard", "rlt", "glover")).name == "rlt"
    assert formulations.choose(classic, ("glover", "standard")).name == "standard"
    assert formulations.choose(classic, ("miqp", "glover")).name == "glover"
    assert "classic quadratic knapsack" in formulations.choose(classic, ("rlt",)).reason


def test_auto_says_which_formulation_it_chose_and_why():
    from instances import generate_alliance
    from optimizer import solve

    # without its concave hint (which sends a scenario to the outer approximation) auto ends in the MIP
    result = solve(generate_alliance(30, seed=4).compile().problem.replace(concave=None), formulation="auto")
    mip = [s for s in result.stages if s.stage == "mip"]
    assert mip and mip[0]["formulation"] == "glover" and "negative pair terms" in mip[0]["formulation_why"]
    highs = solve(generate_alliance(30, seed=4), solver="highs")
    chosen = next(s for s in highs.stages if s.stage == "formulation")
    assert chosen["formulation"] == highs.formulation == "glover" and "negative pair terms" in chosen["why"]


# ----------------------------------------------------------------------------- Glover's bounds

@st.composite
def bound_cases(draw):
    """(problem, owner, target, value, n_rows, capacity, count) for row_sum_bound."""
    n = draw(st.integers(1, 7))
    m = draw(st.integers(0, 3))
    A = [draw(st.lists(st.integers(-3 if draw(st.booleans()) else 0, 9).map(float), min_size=n, max_size=n))
         for _ in range(m)]
    problem = SelectionProblem(c=np.zeros(n), A=A if m else None, b=[0.0] * m if m else None)
    n_rows = draw(st.integers(1, 4))
    owner, target, value = [], [], []
    for k in range(n_rows):
        targets = draw(st.lists(st.integers(0, n - 1), unique=True))
        owner += [k] * len(targets)
        target += targets
        value += [draw(st.one_of(st.integers(0, 30).map(float), st.floats(0, 30, allow_nan=False)))
                  for _ in targets]
    capacity = np.array([[draw(st.integers(-3, 25)) for _ in range(n_rows)] for _ in range(m)], dtype=float)
    capacity = capacity.reshape(m, n_rows)
    count = np.array([draw(st.integers(0, n)) for _ in range(n_rows)])
    return problem, np.array(owner, dtype=np.int64), np.array(target, dtype=np.int64), np.array(value), n_rows, \
        capacity, count


@settings(max_examples=300, deadline=None)
@given(case=bound_cases())
def test_row_sum_bound_is_a_valid_bound(case):
    """The bound is at least the true maximum over 0/1 x within the nonnegative rows' room and the count."""
    problem, owner, target, value, n_rows, capacity, count = case
    bound = row_sum_bound(problem, owner, target, value, n_rows, capacity, count)
    assert bound.shape == (n_rows,)
    assert np.all(bound <= np.bincount(owner, weights=value, minlength=n_rows) + 1e-9)
    X = np.array(list(itertools.product((0.0, 1.0), repeat=problem.n)))
    nonneg = [r for r in range(problem.A.shape[0]) if np.all(problem.A[r] >= 0)]
    for k in range(n_rows):
        ok = X.sum(axis=1) <= count[k]
        for r in nonneg:
            ok &= X @ problem.A[r] <= capacity[r, k] + 1e-9
        sel = owner == k
        best = max((float(value[sel] @ x[target[sel]]) for x in X[ok]), default=-np.inf)
        assert bound[k] >= best - 1e-9 * max(1.0, abs(best)), f"row {k}: bound {bound[k]} < true maximum {best}"


def test_row_sum_bound_is_exact_when_nothing_binds():
    problem = SelectionProblem(c=np.zeros(3), A=[[1, 1, 1]], b=[10])
    bound = row_sum_bound(problem, np.array([0, 0, 1]), np.array([1, 2, 0]), np.array([2.0, 3.0, 4.0]), 2,
                          np.array([[10.0, 10.0]]), np.array([3, 3]))
    assert bound.tolist() == [5.0, 4.0]


def test_row_sum_bound_uses_count_and_knapsack():
    problem = SelectionProblem(c=np.zeros(3), A=[[4, 2, 2]], b=[10])
    owner, target, value = np.zeros(3, np.int64), np.arange(3), np.array([8.0, 3.0, 2.0])
    # count 1: only the largest value
    assert row_sum_bound(problem, owner, target, value, 1, np.array([[100.0]]), np.array([1]))[0] == 8.0
    # room 4: item 0 (ratio 2) fits exactly; ratios 1.5 then 1 follow but no room is left
    assert row_sum_bound(problem, owner, target, value, 1, np.array([[4.0]]), np.array([3]))[0] == 8.0
    # room 5: item 0 then half of item 1
    assert row_sum_bound(problem, owner, target, value, 1, np.array([[5.0]]), np.array([3]))[0] == 9.5
