"""Constraint rows every formulation shares: the problem's own constraints on x, and their size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from formulations.model import MipModel, RowBuilder

if TYPE_CHECKING:  # formulations read the canonical problem, never import the optimizer package
    from optimizer.core.problem import SelectionProblem


@dataclass(frozen=True)
class ModelSize:
    """Columns, rows and nonzeros a formulation would have, counted without building it (upper
    estimates): what the resource guard turns into memory and build time."""

    columns: int
    rows: int
    nonzeros: int


def structural_size(problem: SelectionProblem) -> ModelSize:
    """Size of the rows every formulation has (add_structural_rows), on the n item columns."""
    n, m = problem.n, problem.A.shape[0]
    conflicts = len(problem.conflicts)
    rows = m + 2 + conflicts + len(problem.groups) + len(problem.covers)
    nonzeros = m * n + 2 * n + 2 * conflicts + sum(len(g) for g in problem.groups) \
        + sum(len(c) for c in problem.covers)
    return ModelSize(n, rows, nonzeros)


def pair_signs(problem: SelectionProblem) -> tuple[int, int]:
    """(positive, negative) nonzero pair terms."""
    q = problem.pair_q[problem.pair_q != 0]
    pos = int(np.count_nonzero(q > 0))
    return pos, int(q.size - pos)


def item_bounds(problem: SelectionProblem) -> tuple[np.ndarray, np.ndarray]:
    """Column bounds of the item binaries, with forced items fixed."""
    lower = np.zeros(problem.n)
    upper = np.ones(problem.n)
    lower[problem.forced_in] = 1.0
    upper[problem.forced_out] = 0.0
    return lower, upper


def add_structural_rows(problem: SelectionProblem, rows: RowBuilder) -> None:
    """Knapsack rows, size range, conflicts, groups and covers, on columns 0..n-1."""
    n = problem.n
    r, col = np.nonzero(problem.A)
    rows.add(problem.A.shape[0], r, col, problem.A[r, col], -np.inf, problem.b)
    if problem.size_min > 0 or problem.size_max < n:
        rows.add(1, np.zeros(n, dtype=np.int64), np.arange(n), np.ones(n), problem.size_min, problem.size_max)
    k = len(problem.conflicts)
    if k:
        rows.add(k, np.repeat(np.arange(k), 2), problem.conflicts.ravel(), np.ones(2 * k), -np.inf, 1.0)
    for sets, lower, upper in ((
        [g for g in problem.groups if g.size > 1], -np.inf, 1.0), (list(problem.covers), 1.0, np.inf)):
        if sets:
            sizes = np.array([s.size for s in sets])
            rows.add(len(sets), np.repeat(np.arange(len(sets)), sizes), np.concatenate(sets), np.ones(sizes.sum()),
                     lower, upper)


def finish(name: str, problem: SelectionProblem, rows: RowBuilder, cost: np.ndarray, lower: np.ndarray,
           upper: np.ndarray, integrality: np.ndarray, **extra) -> MipModel:
    """Assemble a MipModel from a row builder and column data."""
    start, index, value, rlo, rup = rows.csr()
    return MipModel(formulation=name, n_items=problem.n, col_cost=cost, col_lower=lower, col_upper=upper,
                    integrality=integrality, row_start=start, row_index=index, row_value=value,
                    row_lower=rlo, row_upper=rup, **extra)
