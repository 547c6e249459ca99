"""Billionnet & Soutif QKP files: reader (both published variants) and writer.

Layout, as stored in ../shared/instances/qkp-standard:
    n
    c_1 ... c_n                      (linear profits)
    q_12 q_13 ... q_1n               (n-1 lines: upper triangle of pair profits)
    ...
    q_{n-1,n}
    <blank line>
    capacity
    w_1 ... w_n
The files as first published add a name line before n and a line `0`
(constraint type) before the capacity; both variants are read.

The edge-list format of recent QKP benchmark collections (large sparse
instances; 0-based item indices) is read too:
    n m type                         (type: int or float)
    i j u_ij                         (m lines; i == j gives item i's linear utility)
    w_1 ... w_n
    B_1 ... B_k                      (one or more budgets; `budget=` picks one)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from instances.errors import InstanceFormatError, require_existing
from optimizer.core.errors import ProblemError
from optimizer.core.files import write_text
from optimizer.core.problem import LARGEST_VALUE, SelectionProblem

_WHOLE = re.compile(r"[+-]?[0-9]{1,30}")   # whole numbers, short enough for int()


def _tokens(path: Path) -> tuple[list[str], list[int], list[str]]:
    try:
        # utf-8-sig: a file saved by a Windows editor or a spreadsheet may start with a byte order mark
        text = path.read_text(encoding="utf-8-sig", errors="strict")
    except UnicodeDecodeError as exc:
        raise InstanceFormatError(path,
                                  f"not a text file ({exc.reason} at byte {exc.start}); "
                                  f"expected a QKP text file") from None
    except IsADirectoryError:
        raise InstanceFormatError(path, "is a directory; expected a QKP text file") from None
    toks: list[str] = []
    lines: list[int] = []
    raw_lines = text.splitlines()
    for k, line in enumerate(raw_lines, start=1):
        for t in line.split():
            toks.append(t)
            lines.append(k)
    return toks, lines, raw_lines


def _numbers(path: Path, toks: list[str], lines: list[int], start: int, count: int, what: str) -> np.ndarray:
    if start + count > len(toks):
        last = lines[-1] if lines else 1
        raise InstanceFormatError(path, f"file ends early: expected {count} {what} but found {len(toks) - start}",
                                  line=last)
    chunk = toks[start:start + count]
    try:
        values = np.array(chunk, dtype=np.float64)
    except ValueError:
        for k, t in enumerate(chunk):
            try:
                float(t)
            except ValueError:
                raise InstanceFormatError(path, f"{t!r} is not a number (reading {what})",
                                          line=lines[start + k]) from None
        raise
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        k = int(bad[0])
        raise InstanceFormatError(path, f"{chunk[k]!r} is not a finite number (reading {what})", line=lines[start + k])
    huge = np.flatnonzero(np.abs(values) > LARGEST_VALUE)
    if huge.size:
        k = int(huge[0])
        raise InstanceFormatError(path, _too_large(chunk[k], what), line=lines[start + k])
    return values


def _too_large(token: str, what: str) -> str:
    return (f"{token!r} is too large to compute with (reading {what}): numbers are limited to "
            f"+-{LARGEST_VALUE:g}; rescale the instance")


def _is_edge_list(raw_lines: list[str]) -> bool:
    first = next((line.split() for line in raw_lines if line.strip()), [])
    return len(first) == 3 and first[2].lower() in ("int", "float")


def read_qkp(path: str | os.PathLike, budget: int | None = None) -> SelectionProblem:
    """Read a QKP file: Billionnet-Soutif (either variant) or the edge-list format.

    `budget` picks one budget of an edge-list file that lists several (0-based);
    with a single budget it may be left out. Billionnet-Soutif files have one
    capacity and take no `budget`.
    """
    path = Path(path)
    require_existing(path, "file", "a QKP text file",
                     missing="a QKP text file (Billionnet-Soutif or edge-list format)")
    toks, lines, raw_lines = _tokens(path)
    if _is_edge_list(raw_lines):
        return _read_edge_list(path, raw_lines, budget)
    if budget is not None:
        raise InstanceFormatError(path, f"budget={budget!r} was given, but this Billionnet-Soutif file has a single "
                                        f"capacity; leave budget out")
    if not toks:
        raise InstanceFormatError(path, "file is empty; expected n on the first line", line=1)
    pos = 0
    name = path.stem
    try:
        float(toks[0])
    except ValueError:  # published variant: a name line first
        name_line = lines[0]
        name = raw_lines[name_line - 1].strip() or name
        while pos < len(toks) and lines[pos] == name_line:
            pos += 1
    if pos >= len(toks):
        raise InstanceFormatError(path, "file ends after the name line; expected n", line=lines[-1])
    try:
        n_val = float(toks[pos])
    except ValueError:
        raise InstanceFormatError(path, f"expected the number of items n, found {toks[pos]!r}",
                                  line=lines[pos]) from None
    if not n_val.is_integer() or n_val < 1:
        raise InstanceFormatError(path, f"n must be a whole number >= 1, found {toks[pos]!r}", line=lines[pos])
    n = int(n_val)
    pos += 1
    c = _numbers(path, toks, lines, pos, n, "linear profits")
    pos += n
    npairs = n * (n - 1) // 2
    q = _numbers(path, toks, lines, pos, npairs, "pair profits (upper triangle)")
    pos += npairs
    rest = len(toks) - pos
    if rest == n + 2 and toks[pos] == "0":  # published variant: constraint type 0 before the capacity
        pos += 1
    elif rest != n + 1:
        line = lines[pos] if pos < len(toks) else lines[-1]
        raise InstanceFormatError(
            path, f"after the pair profits expected the capacity and {n} weights ({n + 1} numbers, or "
                  f"{n + 2} with a leading constraint type 0), found {rest}", line=line)
    cap = _numbers(path, toks, lines, pos, 1, "capacity")
    w = _numbers(path, toks, lines, pos + 1, n, "weights")
    i, j = np.triu_indices(n, k=1)
    keep = q != 0
    try:
        return SelectionProblem(c=c, pair_i=i[keep], pair_j=j[keep], pair_q=q[keep], A=w[None, :], b=cap,
                                row_names=("capacity",), name=name)
    except ProblemError as exc:
        raise InstanceFormatError(path, str(exc)) from None


def read_file(path: Path, *, budget: int | None = None) -> SelectionProblem:
    """The format table's entry (instances/readers.py): a QKP file in either layout."""
    return read_qkp(path, budget=budget)


def _edge_list_numbers(path: Path, raw_lines: list[str], first: int, count: int, per_line: int | None,
                       what: str) -> np.ndarray:
    """Numbers of lines first..first+count-1 (1-based line numbers in errors); per_line fixes the count per line."""
    chunk = raw_lines[first:first + count]
    if len(chunk) < count:
        raise InstanceFormatError(path, f"file ends early: expected {count} line(s) of {what}, found {len(chunk)}",
                                  line=len(raw_lines))
    toks = " ".join(chunk).split()
    ok = per_line is None or len(toks) == per_line * count
    values = None
    if ok:
        try:
            values = np.array(toks, dtype=np.float64)
        except ValueError:
            ok = False
    if ok and np.all(np.isfinite(values)) and np.all(np.abs(values) <= LARGEST_VALUE):
        return values
    for k, line in enumerate(chunk):  # slow path only to say where the fault is
        parts = line.split()
        if per_line is not None and len(parts) != per_line:
            raise InstanceFormatError(path,
                                      f"expected {per_line} numbers ({what}), found {len(parts)}: {line.strip()!r}",
                                      line=first + k + 1)
        for t in parts:
            try:
                v = float(t)
            except ValueError:
                raise InstanceFormatError(path, f"{t!r} is not a number (reading {what})", line=first + k + 1) from None
            if not np.isfinite(v):
                raise InstanceFormatError(path, f"{t!r} is not a finite number (reading {what})", line=first + k + 1)
            if abs(v) > LARGEST_VALUE:
                raise InstanceFormatError(path, _too_large(t, what), line=first + k + 1)
    raise InstanceFormatError(path, f"cannot read {what}", line=first + 1)  # pragma: no cover - caught above


def _read_edge_list(path: Path, raw_lines: list[str], budget: int | None) -> SelectionProblem:
    """The edge-list QKP format (see the module docstring)."""
    start = next(k for k, line in enumerate(raw_lines) if line.strip())
    head = raw_lines[start].split()
    if not (_WHOLE.fullmatch(head[0]) and _WHOLE.fullmatch(head[1])):   # int() would take '1_000' and other digits
        raise InstanceFormatError(path, f"first line must be 'n m type' with whole numbers n and m, found "
                                        f"{raw_lines[start].strip()!r}", line=start + 1)
    n, m = int(head[0]), int(head[1])
    if n < 1 or m < 0:
        raise InstanceFormatError(path, f"n must be >= 1 and m >= 0, found n={n}, m={m}", line=start + 1)
    body = start + 1
    triples = _edge_list_numbers(path, raw_lines, body, m, 3, "i j utility").reshape(m, 3)
    idx = triples[:, :2]
    bad = np.flatnonzero(np.any((idx != np.round(idx)) | (idx < 0) | (idx >= n), axis=1))
    if bad.size:
        k = int(bad[0])
        raise InstanceFormatError(path, f"item indices must be whole numbers in 0..{n - 1} (0-based), found "
                                        f"{raw_lines[body + k].strip()!r}", line=body + k + 1)
    i, j, u = idx[:, 0].astype(np.int64), idx[:, 1].astype(np.int64), triples[:, 2]
    # The weights come before anything of size n is made: a line of n weights bounds n by the file's
    # size, so a mistyped n (say 10**15) ends in a message, not in an n-sized allocation.
    pos = body + m
    while pos < len(raw_lines) and not raw_lines[pos].strip():
        pos += 1
    w = _edge_list_numbers(path, raw_lines, pos, 1, n, f"{n} weights")
    pos += 1
    diag = i == j
    c = np.zeros(n)
    if np.unique(i[diag]).size != int(diag.sum()):
        seen, lines_of = {}, np.flatnonzero(diag)
        for k in lines_of:
            if int(i[k]) in seen:
                raise InstanceFormatError(path, f"linear utility of item {int(i[k])} given twice (first on line "
                                                f"{seen[int(i[k])]})", line=body + int(k) + 1)
            seen[int(i[k])] = body + int(k) + 1
    c[i[diag]] = u[diag]
    lo, hi = np.minimum(i[~diag], j[~diag]), np.maximum(i[~diag], j[~diag])
    q = u[~diag]
    key = lo * n + hi
    order = np.argsort(key, kind="stable")
    dup = np.flatnonzero(key[order][1:] == key[order][:-1])
    if dup.size:
        rows = np.flatnonzero(~diag)
        a, b = rows[order[dup[0]]], rows[order[dup[0] + 1]]
        raise InstanceFormatError(path, f"pair ({int(lo[order[dup[0]]])}, {int(hi[order[dup[0]]])}) given twice "
                                        f"(also on line {body + int(a) + 1}); list each pair once",
                                  line=body + int(b) + 1)
    while pos < len(raw_lines) and not raw_lines[pos].strip():
        pos += 1
    budgets = _edge_list_numbers(path, raw_lines, pos, 1, None, "budgets")
    if budgets.size == 0:
        raise InstanceFormatError(path, "expected a line of budgets after the weights", line=pos + 1)
    extra = [k for k in range(pos + 1, len(raw_lines)) if raw_lines[k].strip()]
    if extra:
        raise InstanceFormatError(path, "unexpected text after the budgets line", line=extra[0] + 1)
    if budget is None:
        if budgets.size > 1:
            raise InstanceFormatError(path, f"the file lists {budgets.size} budgets ({_fmt(budgets)}); choose one "
                                            f"with budget=0..{budgets.size - 1} (--budget on the command line)",
                                      line=pos + 1)
        budget = 0
    if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or not 0 <= budget < budgets.size:
        raise InstanceFormatError(path, f"budget={budget!r} is not one of the file's budgets: use a whole number in "
                                        f"0..{budgets.size - 1} ({_fmt(budgets)})", line=pos + 1)
    name = path.stem if budgets.size == 1 else f"{path.stem}@budget{budget}"
    try:
        return SelectionProblem(c=c, pair_i=lo, pair_j=hi, pair_q=q, A=w[None, :], b=[budgets[budget]],
                                row_names=("budget",), name=name)
    except ProblemError as exc:
        raise InstanceFormatError(path, str(exc)) from None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _fmt(values: np.ndarray) -> str:
    if np.all(values == np.round(values)):
        return " ".join(str(int(v)) for v in values)
    return " ".join(repr(float(v)) for v in values)


def write_qkp(problem: SelectionProblem, path: str | os.PathLike, published: bool = False) -> None:
    """Write a classic QKP (one knapsack row, pair terms, nothing else) in Billionnet-Soutif format.

    `published=True` adds the name line and the constraint-type line of the
    files as first published.
    """
    if problem.A.shape[0] != 1:
        raise ProblemError(f"write_qkp needs exactly one knapsack row, the problem has {problem.A.shape[0]}")
    extras = [k for k, v in (("size limits", problem.size_min > 0 or problem.size_max < problem.n),
                             ("conflicts", problem.conflicts.size), ("groups", problem.groups),
                             ("covers", problem.covers), ("forced_in", problem.forced_in.size),
                             ("forced_out", problem.forced_out.size)) if v]
    if extras:
        raise ProblemError(f"the QKP file format holds one knapsack row and pair terms only; this problem also has "
                           f"{', '.join(extras)}")
    if published and _is_number(problem.name):
        raise ProblemError(f"problem name {problem.name!r} is a number: in the published variant it could not "
                           f"be told apart from n; rename the problem")
    n = problem.n
    Q = np.zeros((n, n))
    Q[problem.pair_i, problem.pair_j] = problem.pair_q
    out = []
    if published:
        out.append(problem.name)
    out += [str(n), _fmt(problem.c)]
    out += [_fmt(Q[i, i + 1:]) for i in range(n - 1)]
    out.append("")
    if published:
        out.append("0")
    out += [_fmt(problem.b), _fmt(problem.A[0])]
    write_text(path, "\n".join(out) + "\n")


def write_edge_list(problem: SelectionProblem, path: str | os.PathLike,
                    budgets: np.ndarray | list[float] | None = None) -> None:
    """Write a classic QKP in the edge-list format (0-based; linear utilities as i i u lines).

    `budgets` lists every budget to store (default: the problem's capacity).
    """
    if problem.A.shape[0] != 1:
        raise ProblemError(f"the edge-list format holds one weight row, the problem has {problem.A.shape[0]}")
    budgets = np.atleast_1d(np.asarray(problem.b if budgets is None else budgets, dtype=float))
    n = problem.n
    lin = np.flatnonzero(problem.c)
    keep = problem.pair_q != 0
    i = np.concatenate([lin, problem.pair_i[keep]])
    j = np.concatenate([lin, problem.pair_j[keep]])
    u = np.concatenate([problem.c[lin], problem.pair_q[keep]])
    integral = bool(np.all(u == np.round(u)) and np.all(problem.A == np.round(problem.A)))
    value = (lambda v: str(int(v))) if integral else (lambda v: repr(float(v)))
    lines = [f"{n} {u.size} {'int' if integral else 'float'}"]
    lines += [f"{a} {b} {value(v)}" for a, b, v in zip(i.tolist(), j.tolist(), u.tolist())]
    lines += [_fmt(problem.A[0]), _fmt(budgets)]
    write_text(path, "\n".join(lines) + "\n")
