"""Test configuration. tests/ is a package (tests/__init__.py) so that its folders, which mirror
the package tree, never shadow the real packages; shared helpers are imported as tests.<module>."""

from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "alliance-60"


@pytest.fixture(scope="session")
def example():
    """The bundled 60-candidate example scenario (read once per test process)."""
    from instances import read_scenario

    return read_scenario(EXAMPLE)


@pytest.fixture(scope="session")
def example_comparison(example):
    """The example beside three variants: a lean budget, a reputation strategy and an infeasible one
    (shared by the comparison tests and the figure tests: solved once per test process)."""
    from optimizer import compare

    variants = [example,
                example.variant("lean", scale_limits={"budget": 0.5}),
                example.variant("reputation", reputation_weight=3.0),
                example.variant("impossible", size_min=9, size_max=9, scale_limits={"budget": 0.1})]
    return compare(variants, time_limit=60)


#: budget limits of the example's frontier, as shares of its budget (any order: solved in increasing order)
FRONTIER_SHARES = np.array([1.1, 0.8])


@pytest.fixture(scope="session")
def example_budget_frontier(example):
    """The example's budget frontier at FRONTIER_SHARES of its budget (and the current one)."""
    from optimizer import frontier

    return frontier(example, vary="budget", values=FRONTIER_SHARES * example.limits["budget"], time_limit=60)


@pytest.fixture(scope="session")
def example_breadth_result(example):
    """The example under the established-cluster strategy (breadth, no reputation goal, size 6-12: the
    size target is raised to 7 by tech change), solved once per test process."""
    from optimizer import solve

    variant = example.variant("breadth", breadth=1.0, reputation_weight=0.0, size_min=6, size_max=12)
    return solve(variant, time_limit=60)
