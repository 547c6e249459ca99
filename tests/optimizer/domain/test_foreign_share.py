"""Lavie & Miller over the foreign share: the compiled problem scores every portfolio with v(F / N) exactly
(unary counts and their pair terms), the solver's choice follows the curve, and the files carry it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from instances import generate_alliance, read_scenario, write_scenario
from optimizer import ProblemError, solve
from optimizer.core.verify import is_feasible
from optimizer.domain.settings import ForeignValue, flag_values

SHARE = ForeignValue((0.0, 0.25, 0.6, 1.0), (0.0, -0.8, 1.5, 0.2), over="share")


@pytest.fixture(scope="module")
def scenario():
    sc = generate_alliance(8, n_domains=3, seed=14)
    mixed = sc.candidates.assign(foreign=[k % 3 != 0 for k in range(len(sc.candidates))])   # 5 foreign, 3 not
    return sc.replace(candidates=mixed).variant("share", size_min=1, size_max=6, foreign_share_min=0.0,
                                                foreign_share_max=1.0, tech_change=0.0).replace(foreign_value=SHARE)


def test_every_portfolio_gets_the_value_of_its_foreign_share(scenario):
    with_share = scenario.compile()
    without = scenario.replace(foreign_value=None).compile()
    assert "foreign share" in with_share.pair_parts and with_share.terms["foreign share"].role == "gain"
    foreign = flag_values(scenario.candidates["foreign"])
    n = len(scenario.candidates)
    assert 0 < foreign.sum() < n
    for bits in itertools.product((0.0, 1.0), repeat=n):
        x = np.array(bits)
        if not is_feasible(without.problem, x):
            continue
        full = with_share.with_foreign_count(np.concatenate([x, np.zeros(with_share.problem.n - n)]))
        assert is_feasible(with_share.problem, full)
        size, f = x.sum(), x @ foreign
        expected = np.interp(f / size, SHARE.breakpoints, SHARE.values) if size else 0.0
        extra = with_share.problem.objective(full) - without.problem.objective(x)
        assert extra == pytest.approx(expected, abs=1e-9), (bits, f, size)
        assert with_share.breakdown(full)["foreign share"] == pytest.approx(expected, abs=1e-9)


def test_counts_that_do_not_match_the_partners_break_a_row(scenario):
    compiled = scenario.compile()
    n = len(scenario.candidates)
    x = solve(scenario, time_limit=60).x
    assert is_feasible(compiled.problem, x) and np.array_equal(compiled.with_foreign_count(x), x)
    for kind in ("foreign", "size"):
        wrong = x.copy()
        items = compiled.counts[kind]
        wrong[items[-1]] = 1.0 - wrong[items[-1]]
        assert not is_feasible(compiled.problem, wrong), kind
    assert compiled.counts["size"].size == 6 and (compiled.counts["size"] >= n).all()


def test_the_best_portfolio_follows_the_curve(scenario):
    peak = ForeignValue((0.0, 0.5, 1.0), (0.0, 5.0, 0.0), over="share")     # a strong pull to half foreign
    res = solve(scenario.replace(foreign_value=peak), time_limit=60)
    partners = res.report.partners()
    share = partners["foreign"].astype(bool).mean()
    assert res.termination.value == "optimal"
    assert res.report.breakdown()["foreign share"] == pytest.approx(np.interp(share, (0, 0.5, 1), (0, 5, 0)))
    assert abs(share - 0.5) < 0.2


def test_sideways_s_falls_rises_and_falls():
    fv = ForeignValue.sideways_s(low=0.2, high=0.7, dip=0.3, peak=1.0, fall=0.4, scale=2.0)
    v = fv(np.array([0.0, 0.2, 0.7, 1.0]))
    assert fv.over == "share" and v[1] < v[0] < v[2] and v[3] < v[2]
    assert fv.of_portfolio(0, 0) == 0.0 and fv.of_portfolio(1, 2) == pytest.approx(fv(0.5))
    with pytest.raises(ProblemError, match="0 < low < high < 1"):
        ForeignValue.sideways_s(low=0.8, high=0.7)
    with pytest.raises(ProblemError, match="foreign shares") as err:
        ForeignValue((0.0, 2.0), (0.0, 1.0), over="share")
    assert err.value.where == ("foreign_value", "breakpoints")
    with pytest.raises(ProblemError, match="expected 'count'") as err:
        ForeignValue((0.0, 1.0), (0.0, 1.0), over="percent")
    assert err.value.where == ("foreign_value", "over")


def test_bundles_and_variants_carry_the_share_curve(scenario, tmp_path):
    write_scenario(scenario, tmp_path / "b")
    assert 'over = "share"' in (tmp_path / "b" / "scenario.toml").read_text(encoding="utf-8")
    assert read_scenario(tmp_path / "b").foreign_value == SHARE
    v = scenario.variant("s", foreign_value={"breakpoints": [0, 0.5, 1], "values": [0, 1, 0], "over": "share"})
    assert v.foreign_value == ForeignValue((0.0, 0.5, 1.0), (0.0, 1.0, 0.0), over="share")
