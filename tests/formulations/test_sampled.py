"""The model over samples (formulations/sampled.py) against enumeration of every portfolio, on small
problems whose samples differ in gains, pair terms (of both signs) and knapsack weights."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from formulations import sampled
from optimizer.analysis.robust import tail_mean
from optimizer.core.problem import SelectionProblem
from optimizer.core.verify import is_feasible
from optimizer.solvers import SolveOptions, get_solver


def _samples(seed: int, n: int = 8, count: int = 5) -> list[SelectionProblem]:
    rng = np.random.default_rng(seed)
    c0, w0 = rng.uniform(0, 10, n), rng.uniform(1, 6, n)
    i, j = np.triu_indices(n, k=1)
    keep = rng.random(i.size) < 0.6
    i, j = i[keep], j[keep]
    q0 = rng.uniform(-6, 4, i.size)
    out = []
    for _ in range(count):
        out.append(SelectionProblem(c=c0 * rng.uniform(0.6, 1.4, n), pair_i=i, pair_j=j,
                                    pair_q=q0 * rng.uniform(0.5, 1.5, i.size) + rng.uniform(-0.5, 0.5, i.size),
                                    A=np.vstack([w0 * rng.uniform(0.8, 1.2, n), np.ones(n)]),
                                    b=[w0.sum() * 0.45, 6], row_names=["budget", "size"], size_min=1,
                                    groups=[[0, 1]]))
    return out


def _oracle(problems: list[SelectionProblem], tail: float) -> float:
    """max over portfolios feasible in every sample of max_eta eta - E[(eta - f)+] / tail (Rockafellar-Uryasev),
    eta tried at every sample value: the definition, not the sorted-tail formula the engine uses."""
    best = -np.inf
    weight = max(1.0, tail * len(problems))
    for bits in itertools.product((0.0, 1.0), repeat=problems[0].n):
        x = np.array(bits)
        if not all(is_feasible(p, x) for p in problems):
            continue
        f = np.array([p.objective(x) for p in problems])
        best = max(best, max(eta - np.maximum(0.0, eta - f).sum() / weight for eta in f))
    return best


def _solve(problems: list[SelectionProblem], tail: float):
    model = sampled.build(problems, tail)
    return get_solver("highs").solve(sampled.merged(problems), model, SolveOptions(time_limit=60))


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("tail", [0.1, 0.4, 1.0])
def test_the_model_finds_the_best_tail_mean(seed, tail):
    problems = _samples(seed)
    answer = _solve(problems, tail)
    assert answer.termination.value == "optimal"
    x = np.round(answer.x)
    assert all(is_feasible(p, x) for p in problems)
    value = tail_mean([p.objective(x) for p in problems], tail)
    expected = _oracle(problems, tail)
    assert value == pytest.approx(expected, abs=1e-6)
    assert answer.objective == pytest.approx(expected, abs=1e-6)


def test_tail_one_is_the_mean_and_a_small_tail_the_worst_case():
    problems = _samples(4)
    feasible = [np.array(b) for b in itertools.product((0.0, 1.0), repeat=problems[0].n)
                if all(is_feasible(p, np.array(b)) for p in problems)]
    values = np.array([[p.objective(x) for p in problems] for x in feasible])
    assert _solve(problems, 1.0).objective == pytest.approx(values.mean(axis=1).max(), abs=1e-6)
    assert _solve(problems, 0.01).objective == pytest.approx(values.min(axis=1).max(), abs=1e-6)


def test_rows_shared_by_every_sample_are_kept_once_and_named_by_sample_otherwise():
    problems = _samples(5)
    merged = sampled.merged(problems)
    assert merged.row_names.count("size") == 1
    assert sum(name.startswith("budget in sample") for name in merged.row_names) == len(problems)
    same = [problems[0]] * 3
    assert sampled.merged(same).row_names == problems[0].row_names


def test_tail_mean_weighs_a_part_of_the_boundary_value():
    assert tail_mean([4.0, 1.0, 3.0, 2.0], 0.5) == pytest.approx(1.5)
    assert tail_mean([4.0, 1.0, 3.0, 2.0], 0.375) == pytest.approx((1.0 + 0.5 * 2.0) / 1.5)
    assert tail_mean([4.0, 1.0, 3.0, 2.0], 0.01) == 1.0
    assert tail_mean([4.0, 1.0, 3.0, 2.0], 1.0) == pytest.approx(2.5)
