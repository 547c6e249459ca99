"""benchmarks/timing/alliance_exact.py: the configuration without SCS hides it for its run only."""

from __future__ import annotations

import sys

import pytest

from benchmarks.timing.alliance_exact import _solve_as
from instances import generate_alliance
from optimizer.algorithms import semidefinite
from optimizer.core.deadline import SHARES

pytestmark = pytest.mark.skipif(not semidefinite.available()[0], reason=semidefinite.available()[1])


def test_auto_without_scs_skips_the_stage_and_puts_the_package_back(monkeypatch):
    monkeypatch.setitem(SHARES, "outer first", 0.01)            # the stage's turn comes at once
    problem = generate_alliance(60, seed=2).compile().problem       # a gap after the concave bound
    before = sys.modules.get("scs")
    hidden = _solve_as("auto-sdp", problem, 2.0)
    stage = next(s for s in hidden.stages if s.stage == "semidefinite bound")
    assert "scs not importable" in stage["skipped"]
    assert sys.modules.get("scs") is before and semidefinite.available()[0]
    shown = _solve_as("auto", problem, 2.0)
    assert "skipped" not in next(s for s in shown.stages if s.stage == "semidefinite bound")
