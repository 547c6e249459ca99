"""Billionnet-Soutif QKP files: both variants, round trips, errors naming file and line, shared instances."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest

from instances import InstanceFormatError, generate_qkp, read_qkp, write_qkp
from optimizer import ProblemError, SelectionProblem
from optimizer.core.errors import AllianceError
from tests.shared_data import require_qkp_standard

STORED = """4
1 0 3 4
5 0 2
0 7
1

10
2 3 4 5
"""

PUBLISHED = """my instance
4
1 0 3 4
5 0 2
0 7
1

0
10
2 3 4 5
"""


def _write(tmp_path, text: str, name: str = "inst.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _check_small(p: SelectionProblem) -> None:
    assert p.n == 4
    assert p.c.tolist() == [1.0, 0.0, 3.0, 4.0]
    # zero pair profits are dropped, the rest listed row-major with i < j
    assert p.pair_i.tolist() == [0, 0, 1, 2]
    assert p.pair_j.tolist() == [1, 3, 3, 3]
    assert p.pair_q.tolist() == [5.0, 2.0, 7.0, 1.0]
    assert p.A.tolist() == [[2.0, 3.0, 4.0, 5.0]] and p.b.tolist() == [10.0]
    assert p.row_names == ("capacity",)
    assert p.is_classic_qkp


def test_reads_the_stored_variant(tmp_path):
    p = read_qkp(_write(tmp_path, STORED, "jeu_4_50_1.txt"))
    _check_small(p)
    assert p.name == "jeu_4_50_1"


def test_reads_the_published_variant(tmp_path):
    p = read_qkp(_write(tmp_path, PUBLISHED))
    _check_small(p)
    assert p.name == "my instance"


def test_reads_a_string_path_and_tolerates_layout(tmp_path):
    messy = "4\n1 0\n3 4\n5 0 2 0\n7 1\n10 2 3\n4 5"  # tokens matter, line breaks and blank lines do not
    _check_small(read_qkp(str(_write(tmp_path, messy))))
    crlf = STORED.replace("\n", "\r\n")
    _check_small(read_qkp(_write(tmp_path, crlf, "crlf.txt")))


@pytest.mark.parametrize("published", [False, True], ids=["stored", "published"])
@pytest.mark.parametrize("seed", [1, 2])
def test_round_trip_gives_identical_arrays(tmp_path, published, seed):
    p = generate_qkp(30, 40, seed=seed)
    path = tmp_path / "out.txt"
    write_qkp(p, path, published=published)
    q = read_qkp(path)
    for field in ("c", "pair_i", "pair_j", "pair_q", "A", "b"):
        assert np.array_equal(getattr(p, field), getattr(q, field)), field
    assert q.name == (p.name if published else "out")
    assert not list(tmp_path.glob("*.tmp")), "the writer must not leave its temporary file behind"


def test_round_trip_of_non_integer_values(tmp_path):
    p = SelectionProblem(c=[0.1, 2.0, 1 / 3], pair_i=[0, 1], pair_j=[2, 2], pair_q=[2.5, 1e-7], A=[[0.3, 1.0, 2.0]],
                         b=[1.7])
    write_qkp(p, tmp_path / "f.txt")
    q = read_qkp(tmp_path / "f.txt")
    for field in ("c", "pair_i", "pair_j", "pair_q", "A", "b"):
        assert np.array_equal(getattr(p, field), getattr(q, field)), field


def test_file_starts_with_stored_layout(tmp_path):
    write_qkp(generate_qkp(3, 100, seed=0), tmp_path / "f.txt")
    lines = (tmp_path / "f.txt").read_text().splitlines()
    assert lines[0] == "3" and len(lines) == 1 + 1 + 2 + 1 + 1 + 1 and lines[4] == ""


def test_published_variant_refuses_a_numeric_name(tmp_path):
    # a name line "2024" could not be told apart from n when read back
    p = generate_qkp(5, 50, seed=1).replace(name="2024")
    with pytest.raises(ProblemError, match="is a number"):
        write_qkp(p, tmp_path / "f.txt", published=True)
    assert not any(tmp_path.iterdir()), "nothing is written on failure"


@pytest.mark.parametrize("problem, word", [
    (SelectionProblem(c=[1, 2]), "exactly one knapsack row"),
    (SelectionProblem(c=[1, 2], A=[[1, 1], [1, 2]], b=[1, 2]), "exactly one knapsack row"),
    (SelectionProblem(c=[1, 2], A=[[1, 1]], b=[1], conflicts=[(0, 1)]), "conflicts"),
    (SelectionProblem(c=[1, 2], A=[[1, 1]], b=[1], size_max=1), "size limits"),
    (SelectionProblem(c=[1, 2], A=[[1, 1]], b=[1], forced_in=[0], covers=[[1]]), "covers, forced_in"),
])
def test_writer_refuses_what_the_format_cannot_hold(tmp_path, problem, word):
    with pytest.raises(ProblemError, match=word):
        write_qkp(problem, tmp_path / "f.txt")
    assert not any(tmp_path.iterdir()), "nothing is written on failure"


# ----------------------------------------------------------------------------- errors

def _error(path) -> InstanceFormatError:
    with pytest.raises(InstanceFormatError) as info:
        read_qkp(path)
    err = info.value
    assert isinstance(err, AllianceError) and isinstance(err, ValueError)
    assert str(path) in str(err), "the message names the file"
    return err


@pytest.mark.parametrize("text, line, words", [
    (STORED.replace("1 0 3 4", "1 0 x 4"), 2, ["'x' is not a number", "linear profits"]),
    (STORED.replace("0 7", "0 seven"), 4, ["'seven' is not a number", "pair profits"]),
    (STORED.replace("2 3 4 5", "2 3 4 5kg"), 8, ["'5kg'", "weights"]),
    (STORED.replace("1 0 3 4", "1 nan 3 4"), 2, ["'nan' is not a finite number"]),
    (STORED.replace("2 3 4 5", "2 inf 4 5"), 8, ["'inf' is not a finite number"]),
    (STORED.replace("\n10\n", "\nNaN\n"), 7, ["'NaN' is not a finite number", "capacity"]),
    ("nan\n1 2\n", 1, ["n must be a whole number"]),
    ("2.5\n1 2\n", 1, ["n must be a whole number"]),
    ("0\n", 1, ["n must be a whole number"]),
    ("4\n1 0 3 4\n5 0 2\n", 3, ["file ends early", "pair profits"]),
    ("4\n1 0\n", 2, ["file ends early", "linear profits"]),
    (STORED.replace("2 3 4 5", "2 3 4 5 6"), 7, ["expected the capacity and 4 weights", "found 6"]),
    (STORED.replace("2 3 4 5", "2 3 4"), 7, ["expected the capacity and 4 weights", "found 4"]),
    (STORED.replace("\n\n10\n", "\n\n0\n10\n").replace("2 3 4 5", "2 3 4 5 6"), 7, ["found 7"]),
    ("just a name\n", 1, ["ends after the name line"]),
    ("", 1, ["file is empty"]),
    ("  \n\n \n", 1, ["file is empty"]),
], ids=["profit-token", "pair-token", "weight-token", "nan-profit", "inf-weight", "nan-capacity", "nan-n",
        "fractional-n", "zero-n", "ends-in-pairs", "ends-in-profits", "extra-weight", "missing-weight",
        "extra-after-type", "name-only", "empty", "blank"])
def test_errors_name_the_file_and_line(tmp_path, text, line, words):
    path = _write(tmp_path, text)
    err = _error(path)
    assert err.line == line, str(err)
    assert f"{path}:{line}:" in str(err)
    for word in words:
        assert word in str(err), f"{word!r} missing from {err}"


def test_file_ends_early_message_reads_well(tmp_path):
    err = _error(_write(tmp_path, "4\n1 0\n"))
    assert not re.search(r"expected (\d+) \1 ", str(err)), str(err)


def test_missing_file(tmp_path):
    err = _error(tmp_path / "nope.txt")
    assert "no such file" in str(err)


def test_directory(tmp_path):
    err = _error(tmp_path)
    assert "is a directory" in str(err)


def test_a_byte_order_mark_is_accepted(tmp_path):
    """Windows editors and spreadsheets save UTF-8 with a byte order mark; it was read as part of n."""
    _check_small(read_qkp(_write(tmp_path, "\ufeff" + STORED)))
    published = read_qkp(_write(tmp_path, "\ufeff" + PUBLISHED))
    _check_small(published)
    assert published.name == "my instance"
    err = _error(_write(tmp_path, "\ufeff" + STORED.replace("5 0 2", "5 x 2")))
    assert err.line == 3 and "'x' is not a number" in str(err), str(err)


def test_binary_file(tmp_path):
    path = tmp_path / "bin.txt"
    path.write_bytes(b"4\n\xff\xfe\x00\x01\n")
    err = _error(path)
    assert "not a text file" in str(err)


# ----------------------------------------------------------------------------- shared instances

def test_shared_standard_instances_are_readable_and_listed():
    folder = require_qkp_standard()
    files = sorted(folder.glob("jeu_*.txt"))
    assert files, f"no jeu_*.txt files in {folder}"
    with open(folder / "optima.csv", newline="", encoding="utf-8") as f:
        optima = {row["instance"]: row for row in csv.DictReader(f)}
    problems = []
    for path in files:
        m = re.fullmatch(r"jeu_(\d+)_(\d+)_(\d+)", path.stem)
        assert m, f"unexpected file name {path.name}"
        n, density = int(m.group(1)), int(m.group(2))
        p = read_qkp(path)
        assert p.n == n, path.name
        assert p.c.shape == (n,) and p.A.shape == (1, n), f"{path.name}: expected {n} profits and {n} weights"
        assert p.is_classic_qkp and np.all(p.A > 0) and p.b[0] > 0, path.name
        assert abs(100 * p.n_pairs / (n * (n - 1) / 2) - density) < 5, f"{path.name}: pair density far from {density}%"
        assert path.stem in optima, f"optima.csv does not list {path.stem}"
        row = optima[path.stem]
        assert int(row["n"]) == n and int(row["density_pct"]) == density, path.name
        assert float(row["optimum"]) > 0, path.name
        problems.append(p)
    assert len(problems) == len(files)
