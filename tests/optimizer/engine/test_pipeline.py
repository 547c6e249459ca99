"""solve(solver="auto"): heuristic, bound and reduction, MIP; the optimum and honest stages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import optimizer.engine.pipeline as pipeline
from instances import generate_qkp
from optimizer import SelectionProblem, solve
from optimizer.core.result import Termination
from tests.problem_strategies import enumerate_optimum, problems, same_value


@settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_n=10))
def test_auto_matches_enumeration(problem):
    result = solve(problem)
    termination, optimum, _ = enumerate_optimum(problem)
    assert result.solver == "auto"
    if termination is Termination.INFEASIBLE:
        assert result.termination is Termination.INFEASIBLE and result.x is None
        return
    assert result.termination is Termination.OPTIMAL, result.message
    assert same_value(result.objective, optimum)
    assert same_value(result.bound, optimum)


@pytest.mark.parametrize("seed", range(6))
def test_reduction_keeps_the_optimum_on_qkps(seed):
    """Fixings from the Lagrangian bound never cut off the optimum (checked against plain HiGHS)."""
    problem = generate_qkp(40, [25, 50, 100][seed % 3], seed)
    auto = solve(problem, threads=1)
    plain = solve(problem, solver="highs", threads=1)
    assert auto.termination is Termination.OPTIMAL and plain.termination is Termination.OPTIMAL
    assert auto.objective == plain.objective


def test_stages_are_recorded_in_order_with_times():
    problem = generate_qkp(60, 50, 2)
    result = solve(problem, threads=1)
    names = [s["stage"] for s in result.stages]
    assert names[:3] == ["breakpoints", "heuristic", "bound"]
    assert all(s["seconds"] >= 0 for s in result.stages)
    bound_stage = result.stages[2]
    assert bound_stage["bound"] >= result.objective
    # a classic QKP goes to the branch and bound, whose compiled root optimizes the upper planes itself
    assert "branch and bound's root" in bound_stage["method"] and bound_stage["rounds"] == 0
    assert names[-1] == "branch-and-bound"
    assert bound_stage["bound"] <= result.stages[0]["bound"]       # never above the breakpoints' bound
    if "mip" in names:
        mip = result.stages[names.index("mip")]
        assert mip["items_free"] == problem.n - bound_stage["fixed_in"] - bound_stage["fixed_out"]


def test_bound_that_meets_the_incumbent_skips_the_mip():
    # no pairs and rows that every item fits: the Lagrangian bound is exact (a second row keeps the
    # breakpoints out; with one row their own bound proves it before the search)
    problem = SelectionProblem(c=[3.0, 2.0, 1.0], A=[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], b=[2.0, 5.0])
    result = solve(problem)
    assert result.termination is Termination.OPTIMAL and result.objective == 5.0
    assert [s["stage"] for s in result.stages] == ["heuristic", "bound"]
    one_row = solve(problem.replace(A=[[1.0, 1.0, 1.0]], b=[2.0], row_names=("row0",)))
    assert one_row.termination is Termination.OPTIMAL and one_row.objective == 5.0
    assert [s["stage"] for s in one_row.stages] == ["breakpoints"]


def test_without_the_exact_stage_the_heuristic_answer_comes_with_its_bound(monkeypatch):
    monkeypatch.setattr(pipeline, "MIP_PAIR_LIMIT", 10)
    monkeypatch.setattr(pipeline, "BNB_ITEMS", 0)  # the MIP path, not the branch and bound
    problem = generate_qkp(80, 50, 1)
    result = solve(problem, time_limit=4)
    assert result.x is not None and result.bound >= result.objective
    mip = next(s for s in result.stages if s["stage"] == "mip")
    assert "too many" in mip["skipped"]
    # the time the exact stage would have had goes to the search, which never loses the incumbent
    assert result.stages[-1]["stage"] == "heuristic"
    assert result.objective >= result.stages[0]["objective"]
    assert result.termination in (Termination.FEASIBLE, Termination.OPTIMAL)


def test_a_model_above_the_memory_limit_skips_the_exact_stage_with_the_estimate(monkeypatch):
    monkeypatch.setattr(pipeline, "BNB_ITEMS", 0)
    problem = generate_qkp(150, 50, 2)
    result = solve(problem, time_limit=4, memory_limit=50)
    mip = next(s for s in result.stages if s["stage"] == "mip")
    assert "above the memory limit of 50 MB" in mip["skipped"]
    assert "heuristic" in mip["skipped"]  # what to use instead
    assert result.termination is Termination.FEASIBLE and result.x is not None
    assert result.bound >= result.objective


def test_time_limit_returns_incumbent_and_bound():
    problem = generate_qkp(200, 50, 9)
    result = solve(problem, time_limit=3, threads=1)
    assert result.x is not None and result.bound is not None and result.bound >= result.objective
    assert result.termination in (Termination.TIME_LIMIT, Termination.OPTIMAL)


def test_warm_start_seeds_the_heuristic():
    problem = generate_qkp(30, 50, 3)
    start = np.zeros(problem.n)
    result = solve(problem, warm_start=start)
    assert result.termination is Termination.OPTIMAL
    assert result.stages[0]["objective"] >= 0.0


def test_classic_qkps_are_proved_by_the_branch_and_bound_stage():
    problem = generate_qkp(45, 75, 4)
    result = solve(problem, threads=1)
    names = [s["stage"] for s in result.stages]
    assert names == ["breakpoints", "heuristic", "bound", "branch-and-bound"]
    plain = solve(problem, solver="highs", formulation="rlt", threads=1)
    assert result.termination is Termination.OPTIMAL and result.objective == plain.objective
    assert result.nodes == result.stages[-1]["nodes"] >= 1


def test_a_chosen_formulation_keeps_the_mip_stage():
    problem = generate_qkp(40, 75, 4)
    result = solve(problem, formulation="rlt", threads=1)
    names = [s["stage"] for s in result.stages]
    assert "branch-and-bound" not in names and result.formulation in ("rlt", "none")
    assert result.termination is Termination.OPTIMAL


def test_wider_kinds_go_to_the_branch_and_bound_first_then_to_highs(monkeypatch):
    import optimizer.engine.pipeline as pipeline

    problem = generate_qkp(40, 50, 5).replace(conflicts=np.array([[0, 1], [2, 3]]), groups=[[4, 5, 6]])
    highs = solve(problem, solver="highs", threads=1).objective
    result = solve(problem, threads=1)
    names = [s["stage"] for s in result.stages]
    assert names[-1] == "branch-and-bound" and "mip" not in names
    assert result.termination is Termination.OPTIMAL and result.objective == highs
    assert "upper planes" in result.stages[-1]["relaxation"] and "5 exclusion pair(s) dualized" in \
        result.stages[-1]["relaxation"]
    # where it does not prove within its share, HiGHS takes over from its portfolio and proves
    real = pipeline.branch_and_bound
    monkeypatch.setattr(pipeline, "branch_and_bound", lambda p, **kw: real(p, incumbent=kw["incumbent"],
                                                                           time_limit=1e-9))
    result = solve(problem, threads=1, time_limit=60)
    names = [s["stage"] for s in result.stages]
    assert names[-2:] == ["branch-and-bound", "mip"] and result.stages[-2]["termination"] == "time_limit"
    assert result.termination is Termination.OPTIMAL and result.objective == highs


def test_problems_the_branch_and_bound_does_not_take_keep_the_mip_stage():
    problem = generate_qkp(40, 50, 5).replace(covers=[[0, 1, 2]])
    result = solve(problem, threads=1)
    assert "branch-and-bound" not in [s["stage"] for s in result.stages]
    assert result.termination is Termination.OPTIMAL
    assert result.objective == solve(problem, solver="highs", threads=1).objective


# ---------------------------------------------------------------------------- issue 24: one meaning, one type
@pytest.mark.parametrize("limit", [0.3, 0.6, 1.0])
def test_no_stage_reports_a_bound_above_one_an_earlier_stage_proved(limit):
    # the branch-and-bound stage once reported its root bound (19130.41 on jeu_100_25_1) though the bound
    # stage had 19124.11 already; the result keeps the smallest valid bound of every stage
    result = solve(generate_qkp(110, 25, seed=3), time_limit=limit)
    bounds = [s["bound"] for s in result.stages if "bound" in s and s["bound"] is not None]
    assert bounds == sorted(bounds, reverse=True) or len(bounds) < 2, result.stages
    assert result.bound <= min(bounds) + 1e-9


def test_solver_version_has_one_meaning_and_bounds_one_type():
    from optimizer.core.version import OWN_SOLVER_VERSION
    from optimizer.solvers.highs import Adapter

    qkp = generate_qkp(18, 50, seed=2)
    for solver in ("auto", "heuristic", "bnb", "bruteforce"):
        result = solve(qkp, solver=solver)
        assert result.solver_version == OWN_SOLVER_VERSION, solver     # this package's code, whatever ran inside
        assert type(result.bound) is float and type(result.objective) is float, solver
    highs = solve(qkp, solver="highs")
    assert highs.solver_version == Adapter().availability()[1].split()[-1] and type(highs.bound) is float
    mixed = solve(qkp.replace(pair_q=-qkp.pair_q), formulation="standard")   # negative pairs: the MIP stage runs
    mip = [s for s in mixed.stages if s.stage == "mip"]
    assert mixed.solver_version == OWN_SOLVER_VERSION and mip and mip[0]["highs_version"] == highs.solver_version


def test_ctrl_c_in_the_breakpoints_returns_the_greedy_portfolio_as_interrupted(monkeypatch):
    import optimizer.engine.pipeline as pipeline

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "cut_start", interrupted)
    problem = generate_qkp(60, 50, 2)
    result = solve(problem, threads=1)
    assert result.termination is Termination.INTERRUPTED and result.x is not None
    assert problem.A[0] @ result.x <= problem.b[0] and result.bound >= solve(problem).objective
