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
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from instances.errors import InstanceFormatError
from optimizer.errors import ProblemError
from optimizer.problem import SelectionProblem


def _tokens(path: Path) -> tuple[list[str], list[int], list[str]]:
    try:
        text = path.read_text(encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise InstanceFormatError(path, f"not a text file ({exc.reason} at byte {exc.start}); expected a QKP text file") from None
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
                raise InstanceFormatError(path, f"{t!r} is not a number (reading {what})", line=lines[start + k]) from None
        raise
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        k = int(bad[0])
        raise InstanceFormatError(path, f"{chunk[k]!r} is not a finite number (reading {what})", line=lines[start + k])
    return values


def read_qkp(path: str | os.PathLike) -> SelectionProblem:
    """Read a Billionnet-Soutif QKP file (with or without the name and constraint-type lines)."""
    path = Path(path)
    if not path.exists():
        raise InstanceFormatError(path, "no such file")
    toks, lines, raw_lines = _tokens(path)
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
        raise InstanceFormatError(path, f"expected the number of items n, found {toks[pos]!r}", line=lines[pos]) from None
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
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(out) + "\n", encoding="utf-8")
    os.replace(tmp, path)  # never leave a half-written file behind
