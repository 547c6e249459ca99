"""The default scoring's scale-free quantities stay exact at the ends of the float range."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from instances import read_scenario
from optimizer import solve
from optimizer.domain.scoring import endowment_factor

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "alliance-60"


@pytest.mark.parametrize("scale", [1e-300, 1e-3, 1e6, 1e307])
def test_the_endowment_factor_does_not_depend_on_the_unit(scale):
    e = np.array([0.0, 1.0, 2.5, 4.0, 7.5, 7.5, 7.5])  # times 1e307: each finite, their sum not
    assert np.allclose(endowment_factor(e * scale, 0.5), endowment_factor(e, 0.5), rtol=1e-12)


def test_endowments_near_the_float_limit_give_the_same_portfolio():
    # endowments scaled up to near 1e308 once changed the objective from 0.645 to 0.15 (their mean overflowed)
    base = read_scenario(EXAMPLE)
    endowment = base.candidates["endowment"]
    scaled = base.replace(candidates=base.candidates.assign(endowment=endowment * (1e308 / endowment.max())))
    a, b = base.compile().problem, scaled.compile().problem
    assert np.allclose(a.c, b.c, rtol=1e-12, atol=1e-12) and np.allclose(a.pair_q, b.pair_q)
    ra, rb = solve(base, time_limit=60), solve(scaled, time_limit=60)
    assert rb.objective == pytest.approx(ra.objective, rel=1e-9) and ra.selected == rb.selected
