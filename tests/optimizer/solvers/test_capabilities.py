"""Solvers declare what they can do; the registry, the resource guard and the engine read the declarations."""

from __future__ import annotations

import pytest

from instances import generate_alliance, generate_qkp
from optimizer import solve
from optimizer.core.result import Termination
from optimizer.engine.resources import estimate_mb
from optimizer.solvers import parse_solver_name, solver_capabilities
from optimizer.solvers.base import Adapter, Capabilities


class _Declared(Adapter):
    """An adapter that declares and does nothing else."""

    def availability(self):
        return True, "test"

    def solve(self, problem, model, options):
        raise AssertionError("not solved in these tests")


def test_an_adapter_must_say_whether_it_runs_and_how_it_solves():
    with pytest.raises(TypeError, match="abstract"):
        Adapter()


def test_a_quadratic_adapter_is_offered_the_quadratic_formulations():
    class Quadratic(_Declared):
        name = "quad"
        capabilities = Capabilities(quadratic=True)

    class Linear(_Declared):
        name = "lin"

    class Direct(_Declared):
        name = "direct"
        capabilities = Capabilities(model=False)

    assert "miqp" in Quadratic().formulations and "miqp" not in Linear().formulations
    assert Direct().formulations == ()


def test_the_registry_reads_suffixes_and_memory_from_capabilities():
    assert parse_solver_name("pyomo:highs") == ("pyomo", "highs")
    with pytest.raises(Exception, match="needs a Pyomo solver name"):
        parse_solver_name("pyomo")
    with pytest.raises(Exception, match="takes no ':<name>' suffix"):
        parse_solver_name("highs:x")
    assert solver_capabilities("pyomo:highs").bytes_per_nonzero > solver_capabilities("highs").bytes_per_nonzero
    assert solver_capabilities("pyomo:scip_direct").quadratic and not solver_capabilities("pyomo:highs").quadratic
    big = generate_qkp(300, 100, seed=1)
    assert estimate_mb(big, "standard", "pyomo:highs") > estimate_mb(big, "standard", "highs")


def test_a_solver_that_refuses_a_problem_says_why_before_anything_is_built():
    result = solve(generate_alliance(12, seed=2), solver="bnb")        # a minimum size, negative row weights
    assert result.termination is Termination.ERROR and "cannot take this problem" in result.message
    result = solve(generate_qkp(25, 50, seed=1), solver="bruteforce")
    assert result.termination is Termination.ERROR and "at most 20 free items" in result.message
