"""Uncertain estimates: how far each number of the candidate table may be off, and samples of it.

Knowledge levels, endowments, reputations, coordination costs and resource uses are estimates.
An :class:`Uncertainty` says by how much, in two ways that combine:

* ``relative``: a share per column, ``{"reputation": 0.2}`` = each reputation may be 20% off
  either way. ``"k_*"`` names every knowledge column, ``"use_*"`` every resource use.
* ``ranges``: a table with columns ``id, column, low, high``: this candidate's value lies in
  [low, high] (a range replaces the relative error for that cell).

A sample draws every uncertain cell independently and uniformly, v (1 + r U) with U uniform on
[-1, 1] (or uniformly on [low, high]), clipped to the column's range ([0, 1] for knowledge
levels, >= 0 for the others). All draws come from one seeded generator in one call, so a seed
gives the same samples wherever they are solved.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimizer.core.errors import ProblemError
from optimizer.domain.settings import as_float

RANGE_COLUMNS = ("id", "column", "low", "high")


def _upper(column: str) -> float:
    """The largest value a column may take (knowledge levels are shares)."""
    return 1.0 if column.startswith("k_") else math.inf


@dataclass(frozen=True)
class Uncertainty:
    """How far the candidate table's estimates may be off (see the module docstring)."""

    relative: Mapping[str, float] = field(default_factory=dict)   # column or k_* / use_* -> share in [0, 1)
    ranges: pd.DataFrame | None = None                            # id, column, low, high

    def expand(self, numeric: Sequence[str]) -> dict[str, float]:
        """Relative error per table column (patterns expanded); a ProblemError names an unknown column
        or an error outside [0, 1). `numeric` lists the columns that may be uncertain."""
        out: dict[str, float] = {}
        for key, share in self.relative.items():
            where = ("uncertainty", "relative", key)
            matches = ([c for c in numeric if c.startswith(key[:-1])] if str(key).endswith("*")
                       else [c for c in numeric if c == key])
            if not matches:
                raise ProblemError(f"uncertainty.relative: {key!r} is not an estimated column; uncertain columns are "
                                   f"{', '.join(numeric)} (or k_* and use_* for all of a kind)", where=where)
            r = as_float(share)
            if not r >= 0:
                raise ProblemError(f"uncertainty.relative.{key} is {share!r}, expected a share >= 0 "
                                   f"(0.2 = each value may be 20% off either way)", where=where)
            if r >= 1:
                raise ProblemError(f"uncertainty.relative.{key} is {r:g}: larger than the values' range, since a "
                                   f"value v could fall to v (1 - {r:g}) <= 0; give a share below 1 (0.2 = +-20%), "
                                   f"or a range per candidate in uncertainty.ranges", where=where)
            out.update({c: r for c in matches if r > 0})
        return out

    def check(self, candidates: pd.DataFrame, numeric: Sequence[str]) -> None:
        """Raise a ProblemError naming the field (and the range row) that is wrong."""
        self.expand(numeric)
        self._range_cells(candidates, numeric)

    def _range_cells(self, candidates: pd.DataFrame, numeric: Sequence[str]) -> list[tuple[int, str, float, float]]:
        """(candidate row, column, low, high) per range row, each checked against the estimate."""
        if self.ranges is None or not len(self.ranges):
            return []
        table = self.ranges
        missing = [c for c in RANGE_COLUMNS if c not in table.columns]
        if missing:
            raise ProblemError(f"uncertainty.ranges: missing column(s) {', '.join(missing)}; expected "
                               f"{', '.join(RANGE_COLUMNS)}", where=("uncertainty", "ranges", None, missing[0]))
        rows = {cid: k for k, cid in enumerate(candidates["id"].astype(str))}
        cells = []
        for k, (cid, col, low, high) in enumerate(table[list(RANGE_COLUMNS)].itertuples(index=False)):
            cells.append(_range_cell(k, str(cid), str(col), (as_float(low), as_float(high)), rows, candidates, numeric))
        return cells

    def sample(self, candidates: pd.DataFrame, numeric: Sequence[str], samples: int,
               seed: int = 0) -> list[pd.DataFrame]:
        """`samples` candidate tables with every uncertain cell drawn (see the module docstring)."""
        check_sample_count(samples)
        shares = self.expand(numeric)
        cells = self._range_cells(candidates, numeric)
        columns = [c for c in numeric if c in shares or any(cell[1] == c for cell in cells)]
        n = len(candidates)
        draws = np.random.default_rng(seed).uniform(-1.0, 1.0, size=(samples, n, len(columns)))
        estimate = candidates[columns].to_numpy(dtype=float)
        low = estimate * (1 - np.array([shares.get(c, 0.0) for c in columns]))
        high = estimate * (1 + np.array([shares.get(c, 0.0) for c in columns]))
        for row, col, lo, hi in cells:
            low[row, columns.index(col)], high[row, columns.index(col)] = lo, hi
        values = low + (high - low) * (draws + 1.0) / 2.0
        values = np.clip(values, 0.0, np.array([_upper(c) for c in columns]))
        tables = []
        for s in range(samples):
            table = candidates.copy()
            table[columns] = values[s]
            tables.append(table)
        return tables


def check_sample_count(samples: object) -> None:
    """A ProblemError naming `samples` unless it is a whole number >= 1."""
    if not isinstance(samples, int | np.integer) or isinstance(samples, bool) or samples < 1:
        raise ProblemError(f"samples is {samples!r}, expected a whole number >= 1 (200 is a good start)",
                           where=("samples",))


def _range_cell(k: int, cid: str, col: str, bounds: tuple[float, float], rows: Mapping[str, int],
                candidates: pd.DataFrame, numeric: Sequence[str]) -> tuple[int, str, float, float]:
    """One checked range row: the candidate exists, the column is estimated, low <= estimate <= high."""
    low, high = bounds
    if cid not in rows:
        raise ProblemError(f"uncertainty.ranges: a range names candidate {cid!r}, which is not in the candidate "
                           f"table", where=("uncertainty", "ranges", k, "id"))
    if col not in numeric:
        raise ProblemError(f"uncertainty.ranges: the range for {cid} names column {col!r}, which is not an estimated "
                           f"column; uncertain columns are {', '.join(numeric)}",
                           where=("uncertainty", "ranges", k, "column"))
    for name, v in (("low", low), ("high", high)):
        if not math.isfinite(v) or v < 0 or v > _upper(col):
            top = "1" if _upper(col) == 1 else "any finite number"
            raise ProblemError(f"uncertainty.ranges: the range for {cid}, {col} has {name} = {v!r}: larger than the "
                               f"values' range; expected a number from 0 to {top}",
                               where=("uncertainty", "ranges", k, name))
    estimate = float(candidates[col].iloc[rows[cid]])
    if not low <= estimate <= high:
        raise ProblemError(f"uncertainty.ranges: the range for {cid}, {col} is [{low:g}, {high:g}], which does not "
                           f"hold the estimate {estimate:g} in the candidate table; a range must hold the estimate",
                           where=("uncertainty", "ranges", k, "low" if estimate < low else "high"))
    return rows[cid], col, low, high

