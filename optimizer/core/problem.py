"""The canonical selection problem: the one contract between all layers.

This module is a leaf: it imports only numpy and the error types, so readers,
formulations and solvers can all depend on it without depending on each other.

    maximize    sum_i c_i x_i + sum_p q_p x_{i_p} x_{j_p}
    subject to  A x <= b                       (named rows: budget, capacity, ...)
                size_min <= sum_i x_i <= size_max
                x_i + x_j <= 1                 for (i, j) in conflicts
                sum_{i in G} x_i <= 1          for G in groups
                sum_{i in C} x_i >= 1          for C in covers
                x_i = 1 for i in forced_in,  x_i = 0 for i in forced_out
                x binary

Optionally (`concave`, a `ConcavePart`) the problem says which positive semidefinite matrix S
hides in its pair terms (knowledge overlap and the per-pair complexity of an alliance portfolio):
the pair values q already contain -S_ij, so with r_ij = q_ij + S_ij and x_i^2 = x_i

    sum_p q_p x_i x_j = sum_p r_p x_i x_j + (1/2) diag(S)'x - (1/2) x'Sx,

a concave function plus a sparse residual: its continuous relaxation is a convex problem. The
identity holds for any S, so the hint can make a bound tighter or looser, never wrong; the
objective and every check read the pair list alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from optimizer.core.errors import ProblemError

#: largest magnitude of any number in a problem. HiGHS refuses matrix values above 1e15 (its option
#: large_matrix_value) and takes bounds from 1e20 on as infinite; with values up to 1e15 the objective of
#: any portfolio (at most n + n^2/2 terms) stays far from float overflow, and a value that would overflow
#: (a reputation of 1e308 times a weight) is refused where it is read, not found as inf later
LARGEST_VALUE = 1e15

_EMPTY_INT = np.zeros(0, dtype=np.int64)
_EMPTY_FLOAT = np.zeros(0, dtype=np.float64)


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True, order="C")  # our own copy: never freeze or alias the caller's array
    a.setflags(write=False)
    return a


def _float_array(value: Any, field_name: str, ndim: int) -> np.ndarray:
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ProblemError(f"{field_name}: cannot read as numbers ({exc}); pass numeric values") from None
    if a.ndim != ndim:
        raise ProblemError(f"{field_name}: expected a {ndim}-dimensional array, got shape {a.shape}")
    bad = np.flatnonzero(~np.isfinite(a.ravel()))
    if bad.size:
        raise ProblemError(
            f"{_entry(a, field_name, bad[0])} is {a.ravel()[bad[0]]}: every value must be a finite number "
            f"({bad.size} non-finite value(s) in all); replace NaN/inf with a number"
        )
    huge = np.flatnonzero(np.abs(a.ravel()) > LARGEST_VALUE)
    if huge.size:
        raise ProblemError(
            f"{_entry(a, field_name, huge[0])} is {a.ravel()[huge[0]]:g}: values must lie within "
            f"+-{LARGEST_VALUE:g} ({huge.size} value(s) beyond); rescale the data (e.g. costs in thousands)"
        )
    return a


def _entry(a: np.ndarray, field_name: str, flat: int) -> str:
    """'A[1, 3]': the field and the index of the flat position `flat` in `a`."""
    where = np.unravel_index(flat, a.shape) if a.ndim > 1 else (int(flat),)
    return f"{field_name}[{', '.join(str(int(k)) for k in where)}]"


def _int_array(value: Any, field_name: str, ndim: int = 1) -> np.ndarray:
    if value is None:
        return _EMPTY_INT if ndim == 1 else np.zeros((0, 2), dtype=np.int64)
    raw = np.asarray(value)
    if raw.size == 0:
        return _EMPTY_INT if ndim == 1 else np.zeros((0, 2), dtype=np.int64)
    if raw.dtype == bool:
        raise ProblemError(f"{field_name}: expected item indices, got booleans; use np.flatnonzero(mask)")
    try:
        f = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise ProblemError(f"{field_name}: expected integer item indices, got {raw.dtype} values") from None
    if not np.all(np.isfinite(f)) or not np.all(f == np.round(f)):
        k = int(np.flatnonzero(~(np.isfinite(f.ravel()) & (f.ravel() == np.round(f.ravel()))))[0])
        raise ProblemError(f"{field_name}: entry {k} is {float(f.ravel()[k])!r}, not an integer item index")
    a = f.astype(np.int64)
    if ndim == 2:
        if a.ndim != 2 or a.shape[1] != 2:
            raise ProblemError(f"{field_name}: expected a list of (i, j) pairs, got shape {a.shape}")
    elif a.ndim != 1:
        raise ProblemError(f"{field_name}: expected a flat list of item indices, got shape {a.shape}")
    return a


def _check_range(a: np.ndarray, n: int, field_name: str) -> None:
    bad = np.flatnonzero((a.ravel() < 0) | (a.ravel() >= n))
    if bad.size:
        k = int(bad[0])
        pos = f"[{k // a.shape[1]}]" if a.ndim == 2 else f"[{k}]"
        raise ProblemError(
            f"{field_name}{pos} refers to item {int(a.ravel()[k])}, out of range: "
            f"item indices must lie in 0..{n - 1} (the problem has n={n} items)"
        )


@dataclass(frozen=True, eq=False)
class ConcavePart:
    """S_ij = weight g_i g_j sum_d min(K_id, K_jd) + size_cost h_i h_j: positive semidefinite for K, g >= 0,
    weight, size_cost >= 0 (min(a, b) is the integral over t of [a >= t][b >= t]; h h' has rank one).

    In a compiled scenario: K the partners' knowledge profiles, g their level factors, weight the
    redundancy weight, size_cost the complexity cost per pair of partners, h 1 on partner items."""

    profiles: np.ndarray     # K: n x D, >= 0
    scale: np.ndarray        # g: n, >= 0
    weight: float            # >= 0
    size_cost: float         # >= 0
    counted: np.ndarray      # h: n, 0 or 1 (the items the size cost counts)

    def __post_init__(self) -> None:
        put = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731 - frozen dataclass
        K = _float_array(self.profiles, "concave.profiles", 2)
        n = K.shape[0]
        for key, value in (("scale", self.scale), ("counted", self.counted)):
            a = _float_array(value, f"concave.{key}", 1)
            if a.shape != (n,):
                raise ProblemError(f"concave.{key} has {a.shape[0]} entries for {n} items: give one per item")
            put(key, _frozen(a))
        for key, a in (("profiles", K), ("scale", self.scale)):
            bad = np.flatnonzero(np.asarray(a).ravel() < 0)
            if bad.size:
                raise ProblemError(f"{_entry(np.asarray(a), 'concave.' + key, bad[0])} is negative: S must be "
                                   f"positive semidefinite, which needs profiles and scale >= 0")
        if not np.all((self.counted == 0) | (self.counted == 1)):
            raise ProblemError("concave.counted must hold 0 or 1 per item (1: the size cost counts the item)")
        for key in ("weight", "size_cost"):
            v = float(getattr(self, key))
            if not np.isfinite(v) or v < 0:
                raise ProblemError(f"concave.{key} is {v}: it must be a finite number >= 0 (S positive semidefinite)")
            put(key, v)
        put("profiles", _frozen(K))

    @property
    def n(self) -> int:
        """Number of items."""
        return int(self.profiles.shape[0])

    def matrix(self) -> np.ndarray:
        """S as a dense n x n matrix, its diagonal included (weight g_i^2 sum_d K_id + size_cost h_i)."""
        g, K = self.scale, self.profiles
        S = np.zeros((self.n, self.n))
        for d in range(K.shape[1]):              # one domain at a time: n^2 memory, not n^2 D
            S += np.minimum(K[:, d][:, None], K[:, d][None, :])
        S *= self.weight * np.outer(g, g)
        S += self.size_cost * np.outer(self.counted, self.counted)
        return S


@dataclass(frozen=True, eq=False)
class SelectionProblem:
    """Canonical alliance-portfolio selection problem as numpy arrays.

    Build it with keyword arguments; it validates itself and raises
    :class:`ProblemError` naming the field, index and fix. Arrays are stored
    read-only; use :meth:`replace` to derive a changed problem.
    """

    c: np.ndarray
    pair_i: np.ndarray = field(default_factory=lambda: _EMPTY_INT)
    pair_j: np.ndarray = field(default_factory=lambda: _EMPTY_INT)
    pair_q: np.ndarray = field(default_factory=lambda: _EMPTY_FLOAT)
    # None as given means "none" (no rows, no size limit, ...); after validation every field holds
    # the type declared here, which is what the rest of the code reads (hence the ignores)
    A: np.ndarray = None  # type: ignore[assignment]
    b: np.ndarray = None  # type: ignore[assignment]
    row_names: tuple[str, ...] = None  # type: ignore[assignment]
    size_min: int = 0
    size_max: int = None  # type: ignore[assignment]
    conflicts: np.ndarray = None  # type: ignore[assignment]
    groups: tuple[np.ndarray, ...] = ()
    covers: tuple[np.ndarray, ...] = ()
    forced_in: np.ndarray = None  # type: ignore[assignment]
    forced_out: np.ndarray = None  # type: ignore[assignment]
    names: tuple[str, ...] = None  # type: ignore[assignment]
    name: str = "problem"
    concave: ConcavePart | None = None   # a positive semidefinite part of the pair terms (a hint for bounds)

    def __post_init__(self) -> None:
        put = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731 - frozen dataclass

        c = _float_array(self.c, "c", 1)
        n = c.shape[0]
        put("c", _frozen(c))
        for key, value in zip(("pair_i", "pair_j", "pair_q"), _pair_terms(self.pair_i, self.pair_j, self.pair_q, n)):
            put(key, _frozen(value))
        A, b, row_names = _rows(self.A, self.b, self.row_names, n)
        put("A", _frozen(A))
        put("b", _frozen(b))
        put("row_names", row_names)
        size_min, size_max = _size_range(self.size_min, self.size_max, n)
        put("size_min", size_min)
        put("size_max", size_max)
        put("conflicts", _frozen(_conflicts(self.conflicts, n)))
        put("groups", self._index_sets(self.groups, "groups", n, allow_empty=True))
        put("covers", self._index_sets(self.covers, "covers", n, allow_empty=False))
        forced_in, forced_out = _fixed_items(self.forced_in, self.forced_out, n)
        put("forced_in", _frozen(forced_in))
        put("forced_out", _frozen(forced_out))
        put("names", _item_names(self.names, n))
        put("name", str(self.name))
        if self.concave is not None:
            if not isinstance(self.concave, ConcavePart):
                raise ProblemError(f"concave must be a ConcavePart or None, got {type(self.concave).__name__}")
            if self.concave.n != n:
                raise ProblemError(f"concave describes {self.concave.n} items, the problem has {n}: build it for "
                                   f"these items or leave it out (concave=None)")

    @staticmethod
    def _index_sets(sets: Iterable[Iterable[int]] | None, label: str, n: int,
                    allow_empty: bool) -> tuple[np.ndarray, ...]:
        if sets is None:
            return ()
        if isinstance(sets, np.ndarray) and sets.ndim == 1 and sets.dtype != object:
            raise ProblemError(f"{label}: expected a list of index lists, e.g. [[0, 3], [5, 6, 7]]")
        out = []
        for k, s in enumerate(sets):
            a = _int_array(s, f"{label}[{k}]")
            if a.size == 0 and not allow_empty:
                raise ProblemError(
                    f"{label}[{k}] is empty: a cover needs at least one item that can satisfy it; "
                    f"add items or drop the cover"
                )
            _check_range(a, n, f"{label}[{k}]")
            u, counts = np.unique(a, return_counts=True)
            if np.any(counts > 1):
                raise ProblemError(f"{label}[{k}] lists item {int(u[counts > 1][0])} twice; list each item once")
            out.append(_frozen(u))
        return tuple(out)

    # ------------------------------------------------------------------ views
    @property
    def n(self) -> int:
        """Number of items (candidate partners, or candidate-level columns)."""
        return int(self.c.shape[0])

    @property
    def n_free(self) -> int:
        """Number of items neither forced in nor forced out: what a search still chooses."""
        return self.n - int(self.forced_in.size) - int(self.forced_out.size)

    def with_fixed(self, fix_in: Sequence[int] | np.ndarray, fix_out: Sequence[int] | np.ndarray) -> SelectionProblem:
        """The problem with more items forced in and out (itself when there are none)."""
        if not (len(fix_in) or len(fix_out)):
            return self
        return self.replace(forced_in=np.union1d(self.forced_in, np.asarray(fix_in, dtype=np.int64)),
                            forced_out=np.union1d(self.forced_out, np.asarray(fix_out, dtype=np.int64)))

    @property
    def n_pairs(self) -> int:
        """Number of pair terms stored (zeros included)."""
        return int(self.pair_q.shape[0])

    def objective(self, x: Sequence[float] | np.ndarray) -> float:
        """Objective value of one 0/1 vector, computed from the canonical arrays."""
        x = np.asarray(x, dtype=np.float64)
        if x.shape != (self.n,):
            raise ProblemError(f"x has shape {x.shape}, expected ({self.n},)")
        return float(self.c @ x + self.pair_q @ (x[self.pair_i] * x[self.pair_j]))

    def objectives(self, X: np.ndarray) -> np.ndarray:
        """Objective values of many 0/1 vectors, one per row of X (vectorized)."""
        X = np.asarray(X, dtype=np.float64)
        return X @ self.c + (X[:, self.pair_i] * X[:, self.pair_j]) @ self.pair_q

    def replace(self, **changes: Any) -> SelectionProblem:
        """A copy with some fields changed, validated again.

        Default item and row names (x0.., row0..) are regenerated when the
        number of items or rows changes; names given explicitly are kept.
        """
        if "names" not in changes and self.names == tuple(f"x{i}" for i in range(self.n)):
            changes["names"] = None
        if "row_names" not in changes and self.row_names == tuple(f"row{r}" for r in range(self.A.shape[0])):
            changes["row_names"] = None
        if "size_max" not in changes and self.size_max == self.n:
            changes["size_max"] = None  # "no limit" stays no limit when items are added
        if "concave" not in changes and self.concave is not None and "c" in changes \
                and np.size(changes["c"]) != self.n:
            changes["concave"] = None   # it describes the old items
        return replace(self, **changes)

    @property
    def has_integral_objective(self) -> bool:
        """True when every 0/1 vector has an integer objective (all gains integer): bounds round down."""
        return bool(np.all(self.c == np.round(self.c)) and np.all(self.pair_q == np.round(self.pair_q)))

    @property
    def is_classic_qkp(self) -> bool:
        """True for the classic QKP: q >= 0, one nonnegative knapsack row, nothing else."""
        return bool(
            self.A.shape[0] == 1
            and np.all(self.A >= 0)
            and np.all(self.pair_q >= 0)
            and self.size_min == 0
            and self.size_max >= self.n
            and not self.conflicts.size
            and not self.groups
            and not self.covers
            and not self.forced_in.size
            and not self.forced_out.size
        )

    @classmethod
    def from_matrix(cls, c: Sequence[float], Q: np.ndarray, **kwargs: Any) -> SelectionProblem:
        """Build from a dense matrix: objective c x + x^T Q x over binary x.

        Pair values are Q[i, j] + Q[j, i] for i < j (so an upper-triangular or a
        symmetric Q both work); the diagonal Q[i, i] is added to c[i].
        """
        matrix = _float_array(Q, "Q", 2)
        linear = _float_array(c, "c", 1)
        n = linear.shape[0]
        if matrix.shape != (n, n):
            raise ProblemError(f"Q has shape {matrix.shape}, expected ({n}, {n}) to match c")
        i, j = np.triu_indices(n, k=1)
        q = matrix[i, j] + matrix[j, i]
        keep = q != 0
        return cls(c=linear + np.diag(matrix), pair_i=i[keep], pair_j=j[keep], pair_q=q[keep], **kwargs)

    def summary(self) -> str:
        """One line describing the size and constraint kinds of the problem."""
        parts = [f"n={self.n}", f"pairs={self.n_pairs}"]
        if self.A.shape[0]:
            parts.append("rows=" + ",".join(self.row_names))
        if self.size_min > 0 or self.size_max < self.n:
            parts.append(f"size={self.size_min}..{self.size_max}")
        for label, v in (("conflicts", len(self.conflicts)), ("groups", len(self.groups)),
                         ("covers", len(self.covers)), ("forced_in", self.forced_in.size),
                         ("forced_out", self.forced_out.size)):
            if v:
                parts.append(f"{label}={v}")
        return f"{self.name}: " + " ".join(parts)


# ----------------------------------------------------------------------------- field checks
# One function per group of fields: each returns the normalized arrays or raises a ProblemError that
# names the field, the index and the fix.

def _pair_terms(pair_i: Any, pair_j: Any, pair_q: Any, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """pair_i < pair_j in range, equal lengths, each pair once."""
    pi = _int_array(pair_i, "pair_i")
    pj = _int_array(pair_j, "pair_j")
    pq = _float_array(pair_q if np.size(pair_q) else _EMPTY_FLOAT, "pair_q", 1)
    if not (pi.shape[0] == pj.shape[0] == pq.shape[0]):
        raise ProblemError(
            f"pair_i, pair_j, pair_q must have equal lengths, got {pi.shape[0]}, {pj.shape[0]}, "
            f"{pq.shape[0]}: each pair term needs an i, a j and a value q"
        )
    _check_range(pi, n, "pair_i")
    _check_range(pj, n, "pair_j")
    same = np.flatnonzero(pi == pj)
    if same.size:
        p = int(same[0])
        raise ProblemError(
            f"pair {p} has i == j == {int(pi[p])}: a pair term needs two different items; "
            f"put a single item's value into c[{int(pi[p])}] instead"
        )
    flipped = np.flatnonzero(pi > pj)
    if flipped.size:
        p = int(flipped[0])
        raise ProblemError(
            f"pair {p} is ({int(pi[p])}, {int(pj[p])}) with i > j: list every pair with i < j "
            f"(swap the two indices)"
        )
    if pi.size:
        key = pi * n + pj
        order = np.argsort(key, kind="stable")
        dup = np.flatnonzero(key[order][1:] == key[order][:-1])
        if dup.size:
            first, second = int(order[dup[0]]), int(order[dup[0] + 1])
            raise ProblemError(
                f"pairs {first} and {second} both give ({int(pi[first])}, {int(pj[first])}): "
                f"each pair may appear once; add their values into one entry"
            )
    return pi, pj, pq


def _rows(A: Any, b: Any, row_names: Any, n: int) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """A (rows x n) with one limit and one unique name per row; no rows when both A and b are None."""
    if A is None and b is None:
        A, b = np.zeros((0, n)), np.zeros(0)
    elif A is None or b is None:
        raise ProblemError("A and b must be given together: A x <= b needs both the rows and their limits")
    else:
        A = _float_array(A, "A", np.ndim(A))
        if A.ndim == 1:  # one row given flat
            A = A[None, :]
        if A.ndim != 2:
            raise ProblemError(f"A: expected shape (rows, n), got {A.shape}")
        b = _float_array(np.atleast_1d(b), "b", 1)
        if A.shape[1] != n:
            raise ProblemError(
                f"A has {A.shape[1]} columns but c has {n} items: each row needs one coefficient per item"
            )
        if A.shape[0] != b.shape[0]:
            raise ProblemError(f"A has {A.shape[0]} rows but b has {b.shape[0]} limits: give one limit per row")
    m = A.shape[0]
    if row_names is None:
        return A, b, tuple(f"row{r}" for r in range(m))
    names = tuple(str(s) for s in row_names)
    if len(names) != m:
        raise ProblemError(f"row_names has {len(names)} names for {m} rows of A: give one name per row")
    if len(set(names)) != m:
        dup_name = next(s for s in names if names.count(s) > 1)
        raise ProblemError(f"row_names: {dup_name!r} appears twice; row names must be unique")
    return A, b, names


def _size_range(size_min: Any, size_max: Any, n: int) -> tuple[int, int]:
    """Whole numbers 0 <= size_min <= size_max (size_max defaults to n)."""
    upper = n if size_max is None else size_max
    for label, v in (("size_min", size_min), ("size_max", upper)):
        if (isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating))
                or not -2 ** 63 <= v < 2 ** 63 or not float(v).is_integer() or v < 0):   # NaN fails the range
            raise ProblemError(f"{label} is {v!r}: it must be a whole number >= 0 (and below 2**63)")
    lo, hi = int(size_min), int(upper)
    if lo > hi:
        if size_max is None:  # the user set no size_max: the limit is the number of items
            raise ProblemError(f"size_min={lo} is more than the {n} items there are: no portfolio "
                               f"can have {lo} items; lower size_min to at most {n}")
        raise ProblemError(
            f"size_min={lo} > size_max={hi}: the portfolio size range is empty; "
            f"lower size_min or raise size_max"
        )
    return lo, hi


def _conflicts(conflicts: Any, n: int) -> np.ndarray:
    """(k, 2) pairs of two different items, each row sorted."""
    conf = _int_array(conflicts, "conflicts", ndim=2)
    _check_range(conf, n, "conflicts")
    self_conf = np.flatnonzero(conf[:, 0] == conf[:, 1]) if conf.size else _EMPTY_INT
    if self_conf.size:
        k = int(self_conf[0])
        raise ProblemError(
            f"conflicts[{k}] pairs item {int(conf[k, 0])} with itself: a conflict needs two different "
            f"items; to exclude an item use forced_out"
        )
    return np.sort(conf, axis=1) if conf.size else conf


def _fixed_items(forced_in: Any, forced_out: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique indices in range; no item both required and excluded."""
    fin = _int_array(forced_in, "forced_in")
    fout = _int_array(forced_out, "forced_out")
    _check_range(fin, n, "forced_in")
    _check_range(fout, n, "forced_out")
    both = np.intersect1d(fin, fout)
    if both.size:
        raise ProblemError(
            f"item {int(both[0])} is in both forced_in and forced_out: an item cannot be required "
            f"and excluded at once; remove it from one of them"
        )
    return np.unique(fin), np.unique(fout)


def _item_names(names: Any, n: int) -> tuple[str, ...]:
    """One unique name per item; x0, x1, ... when none are given."""
    if names is None:
        return tuple(f"x{i}" for i in range(n))
    out = tuple(str(s) for s in names)
    if len(out) != n:
        raise ProblemError(f"names has {len(out)} entries for n={n} items: give one name per item")
    seen: set[str] = set()
    for k, s in enumerate(out):
        if s in seen:
            raise ProblemError(f"names[{k}] = {s!r} is used twice: item names must be unique")
        seen.add(s)
    return out
