"""benchmarks/timing/root_bounds.py: the Lagrangian decomposition bound it measures is a valid bound."""

from __future__ import annotations

import pytest

from benchmarks.timing.root_bounds import STANDARD, decomposition_bound, main
from instances import generate_qkp
from tests.problem_strategies import enumerate_optimum


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_decomposition_bound_is_never_below_the_optimum_and_closes_in(seed):
    problem = generate_qkp(14, 50, seed)
    _, optimum, _ = enumerate_optimum(problem)
    first, _ = decomposition_bound(problem, optimum, cluster=3, steps=0)
    bound, evaluations = decomposition_bound(problem, optimum, cluster=3, steps=200)
    assert optimum - 1e-6 <= bound <= first + 1e-9
    assert evaluations > 1
    assert bound - optimum <= 0.5 * (first - optimum) + 1e-6    # the steps close at least half the first gap


def test_whole_number_weights_only():
    problem = generate_qkp(10, 50, 1)
    with pytest.raises(ValueError, match="whole-number weights"):
        decomposition_bound(problem.replace(A=problem.A + 0.5), 0.0)


@pytest.mark.skipif(not (STANDARD / "jeu_100_25_1.txt").is_file(), reason="../shared/instances/qkp-standard absent")
def test_table_on_a_standard_instance(tmp_path, capsys):
    out = tmp_path / "r.csv"
    assert main(["jeu_100_25_1", "--steps", "3", "--csv", str(out)]) == 0
    text = out.read_text()
    assert "jeu_100_25_1,100,18558.0" in text
    assert main(["no_such"]) == 2 and "unknown instance" in capsys.readouterr().err
