"""The concave part of the pair terms (SelectionProblem.concave) and its bound (optimizer.engine.concave)."""

from __future__ import annotations

import math
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from instances import generate_alliance
from optimizer import ConcavePart, ForeignValue, ProblemError, SelectionProblem, solve
from optimizer.core.result import Termination
from optimizer.core.verify import is_feasible
from optimizer.engine.concave import concave_bound, concave_search, residual_problem
from tests.problem_strategies import enumerate_optimum, problems

#: every constraint kind the generator has, on or off
KINDS = {"levels": True, "required_domains": 2, "region_caps": True, "n_mandatory": 1, "n_excluded": 1,
         "subsidy": True, "foreign_value": True}


def small_scenario(seed: int, kinds: dict) -> object:
    return generate_alliance(8, n_domains=4, seed=seed, **kinds)        # at most 20 items: enumerable


@st.composite
def scenario_problems(draw) -> SelectionProblem:
    """Compiled small alliance scenarios: levels, every constraint kind in half of them, mixed signs."""
    seed = draw(st.integers(0, 10_000))
    kinds = {k: v for k, v in KINDS.items() if draw(st.booleans())}
    return small_scenario(seed, kinds).compile().problem


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_problems(), st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=3))
def test_structured_and_flat_objectives_agree(problem, seeds):
    assert problem.concave is not None
    S = problem.concave.matrix()
    assert np.linalg.eigvalsh(S)[0] >= -1e-9 * max(1.0, np.abs(S).max())        # positive semidefinite
    residual = residual_problem(problem, S)
    for seed in seeds:
        x = (np.random.default_rng(seed).random(problem.n) < 0.5).astype(float)
        assert residual.objective(x) - 0.5 * x @ S @ x == pytest.approx(problem.objective(x), abs=1e-9)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_problems())
def test_the_bound_is_never_below_the_enumerated_optimum(problem):
    termination, optimum, _ = enumerate_optimum(problem)
    found = concave_bound(problem)
    if optimum is None:         # the generator's small draws can be infeasible (seed 190: a cover over budget)
        assert found is None or found.bound == -math.inf
        return
    assert found is not None and found.converged
    assert found.bound >= optimum - 1e-7


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_n=8), st.integers(0, 2**32 - 1))
def test_any_positive_semidefinite_hint_gives_a_valid_bound(problem, seed):
    """The hint need not match the pair terms: a random one only loosens the bound."""
    rng = np.random.default_rng(seed)
    hint = ConcavePart(profiles=rng.random((problem.n, 3)), scale=rng.random(problem.n), weight=rng.random() * 5,
                       size_cost=rng.random(), counted=(rng.random(problem.n) < 0.7).astype(float))
    termination, optimum, _ = enumerate_optimum(problem)
    found = concave_bound(problem.replace(concave=hint))
    if optimum is not None and found is not None:
        assert found.bound >= optimum - 1e-7


def test_compiled_scenarios_name_the_overlap_and_complexity_exactly():
    compiled = generate_alliance(30, seed=4, levels=True).compile()
    p, S = compiled.problem, compiled.problem.concave.matrix()
    on_pairs = S[p.pair_i, p.pair_j]
    assert np.allclose(compiled.pair_parts["redundancy"] + compiled.pair_parts["complexity"], -on_pairs, atol=1e-12)
    # the residual is what the sparse terms (synergy, ties, conflict) leave, plus pairs of one candidate's levels
    residual = residual_problem(p, S)
    sparse = sum(compiled.pair_parts[k] for k in ("synergy", "ties", "conflict"))
    assert residual.n_pairs <= np.count_nonzero(sparse) + sum(len(g) * (len(g) - 1) // 2 for g in p.groups)


def test_a_scenario_with_its_own_pair_terms_has_no_hint():
    from optimizer.domain.terms import default_pair_terms

    scenario = generate_alliance(12, seed=1)

    def doubled(*args):
        return {k: 2 * v for k, v in default_pair_terms(*args).items()}

    assert scenario.compile().problem.concave is not None
    assert scenario.compile(pair_terms=doubled).problem.concave is None


def test_the_relaxation_closes_most_of_the_gap_on_a_hard_scenario():
    """generate_alliance(120, seed=4242): optimum 9.574 (issue 15); the linear models' bound at 10 s was 16.9."""
    problem = generate_alliance(120, seed=4242).compile().problem
    found = concave_bound(problem)
    assert found.converged and 9.57 <= found.bound <= 10.1
    cut_short = concave_bound(problem, max_iterations=2)
    assert not cut_short.converged and cut_short.bound >= found.bound      # valid, looser
    result = solve(generate_alliance(60, seed=1), time_limit=20)
    stage = next(s for s in result.stages if s.stage == "concave bound")
    assert stage["converged"] and stage["bound"] >= result.objective - 1e-9


@pytest.mark.parametrize("change, message", [
    ({"profiles": -np.ones((3, 2))}, "concave.profiles[0, 0] is negative"),
    ({"scale": np.ones(2)}, "concave.scale has 2 entries for 3 items"),
    ({"weight": -1.0}, "concave.weight is -1.0"),
    ({"counted": np.full(3, 0.5)}, "concave.counted must hold 0 or 1"),
])
def test_a_bad_hint_is_refused_naming_the_field(change, message):
    good = {"profiles": np.ones((3, 2)), "scale": np.ones(3), "weight": 1.0, "size_cost": 0.1, "counted": np.ones(3)}
    with pytest.raises(ProblemError, match=message.replace("[", r"\[").replace("]", r"\]")):
        ConcavePart(**{**good, **change})


def test_a_hint_for_other_items_is_refused_and_dropped_when_items_change():
    hint = ConcavePart(profiles=np.ones((3, 2)), scale=np.ones(3), weight=1.0, size_cost=0.0, counted=np.ones(3))
    with pytest.raises(ProblemError, match="concave describes 3 items, the problem has 2"):
        SelectionProblem(c=[1.0, 2.0], concave=hint)
    problem = SelectionProblem(c=[1.0, 2.0, 3.0], concave=hint)
    assert problem.replace(c=[1.0, 2.0], A=None, b=None).concave is None
    assert problem.replace(c=[3.0, 2.0, 1.0]).concave is hint


def test_foreign_share_scenarios_keep_the_hint_on_partners_only():
    scenario = generate_alliance(20, seed=3, foreign_value=ForeignValue.sideways_s())
    problem = scenario.compile().problem
    aux = problem.n - len(scenario.candidates)
    assert aux > 0 and np.all(problem.concave.counted[-aux:] == 0) and np.all(problem.concave.scale[-aux:] == 0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_problems(), st.booleans())
def test_the_outer_approximation_equals_the_enumerated_optimum(problem, with_start):
    termination, optimum, x = enumerate_optimum(problem)
    found = concave_search(problem, start=x if with_start else None)
    if optimum is None:         # the generator's small draws can be infeasible (seed 190: a cover over budget)
        assert found.termination is Termination.INFEASIBLE and found.x is None
        return
    assert found.termination is Termination.OPTIMAL and is_feasible(problem, found.x.astype(float))
    assert problem.objective(found.x) == pytest.approx(optimum, rel=1e-6, abs=1e-9)
    assert found.bound >= optimum - 1e-9 and found.root_bound >= optimum - 1e-7 and found.mips >= 0


def test_the_tangents_slack_at_the_relaxations_optimum_go_and_the_bound_stays():
    from optimizer.engine.concave import MAX_ITERATIONS, _Relaxation

    relaxation = _Relaxation(generate_alliance(40, seed=3).compile().problem)
    bound, _, iterations, converged = relaxation.kelley(None, MAX_ITERATIONS)
    assert converged and iterations > 3
    tangent_rows = lambda: relaxation.h.getNumRow() - relaxation.model.num_row  # noqa: E731
    assert tangent_rows() == iterations
    relaxation.drop_slack_tangents()
    assert 0 < tangent_rows() < iterations                 # the early ones, far from the optimum, are slack
    assert relaxation.run(None)
    assert -relaxation.h.getInfo().objective_function_value == pytest.approx(bound, rel=1e-7)


def test_the_outer_approximation_proves_a_scenario_the_linear_models_could_not():
    """generate_alliance(120, seed=4242): optimum 9.574, proven by the MIP stage only after more than 10 s."""
    problem = generate_alliance(120, seed=4242).compile().problem
    result = solve(problem, time_limit=60, threads=1)
    assert result.termination is Termination.OPTIMAL and result.objective == pytest.approx(9.5730406, abs=1e-6)
    stage = result.stages[-1]
    assert stage.stage == "outer approximation" and stage["mips"] >= 1 and stage["root_bound"] >= result.objective
    # cut short, it still returns its portfolio and a valid bound
    short = concave_search(problem, time_limit=0.3)
    assert short.termination is Termination.TIME_LIMIT and short.bound >= result.objective - 1e-9


def test_a_chosen_formulation_keeps_the_mip_stage_for_scenarios():
    result = solve(generate_alliance(30, seed=5), formulation="glover", time_limit=30, threads=1)
    names = [s.stage for s in result.stages]
    assert "outer approximation" not in names and "mip" in names


def test_ctrl_c_in_the_outer_approximation_returns_the_best_portfolio_as_interrupted():
    code = ("from instances import generate_alliance\nfrom optimizer import solve\n"
            "p = generate_alliance(137, seed=90210).compile().problem\n"
            "print('ready', flush=True)\n"
            "r = solve(p, threads=1, time_limit=120)\n"
            "print(r.termination.value, r.objective is not None, r.bound >= r.objective, r.stages[-1].stage, "
            "flush=True)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[3],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(2.5)         # the heuristic and the bounds take about 1 s: inside a MIP of the outer approximation
    sent = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.split() == ["interrupted", "True", "True", "outer", "approximation"], out
    assert time.perf_counter() - sent < 10
