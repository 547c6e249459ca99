"""No candidate's value depends on who else is on the list (MODEL.md, default scoring).

Managers add long shots to their lists and exclude them again; a recommendation must not
move because of that. These tests add one candidate (excluded, or with any data) to random
scenarios and check that every other candidate's gains, pair terms and resource use are
unchanged, and that adding an excluded one leaves the optimal portfolio as it was.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from instances import generate_alliance, read_scenario
from optimizer import solve
from optimizer.domain.compile import CompiledScenario
from optimizer.domain.scenario import Scenario

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "alliance-60"


def _with_candidate(scenario: Scenario, data: st.DataObject, *, excluded: bool) -> Scenario:
    """`scenario` with one more candidate, drawn with any data (and a pair or two of its own)."""
    cand = scenario.candidates
    row = cand.iloc[data.draw(st.integers(0, len(cand) - 1))].copy()
    row["id"] = "NEW"
    row["name"] = data.draw(st.sampled_from([str(row["name"]), "A newcomer"]))   # a name may repeat
    row["endowment"] = data.draw(st.sampled_from([0.0, 1.0, 20000.0, 1e9]))
    row["reputation"] = data.draw(st.floats(0, 1))
    row["foreign"] = data.draw(st.booleans())
    for col in [c for c in cand.columns if c.startswith(("k_", "use_"))]:
        row[col] = data.draw(st.floats(0, 1)) * (1.0 if col.startswith("k_") else 50.0)
    if "levels" in cand.columns:
        row["levels"] = ""
    new = pd.concat([cand, row.to_frame().T.astype(cand.dtypes.to_dict())], ignore_index=True)
    pairs = scenario.pairs
    if pairs is not None:
        partner = str(cand["id"].iloc[data.draw(st.integers(0, len(cand) - 1))])
        extra = pd.DataFrame([{"a": "NEW", "b": partner, "rivalry": data.draw(st.floats(0, 2)),
                               "conflict": data.draw(st.booleans()), "synergy": data.draw(st.floats(0, 2)),
                               "tie": data.draw(st.sampled_from([0.0, 1.0]))}])
        pairs = pd.concat([pairs, extra[list(pairs.columns)]], ignore_index=True)
    return scenario.replace(candidates=new, pairs=pairs,
                            excluded=tuple(scenario.excluded) + (("NEW",) if excluded else ()))


def _items(compiled: CompiledScenario) -> dict[tuple[str, str], int]:
    """(candidate id, level) -> item index, for the partner items."""
    ids = compiled.scenario.ids
    return {(ids[c], compiled.item_level[i]): i for i, c in enumerate(compiled.item_candidate) if c >= 0}


def _pair_terms(compiled: CompiledScenario, keys: dict[int, tuple[str, str]]) -> dict[tuple, float]:
    p = compiled.problem
    return {(keys[i], keys[j]): q for i, j, q in zip(p.pair_i.tolist(), p.pair_j.tolist(), p.pair_q.tolist())
            if i in keys and j in keys}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_adding_a_candidate_changes_no_other_candidates_terms(data):
    scenario = generate_alliance(data.draw(st.integers(5, 14)), n_domains=data.draw(st.integers(2, 6)),
                                 seed=data.draw(st.integers(0, 10_000)), levels=data.draw(st.booleans()),
                                 subsidy=data.draw(st.booleans()), foreign_value=data.draw(st.booleans()))
    bigger = _with_candidate(scenario, data, excluded=data.draw(st.booleans()))
    before, after = scenario.compile(), bigger.compile()
    old, new = _items(before), _items(after)
    assert set(old) <= set(new)
    keys = list(old)
    i_old, i_new = [old[k] for k in keys], [new[k] for k in keys]
    # equal up to rounding: a matrix product over a longer table may round a row's sum differently
    same = lambda a, b: np.allclose(a, b, rtol=1e-12, atol=1e-12)  # noqa: E731
    assert same(before.problem.c[i_old], after.problem.c[i_new])
    for name in before.linear_parts:
        assert same(before.linear_parts[name][i_old], after.linear_parts[name][i_new]), name
    rows_old, rows_new = before.problem.row_names, after.problem.row_names
    for r, name in enumerate(rows_old):
        if not name.startswith("foreign_"):          # foreign-count rows also hold the auxiliary items
            assert same(before.problem.A[r, i_old], after.problem.A[rows_new.index(name), i_new]), name
    pairs_before = _pair_terms(before, {v: k for k, v in old.items()})
    pairs_after = _pair_terms(after, {new[k]: k for k in keys})
    assert pairs_before.keys() == pairs_after.keys()
    assert same([pairs_before[k] for k in pairs_before], [pairs_after[k] for k in pairs_before])
    names_old = [before.problem.names[i] for i in i_old]
    assert names_old == [after.problem.names[i] for i in i_new]     # nobody is renamed


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_adding_an_excluded_candidate_never_changes_the_optimal_portfolio(data):
    scenario = generate_alliance(data.draw(st.integers(5, 10)), n_domains=4, seed=data.draw(st.integers(0, 10_000)),
                                 levels=data.draw(st.booleans()))
    bigger = _with_candidate(scenario, data, excluded=True)
    a, b = solve(scenario, time_limit=30), solve(bigger, time_limit=30)
    assert a.termination.value == b.termination.value == "optimal"
    # the same value up to the order of a floating-point sum (the bigger pair list holds the new item's pairs)
    assert b.objective == pytest.approx(a.objective, rel=1e-12, abs=1e-12)
    assert set(a.report.partners()["id"]) == set(b.report.partners()["id"])


def test_an_excluded_long_shot_does_not_move_the_example(tmp_path):
    # the case that found the defect: one excluded candidate with endowment 20000 changed the optimal
    # portfolio from {C009, C022, C038, C042} (8.007) to {C009, C038, C042, C057} (4.809)
    folder = tmp_path / "alliance-61"
    shutil.copytree(EXAMPLE, folder)
    with (folder / "candidates.csv").open() as f:
        lines = f.read().splitlines()
    last = lines[-1].split(",")
    last[0], last[lines[0].split(",").index("endowment")] = "C061", "20000"
    (folder / "candidates.csv").write_text("\n".join(lines + [",".join(last)]) + "\n")
    toml = (folder / "scenario.toml").read_text().replace("excluded = []", 'excluded = ["C061"]')
    (folder / "scenario.toml").write_text(toml)
    base, longer = read_scenario(EXAMPLE), read_scenario(folder)
    assert "C061" in longer.excluded and len(longer.candidates) == 61
    a, b = solve(base, time_limit=60), solve(longer, time_limit=60)
    assert a.termination.value == b.termination.value == "optimal"
    assert b.objective == pytest.approx(a.objective, rel=1e-12, abs=1e-12)
    assert list(b.report.partners()["id"]) == list(a.report.partners()["id"])
