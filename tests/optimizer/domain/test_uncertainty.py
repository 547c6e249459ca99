"""Uncertainty: the samples stay inside the stated ranges, repeat for a seed, and bad input names its field."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from instances import generate_alliance
from optimizer import ProblemError
from optimizer.domain.uncertainty import Uncertainty


@pytest.fixture(scope="module")
def scenario():
    return generate_alliance(12, n_domains=4, seed=5)


def _ranges(*rows: tuple[str, str, float, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "column", "low", "high"])


def test_samples_stay_in_their_ranges_and_leave_the_rest_alone(scenario):
    cand = scenario.candidates
    cid = scenario.ids[3]
    est = float(cand["use_budget"].iloc[3])
    u = Uncertainty(relative={"k_*": 0.3, "reputation": 0.2},
                    ranges=_ranges((cid, "use_budget", est * 0.5, est * 2.0)))
    tables = u.sample(cand, scenario.estimated_columns, 40, seed=3)
    k_cols = [c for c in cand.columns if c.startswith("k_")]
    assert len(k_cols) == 4
    k = np.stack([t[k_cols].to_numpy(float) for t in tables])
    est_k = cand[k_cols].to_numpy(float)
    assert (k >= est_k * 0.7 - 1e-12).all() and (k <= np.minimum(est_k * 1.3, 1.0) + 1e-12).all()
    assert k.max() <= 1.0 and (k != est_k).any()
    rep = np.stack([t["reputation"].to_numpy(float) for t in tables])
    est_rep = cand["reputation"].to_numpy(float)
    assert (np.abs(rep - est_rep) <= 0.2 * est_rep + 1e-12).all()
    use = np.array([float(t["use_budget"].iloc[3]) for t in tables])
    assert use.min() >= est * 0.5 and use.max() <= est * 2.0 and use.max() > est * 1.2   # beyond +-20% in 40 draws
    others = np.stack([t["use_budget"].drop(index=cand.index[3]).to_numpy(float) for t in tables])
    assert (others == cand["use_budget"].drop(index=cand.index[3]).to_numpy(float)).all()
    for col in ("endowment", "coord_cost", "id", "name"):
        assert all(t[col].equals(cand[col]) for t in tables)


def test_a_seed_repeats_its_samples_and_another_seed_does_not(scenario):
    u = Uncertainty(relative={"reputation": 0.2})
    a = u.sample(scenario.candidates, scenario.estimated_columns, 5, seed=11)
    b = u.sample(scenario.candidates, scenario.estimated_columns, 5, seed=11)
    c = u.sample(scenario.candidates, scenario.estimated_columns, 5, seed=12)
    assert all(x.equals(y) for x, y in zip(a, b))
    assert not all(x.equals(y) for x, y in zip(a, c))


@pytest.mark.parametrize(("uncertainty", "where", "words"), [
    (Uncertainty(relative={"reputaton": 0.2}), ("uncertainty", "relative", "reputaton"), "not an estimated column"),
    (Uncertainty(relative={"reputation": 1.5}), ("uncertainty", "relative", "reputation"), "larger than the values"),
    (Uncertainty(relative={"k_*": -0.1}), ("uncertainty", "relative", "k_*"), "expected a share >= 0"),
    (Uncertainty(relative={"x_*": 0.1}), ("uncertainty", "relative", "x_*"), "not an estimated column"),
    (Uncertainty(ranges=_ranges(("nobody", "reputation", 0.1, 0.9))), ("uncertainty", "ranges", 0, "id"),
     "not in the candidate table"),
    (Uncertainty(ranges=_ranges(("C001", "region", 0.1, 0.9))), ("uncertainty", "ranges", 0, "column"),
     "not an estimated column"),
    (Uncertainty(ranges=pd.DataFrame({"id": ["C001"], "column": ["reputation"], "low": [0.1]})),
     ("uncertainty", "ranges", None, "high"), "missing column"),
])
def test_bad_uncertainty_names_the_field(scenario, uncertainty, where, words):
    with pytest.raises(ProblemError, match=words) as err:
        scenario.replace(uncertainty=uncertainty)
    assert err.value.where == where


def test_a_range_must_hold_the_estimate_and_stay_in_the_column_range(scenario):
    cid = scenario.ids[0]
    col = next(c for c in scenario.candidates.columns if c.startswith("k_"))
    k = float(scenario.candidates[col].iloc[0])
    with pytest.raises(ProblemError, match="larger than the values' range") as err:
        scenario.replace(uncertainty=Uncertainty(ranges=_ranges((cid, col, k / 2, 1.5))))
    assert err.value.where == ("uncertainty", "ranges", 0, "high")
    with pytest.raises(ProblemError, match="does not hold the estimate") as err:
        scenario.replace(uncertainty=Uncertainty(ranges=_ranges((cid, col, k + 0.01, 1.0))))
    assert err.value.where == ("uncertainty", "ranges", 0, "low")


@pytest.mark.parametrize("samples", [-3, 0, 2.5, True])
def test_a_bad_sample_count_names_the_field(scenario, samples):
    with pytest.raises(ProblemError, match="samples is") as err:
        Uncertainty(relative={"reputation": 0.1}).sample(scenario.candidates, scenario.estimated_columns, samples)
    assert err.value.where == ("samples",)
