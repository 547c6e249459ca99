"""The solver-neutral model a formulation produces: arrays, nothing else.

Columns 0..n_items-1 are always the item binaries x, so any adapter can read
the portfolio back without knowing which formulation built the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class MipModel:
    """maximize col_cost . v + offset (+ sum quad_q v_i v_j) s.t. row_lower <= M v <= row_upper.

    M is stored row-wise (CSR: row_start, row_index, row_value).
    """

    formulation: str
    n_items: int
    col_cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray          # bool per column: True for binaries/integers
    row_start: np.ndarray
    row_index: np.ndarray
    row_value: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    offset: float = 0.0
    quad_i: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    quad_j: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    quad_q: np.ndarray = field(default_factory=lambda: np.zeros(0))
    notes: dict = field(default_factory=dict)  # what the formulation did (bounds used, ...)
    #: item 0/1 vector -> full column vector (for warm starts); None: items only
    extend: Callable[[np.ndarray], np.ndarray] | None = None

    def start_vector(self, x: np.ndarray) -> np.ndarray:
        """Full column values implied by an item vector x (auxiliary columns filled in)."""
        x = np.asarray(x, dtype=np.float64)
        return x.copy() if self.extend is None else self.extend(x)

    @property
    def num_col(self) -> int:
        """Number of columns (variables)."""
        return int(self.col_cost.shape[0])

    @property
    def num_row(self) -> int:
        """Number of rows (linear constraints)."""
        return int(self.row_lower.shape[0])

    @property
    def num_nz(self) -> int:
        """Number of nonzeros of the constraint matrix."""
        return int(self.row_value.shape[0])

    @property
    def is_quadratic(self) -> bool:
        """True when the objective keeps product terms (MIQP)."""
        return bool(self.quad_q.size)

    def objective(self, v: np.ndarray) -> float:
        """Model objective at a full column vector (used to cross-check adapters)."""
        v = np.asarray(v, dtype=np.float64)
        return float(self.col_cost @ v + self.offset + self.quad_q @ (v[self.quad_i] * v[self.quad_j]))


class RowBuilder:
    """Collects constraint blocks as coordinate lists, then emits CSR in one pass."""

    def __init__(self, num_col: int) -> None:
        self.num_col = num_col
        self.num_row = 0
        self._rows: list[np.ndarray] = []
        self._cols: list[np.ndarray] = []
        self._vals: list[np.ndarray] = []
        self._lower: list[np.ndarray] = []
        self._upper: list[np.ndarray] = []

    def add(self, k: int, local_row: np.ndarray, col: np.ndarray, value: np.ndarray,
            lower: float | np.ndarray, upper: float | np.ndarray) -> None:
        """Add k rows; local_row numbers entries 0..k-1 within this block; bounds broadcast."""
        if k == 0:
            return
        self._rows.append(np.asarray(local_row, dtype=np.int64) + self.num_row)
        self._cols.append(np.asarray(col, dtype=np.int64))
        self._vals.append(np.asarray(value, dtype=np.float64))
        self._lower.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), (k,)))
        self._upper.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), (k,)))
        self.num_row += k

    def csr(self) -> tuple[np.ndarray, ...]:
        """(row_start, row_index, row_value, row_lower, row_upper)."""
        if not self._rows:
            e = np.zeros(0)
            return np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64), e, e, e
        rows = np.concatenate(self._rows)
        order = np.argsort(rows, kind="stable")
        start = np.zeros(self.num_row + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=self.num_row), out=start[1:])
        return (start, np.concatenate(self._cols)[order], np.concatenate(self._vals)[order],
                np.concatenate(self._lower), np.concatenate(self._upper))
