"""instances.read_qkp on the edge-list format of recent QKP collections, and write_edge_list."""

from __future__ import annotations

import numpy as np
import pytest

from instances import InstanceFormatError, generate_qkp, read_qkp, write_edge_list
from optimizer import solve

SMALL = """4 5 int
0 0 3
0 1 2
1 3 5
2 2 4
3 2 -1
2 3 4 5
7 9
"""


def _write(tmp_path, text: str):
    path = tmp_path / "inst.txt"
    path.write_text(text)
    return path


def test_reads_pairs_linear_utilities_weights_and_the_chosen_budget(tmp_path):
    p = read_qkp(_write(tmp_path, SMALL), budget=1)
    assert p.n == 4 and p.name == "inst@budget1"
    assert p.c.tolist() == [3.0, 0.0, 4.0, 0.0]
    pairs = sorted(zip(p.pair_i.tolist(), p.pair_j.tolist(), p.pair_q.tolist()))
    assert pairs == [(0, 1, 2.0), (1, 3, 5.0), (2, 3, -1.0)]  # (3, 2) stored as i < j
    assert p.A.tolist() == [[2.0, 3.0, 4.0, 5.0]] and p.b.tolist() == [9.0]
    # every item fits budget 9 except the four together (14): the best drops item 0 (5 + 4 + 5 - 1 - ...)
    result = solve(p)
    x = result.x
    assert result.objective == p.objective(x) and (p.A @ x)[0] <= 9


def test_single_budget_needs_no_index(tmp_path):
    p = read_qkp(_write(tmp_path, SMALL.replace("7 9\n", "7\n")))
    assert p.b.tolist() == [7.0] and p.name == "inst"


@pytest.mark.parametrize("budget", [None, 2, -1, True, 1.0])
def test_budget_choice_errors_list_the_budgets(tmp_path, budget):
    with pytest.raises(InstanceFormatError) as err:
        read_qkp(_write(tmp_path, SMALL), budget=budget)
    assert "7 9" in str(err.value) and err.value.line == 8


def test_budget_on_a_billionnet_soutif_file_is_refused(tmp_path):
    path = tmp_path / "bs.txt"
    path.write_text("2\n1 2\n3\n\n5\n2 4\n")
    with pytest.raises(InstanceFormatError, match="single capacity"):
        read_qkp(path, budget=0)


@pytest.mark.parametrize("text,line,words", [
    (SMALL.replace("1 3 5", "1 3"), 4, ["expected 3 numbers"]),
    (SMALL.replace("1 3 5", "1 3 x"), 4, ["'x' is not a number"]),
    (SMALL.replace("1 3 5", "1 4 5"), 4, ["0..3"]),
    (SMALL.replace("1 3 5", "1.5 3 5"), 4, ["whole numbers"]),
    (SMALL.replace("3 2 -1", "1 0 7"), 6, ["pair (0, 1) given twice", "line 3"]),
    (SMALL.replace("2 2 4", "0 0 4"), 5, ["linear utility of item 0 given twice"]),
    (SMALL.replace("2 3 4 5", "2 3 4"), 7, ["expected 4 numbers"]),
    (SMALL.replace("2 3 4 5", "2 3 nan 5"), 7, ["not a finite number"]),
    (SMALL + "1 2\n", 9, ["after the budgets"]),
    ("4 x int\n", 1, ["n m type"]),
    ("4 9 int\n0 1 2\n", 2, ["file ends early"]),
], ids=["short-line", "token", "index-range", "fractional-index", "duplicate-pair", "duplicate-linear",
        "weights-count", "nan-weight", "trailing", "bad-header", "ends-early"])
def test_errors_name_the_file_and_line(tmp_path, text, line, words):
    path = _write(tmp_path, text)
    with pytest.raises(InstanceFormatError) as err:
        read_qkp(path, budget=0)
    assert err.value.line == line, str(err.value)
    assert f"{path}:{line}:" in str(err.value)
    for word in words:
        assert word in str(err.value), f"{word!r} missing from {err.value}"


def test_a_byte_order_mark_is_accepted(tmp_path):
    plain = read_qkp(_write(tmp_path, SMALL), budget=1)
    marked_path = tmp_path / "marked.txt"
    marked_path.write_bytes(b"\xef\xbb\xbf" + SMALL.encode("utf-8"))
    marked = read_qkp(marked_path, budget=1)
    assert marked.n == plain.n and np.array_equal(marked.c, plain.c) and np.array_equal(marked.b, plain.b)
    assert np.array_equal(marked.pair_q, plain.pair_q)


@pytest.mark.parametrize("seed", range(3))
def test_round_trip_keeps_the_problem(tmp_path, seed):
    p = generate_qkp(30, 40, seed)
    path = tmp_path / "rt.txt"
    write_edge_list(p, path, budgets=[p.b[0], p.b[0] / 2])
    back = read_qkp(path, budget=0)
    assert np.array_equal(back.c, p.c) and np.array_equal(back.A, p.A) and back.b[0] == p.b[0]
    assert sorted(zip(back.pair_i, back.pair_j, back.pair_q)) == sorted(zip(p.pair_i, p.pair_j, p.pair_q))
    assert read_qkp(path, budget=1).b[0] == p.b[0] / 2


def test_float_utilities_round_trip(tmp_path):
    p = generate_qkp(12, 60, 1)
    p = p.replace(pair_q=p.pair_q / 7.0)
    path = tmp_path / "f.txt"
    write_edge_list(p, path)
    assert path.read_text().split("\n")[0].endswith("float")
    back = read_qkp(path)
    assert np.allclose(sorted(back.pair_q), sorted(p.pair_q), rtol=0, atol=0)
