"""Cross-evaluation of a comparison: every portfolio scored under every scenario's weights, checked against
the independent oracle of tests/optimizer/domain/test_scenario_oracle.py; the decomposition of a change
into the partners' part and the weights' part adds up."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer import compare
from optimizer.reports.comparison_report import describe_term_changes, scale_sentence
from tests.optimizer.domain.test_scenario_oracle import Oracle, random_scenario

VARIANTS = ({"reputation_weight": 2.5}, {"tech_change": 0.8}, {"breadth": 0.9}, {"scale_limits": {"budget": 0.6}})


def _codes(oracle: Oracle, portfolio: dict[str, str]) -> np.ndarray:
    """The oracle's assignment row of a portfolio (partner id -> level): 0 = out, k = its k-th option."""
    row = np.zeros(oracle.n, dtype=np.int64)
    for pid, level in portfolio.items():
        i = oracle.ids.index(pid)
        row[i] = 1 + [name for name, _, _ in oracle.options[i]].index(level)
    return row


@pytest.mark.parametrize("family,seed", [("plain", 3), ("levels_pairs", 2),
                                         ("foreign", 4), ("everything", 3)])
def test_cross_scores_equal_the_oracle_and_the_split_adds_up(family, seed):
    base, _ = random_scenario(seed, family)
    scenarios = [base] + [base.variant(f"v{k}", **change) for k, change in enumerate(VARIANTS)]
    cmp = compare(scenarios, time_limit=30)
    scores = cmp.cross_scores()
    solved = list(scores.index)
    if len(solved) < 2:
        pytest.skip(f"{family}-{seed}: fewer than two variants have a portfolio")
    for scoring in cmp.names:
        oracle = Oracle(cmp.scenarios[scoring])
        for portfolio in solved:
            expected = float(oracle.evaluate(_codes(oracle, cmp.portfolio(portfolio))[None, :]).objective[0])
            assert scores.at[portfolio, scoring] == pytest.approx(expected, abs=1e-7), (portfolio, scoring)
    for name in solved:   # the diagonal is each scenario's own objective
        assert scores.at[name, name] == pytest.approx(cmp.results[name].objective, abs=1e-7)
    first = cmp.names[0]
    for name in solved[1:] if first in solved else []:
        split = cmp.decompose(first, name)
        assert np.allclose(split["partners"] + split["weights"], split["total"], atol=1e-9)
        assert split.at["objective", "total"] == pytest.approx(cmp.results[name].objective
                                                                - cmp.results[first].objective, abs=1e-7)
        assert split.at["objective", "partners"] == pytest.approx(scores.at[name, first] - scores.at[first, first],
                                                                   abs=1e-7)


def test_a_weight_alone_is_named_as_the_cause(example):
    # the same partners, a heavier reputation weight: the whole change is the weight's, not "more reputable
    # partners" (the old explanation of the young-cluster strategy)
    heavier = example.variant("reputation x3", reputation_weight=3 * example.strategy.reputation_weight)
    cmp = compare([example, heavier], time_limit=60)
    split = cmp.decompose(example.name, "reputation x3")
    same = cmp.portfolio(example.name) == cmp.portfolio("reputation x3")
    text = describe_term_changes(split)
    if same:
        assert split.at["objective", "partners"] == pytest.approx(0.0, abs=1e-9)
        assert "reputation" in text and "all from the weights" in text and "more reputable" not in text
    assert split.at["reputation", "weights"] > 0
    sentence = scale_sentence(cmp, example.name, "reputation x3")
    assert f"Scored with {example.name}'s weights" in sentence and "from the weights" in sentence


def test_a_portfolio_at_a_level_the_scenario_lacks_is_refused_by_name(example):
    from optimizer import ProblemError

    comp = example.compile()
    pid = example.ids[0]
    with pytest.raises(ProblemError, match=f"no partner '{pid}' at level 'gold'"):
        comp.portfolio_x({pid: "gold"})
