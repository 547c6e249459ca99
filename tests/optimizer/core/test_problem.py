"""SelectionProblem: validation on construction (ProblemError naming field and index), views, helpers."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer import ProblemError, SelectionProblem

BASE = dict(c=[1.0, 2.0, 3.0])


def _make(**changes) -> SelectionProblem:
    return SelectionProblem(**{**BASE, **changes})


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("changes, pattern", [
    # non-finite and non-numeric numbers
    (dict(c=[1.0, float("nan"), 3.0]), r"c\[1\] is nan"),
    (dict(c=[1.0, 2.0, float("inf")]), r"c\[2\] is inf"),
    (dict(c=["one", 2, 3]), r"^c: cannot read as numbers"),
    (dict(c=[[1.0, 2.0, 3.0]]), r"^c: expected a 1-dimensional array"),
    (dict(pair_i=[0, 1], pair_j=[1, 2], pair_q=[1.0, float("inf")]), r"pair_q\[1\] is inf"),
    (dict(pair_i=[0], pair_j=[1], pair_q=[-float("inf")]), r"pair_q\[0\] is -inf"),
    (dict(A=[[1, 2, float("nan")]], b=[4]), r"A\[0, 2\] is nan"),
    (dict(A=[[1, 2, 3], [float("nan"), 1, 1]], b=[4, 5]), r"A\[1, 0\] is nan"),
    (dict(A=[[1, 2, 3], [1, 1, 1]], b=[4, float("inf")]), r"b\[1\] is inf"),
    (dict(A=[[1, "x", 3]], b=[4]), r"^A: cannot read as numbers"),
    # lengths and shapes
    (dict(pair_i=[0, 1], pair_j=[1], pair_q=[1.0, 2.0]),
     r"pair_i, pair_j, pair_q must have equal lengths, got 2, 1, 2"),
    (dict(pair_i=[0], pair_j=[1], pair_q=[1.0, 2.0]), r"equal lengths, got 1, 1, 2"),
    (dict(A=[[1, 2]], b=[4]), r"A has 2 columns but c has 3 items"),
    (dict(A=[[1, 2, 3], [1, 1, 1]], b=[4]), r"A has 2 rows but b has 1 limits"),
    (dict(A=[[1, 2, 3]]), r"A and b must be given together"),
    (dict(b=[3]), r"A and b must be given together"),
    (dict(names=("a", "b")), r"names has 2 entries for n=3"),
    (dict(A=[[1, 2, 3]], b=[4], row_names=("budget", "hours")), r"row_names has 2 names for 1 rows"),
    (dict(A=[[1, 2, 3], [1, 1, 1]], b=[4, 5], row_names=("budget", "budget")), r"row_names: 'budget' appears twice"),
    (dict(conflicts=[0, 1]), r"conflicts: expected a list of \(i, j\) pairs"),
    (dict(groups=np.array([0, 1])), r"groups: expected a list of index lists"),
    # pair structure
    (dict(pair_i=[0, 2], pair_j=[1, 2], pair_q=[1.0, 1.0]), r"pair 1 has i == j == 2"),
    (dict(pair_i=[0, 2], pair_j=[1, 1], pair_q=[1.0, 1.0]), r"pair 1 is \(2, 1\) with i > j"),
    (dict(pair_i=[0, 1, 0], pair_j=[1, 2, 1], pair_q=[1.0, 1.0, 5.0]), r"pairs 0 and 2 both give \(0, 1\)"),
    (dict(pair_i=[0.5], pair_j=[1], pair_q=[1.0]), r"pair_i: entry 0 is .*0\.5.*, not an integer item index"),
    (dict(pair_i=[True], pair_j=[True], pair_q=[1.0]), r"pair_i: expected item indices, got booleans"),
    # indices out of range
    (dict(pair_i=[0], pair_j=[3], pair_q=[1.0]), r"pair_j\[0\] refers to item 3, out of range"),
    (dict(pair_i=[1, -1], pair_j=[2, 2], pair_q=[1.0, 1.0]), r"pair_i\[1\] refers to item -1, out of range"),
    (dict(conflicts=[(0, 1), (2, 7)]), r"conflicts\[1\] refers to item 7, out of range"),
    (dict(conflicts=[(-1, 1)]), r"conflicts\[0\] refers to item -1"),
    (dict(groups=[[0, 1], [2, 3]]), r"groups\[1\]\[1\] refers to item 3|groups\[1\].*item 3"),
    (dict(covers=[[5]]), r"covers\[0\].*refers to item 5"),
    (dict(forced_in=[0, 3]), r"forced_in\[1\] refers to item 3, out of range"),
    (dict(forced_out=[-2]), r"forced_out\[0\] refers to item -2"),
    # sizes
    (dict(size_min=3, size_max=2), r"size_min=3 > size_max=2"),
    (dict(size_min=4), r"size_min=4 is more than the 3 items there are"),
    (dict(size_min=4, size_max=3), r"size_min=4 > size_max=3"),
    (dict(size_min=-1), r"size_min is -1"),
    (dict(size_max=-2), r"size_max is -2"),
    (dict(size_min=1.5), r"size_min is 1.5"),
    (dict(size_max=float("inf")), r"size_max is inf"),
    (dict(size_min=True), r"size_min is True"),
    # sets and fixed items
    (dict(forced_in=[0, 1], forced_out=[2, 1]), r"item 1 is in both forced_in and forced_out"),
    (dict(covers=[[0], []]), r"covers\[1\] is empty"),
    (dict(groups=[[0, 2, 2]]), r"groups\[0\] lists item 2 twice"),
    (dict(covers=[[1, 1]]), r"covers\[0\] lists item 1 twice"),
    (dict(names=("a", "b", "a")), r"names\[2\] = 'a' is used twice"),
    (dict(conflicts=[(0, 2), (1, 1)]), r"conflicts\[1\] pairs item 1 with itself"),
    (dict(forced_in=[True, False, True]), r"forced_in: expected item indices, got booleans"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_bad_input_raises_problem_error_naming_the_field(changes, pattern):
    with pytest.raises(ProblemError, match=pattern):
        _make(**changes)


def test_problem_error_is_a_value_error():
    with pytest.raises(ValueError):
        _make(c=[float("nan")])


@pytest.mark.parametrize("changes, field", [(dict(size_min=None), "size_min"), (dict(size_min="2"), "size_min"),
                                            (dict(size_max="x"), "size_max")], ids=["None", "str-number", "str"])
def test_non_numeric_size_raises_problem_error(changes, field):
    with pytest.raises(ProblemError, match=field):
        _make(**changes)


def test_replace_validates_again():
    p = _make(A=[[1, 1, 1]], b=[2])
    with pytest.raises(ProblemError, match="size_min=5 is more than the 3 items"):
        p.replace(size_min=5)
    with pytest.raises(ProblemError, match="forced_out"):
        p.replace(forced_out=[9])
    q = p.replace(size_max=2)
    assert q.size_max == 2 and p.size_max == 3


# ----------------------------------------------------------------------------- normalization

def test_defaults_and_normalized_fields():
    p = SelectionProblem(c=[1, 2, 3, 4], conflicts=[(3, 1), (0, 2)], forced_in=[2, 2], forced_out=[0],
                         groups=[[3, 1]], covers=[[2, 0, 1]])
    assert p.n == 4 and p.n_pairs == 0
    assert p.A.shape == (0, 4) and p.b.shape == (0,)
    assert p.size_min == 0 and p.size_max == 4
    assert p.conflicts.tolist() == [[1, 3], [0, 2]]   # each pair sorted, order kept
    assert p.forced_in.tolist() == [2] and p.forced_out.tolist() == [0]
    assert [g.tolist() for g in p.groups] == [[1, 3]]
    assert [c.tolist() for c in p.covers] == [[0, 1, 2]]
    assert p.names == ("x0", "x1", "x2", "x3")
    assert p.c.dtype == np.float64 and p.pair_i.dtype == np.int64


def test_one_flat_row_and_scalar_limit():
    p = _make(A=[2, 3, 4], b=5, row_names=["budget"])
    assert p.A.shape == (1, 3) and p.b.tolist() == [5.0] and p.row_names == ("budget",)


def test_arrays_are_read_only():
    p = _make(pair_i=[0], pair_j=[2], pair_q=[1.5], A=[[1, 1, 1]], b=[2], conflicts=[(0, 1)])
    for a in (p.c, p.pair_i, p.pair_j, p.pair_q, p.A, p.b, p.conflicts):
        with pytest.raises(ValueError):
            a[0] = 0


def test_caller_arrays_are_not_modified():
    c, A, b = np.array([1.0, 2.0, 3.0]), np.ones((1, 3)), np.array([2.0])
    SelectionProblem(c=c, A=A, b=b)
    assert c.flags.writeable and A.flags.writeable and b.flags.writeable
    c[0] = 5.0  # the caller keeps using its own array


# ----------------------------------------------------------------------------- objective and helpers

def test_objective_and_objectives_agree():
    p = SelectionProblem(c=[1.0, -2.0, 3.5, 0.0], pair_i=[0, 0, 2], pair_j=[1, 3, 3], pair_q=[4.0, -1.0, 2.5])
    X = np.array([[1, 1, 0, 0], [1, 0, 1, 1], [0, 0, 0, 0], [1, 1, 1, 1]], dtype=float)
    expected = [1 - 2 + 4, 1 + 3.5 - 1 + 2.5, 0.0, 1 - 2 + 3.5 + 4 - 1 + 2.5]
    assert [p.objective(x) for x in X] == expected
    assert p.objectives(X).tolist() == expected
    with pytest.raises(ProblemError, match=r"x has shape \(3,\), expected \(4,\)"):
        p.objective([1, 0, 1])


def test_from_matrix_folds_both_triangles_and_the_diagonal():
    Q = np.array([[1.0, 2.0, 0.0], [3.0, -1.0, 0.0], [0.0, 0.0, 0.5]])
    p = SelectionProblem.from_matrix([1.0, 1.0, 1.0], Q, A=[[1, 1, 1]], b=[2])
    assert p.c.tolist() == [2.0, 0.0, 1.5]
    assert list(zip(p.pair_i.tolist(), p.pair_j.tolist(), p.pair_q.tolist())) == [(0, 1, 5.0)]
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = rng.integers(0, 2, 3).astype(float)
        assert p.objective(x) == pytest.approx(np.ones(3) @ x + x @ Q @ x)
    with pytest.raises(ProblemError, match=r"Q has shape \(2, 2\), expected \(3, 3\)"):
        SelectionProblem.from_matrix([1, 1, 1], np.eye(2))


def test_is_classic_qkp():
    qkp = SelectionProblem(c=[1, 2, 3], pair_i=[0], pair_j=[1], pair_q=[4.0], A=[[1, 2, 3]], b=[4])
    assert qkp.is_classic_qkp
    assert not qkp.replace(pair_q=[-1.0]).is_classic_qkp
    assert not qkp.replace(A=[[1, -2, 3]]).is_classic_qkp
    assert not qkp.replace(size_min=1).is_classic_qkp
    assert not qkp.replace(conflicts=[(0, 2)]).is_classic_qkp
    assert not qkp.replace(covers=[[0, 1]]).is_classic_qkp
    assert not qkp.replace(forced_out=[2]).is_classic_qkp
    assert not qkp.replace(A=[[1, 2, 3], [1, 1, 1]], b=[4, 2], row_names=None).is_classic_qkp


@pytest.mark.parametrize("changes", [dict(c=[1, 2, 3, 4], A=[[1, 2, 3, 4]]), dict(A=[[1, 2, 3], [1, 1, 1]], b=[4, 2])],
                         ids=["more-items", "more-rows"])
def test_replace_regenerates_default_names(changes):
    p = SelectionProblem(c=[1, 2, 3], A=[[1, 2, 3]], b=[4]).replace(**changes)
    assert p.names == tuple(f"x{i}" for i in range(p.n))
    assert p.row_names == tuple(f"row{r}" for r in range(p.A.shape[0]))


def test_summary_names_every_constraint_kind():
    p = SelectionProblem(c=[1, 2, 3, 4], pair_i=[0], pair_j=[1], pair_q=[1.0], A=[[1, 1, 1, 1]], b=[3],
                         row_names=("budget",), size_min=1, size_max=3, conflicts=[(0, 1)], groups=[[2, 3]],
                         covers=[[0, 3]], forced_in=[0], forced_out=[1], name="demo")
    s = p.summary()
    for word in ("demo", "n=4", "pairs=1", "budget", "size=1..3", "conflicts=1", "groups=1", "covers=1",
                 "forced_in=1", "forced_out=1"):
        assert word in s, word


def test_free_items_are_the_ones_neither_forced_in_nor_out():
    problem = SelectionProblem(c=[1.0, 2.0, 3.0, 4.0, 5.0], forced_in=[0], forced_out=[3, 4])
    assert problem.n_free == 2
    assert problem.replace(forced_in=[], forced_out=[]).n_free == 5
    assert problem.with_fixed([], []) is problem
    more = problem.with_fixed([1], [2, 3])
    assert list(more.forced_in) == [0, 1] and list(more.forced_out) == [2, 3, 4] and more.n_free == 0
