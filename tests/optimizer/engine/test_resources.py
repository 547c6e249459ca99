"""Resource guard: model sizes counted without building, estimates, refusal with the fix."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

import formulations
from instances import generate_qkp
from optimizer import ResourceError, solve
from optimizer.engine.resources import default_limit_mb, estimate_mb, model_size, too_large
from tests.problem_strategies import problems


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_counted_size_bounds_the_built_model(problem):
    for name in formulations.REGISTRY:
        built = formulations.build(name, problem)
        size = model_size(problem, name)
        assert size.columns >= built.num_col, name
        assert size.nonzeros >= built.num_nz + built.quad_q.size, name  # quadratic terms count too
        assert size.rows >= built.num_row, name


@pytest.mark.parametrize("name", ["standard", "rlt", "glover", "miqp"])
def test_counted_size_is_close_on_a_dense_qkp(name):
    problem = generate_qkp(120, 75, seed=4)
    built, size = formulations.build(name, problem), model_size(problem, name)
    entries = built.num_nz + built.quad_q.size
    assert entries <= size.nonzeros <= 1.5 * entries + 1000


def test_estimates_grow_with_pairs_and_pyomo_costs_more():
    small, large = generate_qkp(100, 25, 1), generate_qkp(100, 100, 1)
    assert estimate_mb(large, "standard", "highs") > estimate_mb(small, "standard", "highs")
    assert estimate_mb(large, "standard", "pyomo:highs") > estimate_mb(large, "standard", "highs")
    assert estimate_mb(large, "glover", "highs") < estimate_mb(large, "standard", "highs")


def test_refusal_names_the_estimate_and_the_alternatives():
    problem = generate_qkp(200, 100, 1)
    assert too_large(problem, "standard", "highs", 1e6) is None
    msg = too_large(problem, "standard", "highs", 10)
    assert "needs about" in msg and "above the memory limit of 10 MB" in msg
    assert "solver='heuristic'" in msg and "glover" in msg
    with pytest.raises(ResourceError, match="above the memory limit of 10 MB"):
        solve(problem, solver="highs", formulation="standard", memory_limit=10)
    # the heuristic builds no model: the limit does not apply
    assert solve(problem, solver="heuristic", time_limit=1, memory_limit=10).x is not None


def test_default_limit_from_the_environment(monkeypatch):
    monkeypatch.setenv("ALLIANCE_MEMORY_LIMIT_MB", "123")
    assert default_limit_mb() == 123.0
    monkeypatch.setenv("ALLIANCE_MEMORY_LIMIT_MB", "lots")
    with pytest.raises(ValueError, match="ALLIANCE_MEMORY_LIMIT_MB"):
        default_limit_mb()
    monkeypatch.delenv("ALLIANCE_MEMORY_LIMIT_MB")
    assert 100 < default_limit_mb() < float("inf")


@pytest.mark.parametrize("bad", [0, -5, "big", float("nan")])
def test_bad_memory_limit_is_refused(bad):
    with pytest.raises(ValueError, match="memory_limit"):
        solve(generate_qkp(10, 50, 1), memory_limit=bad)


def test_the_branch_and_bound_declares_its_arrays_and_is_refused_above_the_limit(monkeypatch):
    from optimizer.algorithms import branch_and_bound

    problem = generate_qkp(400, 50, seed=2)
    # seven 400 x 400 float64 matrices
    assert branch_and_bound.memory_mb(problem) == pytest.approx(7 * 8 * 400**2 / 2**20)
    fewer = problem.replace(forced_out=range(200))          # the arrays cover the free items only
    assert branch_and_bound.memory_mb(fewer) == pytest.approx(branch_and_bound.memory_mb(problem) / 4)
    # negative pair values add four: their negative parts, theta and its best at the root, theta q in the tree
    signed = problem.replace(pair_q=-problem.pair_q)
    assert branch_and_bound.memory_mb(signed) == pytest.approx(11 * 8 * 400**2 / 2**20)
    with pytest.raises(ResourceError, match="solver 'bnb'.s arrays for this problem need about .* MB, above the "
                                            "memory limit of 100 MB; use solver='heuristic'"):
        solve(problem, solver="bnb", memory_limit=100)
    # in the pipeline the branch and bound is skipped with the reason, and the MIP stage is asked instead
    # (arrays made huge: the reduction leaves too few free items for a real limit to be sure to bite)
    monkeypatch.setattr(branch_and_bound, "KERNEL_MATRICES", 10**6)
    result = solve(generate_qkp(120, 50, seed=2), time_limit=1, memory_limit=2000)
    skipped = [s for s in result.stages if s.stage == "branch-and-bound"]
    assert skipped and "arrays for" in skipped[0]["skipped"] and "above the memory limit of 2,000 MB" in \
        skipped[0]["skipped"]
    assert result.x is not None and result.bound >= result.objective
