"""The plain settings of a scenario: focal cluster, strategy, peers, policy, engagement levels,
the value of foreign partners, and the table schema. Frozen dataclasses, no behaviour beyond
their own checks, so every other domain module can import them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from optimizer.core.errors import ProblemError

#: candidate columns every scenario needs (profile columns k_<domain> and use_<resource> come on top)
REQUIRED_COLUMNS = ("id", "name", "region", "country", "foreign", "industry", "endowment", "reputation",
                    "coord_cost")
#: pair table columns; a and b are candidate ids; a missing column counts as 0 / False
PAIR_COLUMNS = ("a", "b", "rivalry", "conflict", "synergy", "tie")

#: spellings of a true / false flag in tables (foreign, conflict)
TRUE_WORDS = frozenset({"true", "1", "yes", "1.0"})
FALSE_WORDS = frozenset({"false", "0", "no", "0.0", ""})


def flag_values(column: pd.Series) -> np.ndarray:
    """A boolean array from a column of flags (True/False, 1/0, yes/no; blank is False)."""
    return column.fillna(False).astype(str).str.strip().str.lower().isin(TRUE_WORDS).to_numpy()


def check_flags(column: pd.Series, table: str) -> None:
    """Raise naming the first cell of `table`'s column that is not a recognised flag spelling (blank is allowed)."""
    text = column.astype(str).str.strip().str.lower()
    bad = np.flatnonzero(~(column.isna() | text.isin(list(TRUE_WORDS | FALSE_WORDS))).to_numpy())
    if bad.size:
        row = int(bad[0])
        raise ProblemError(f"{table}: column {column.name!r} row {row} is {column.iloc[row]!r}, expected true/false "
                           f"(or 1/0, yes/no)", where=(table, row, column.name))


def as_float(v: Any) -> float:
    """float(v), or NaN for what is no number (None, a word, a huge integer): checks then say what is wrong."""
    try:
        return float(v)
    except (TypeError, ValueError, OverflowError):
        return math.nan


#: group keys accepted in policy tables besides a candidate id
GROUP_KEYS = ("region", "country", "industry")


@dataclass(frozen=True)
class Focal:
    """The focal cluster: who it is and what it already knows."""

    name: str = "focal cluster"
    region: str = ""
    country: str = ""
    profile: Mapping[str, float] = field(default_factory=dict)  # domain -> knowledge level in [0, 1]
    diffusion: float = 1.0      # delta in (0, 1]: share of alliance outcomes the cluster can spread
    tech_change: float = 0.0    # tau >= 0: rate of technological change in its industry
    #: its own endowment, in the unit of the candidates' endowment column: the reference partners'
    #: endowments are measured against (P6). Needed when scoring.theta > 0; never taken from the
    #: candidate list, so adding a candidate changes no other candidate's value.
    endowment: float | None = None


@dataclass(frozen=True)
class Strategy:
    """What the cluster seeks."""

    domain_weights: Mapping[str, float] = field(default_factory=dict)  # w_d; missing domains weigh 1
    reputation_weight: float = 0.0   # rho
    breadth: float = 0.5             # 0: depth (few strong ties) .. 1: breadth (many weak ties)
    #: the reputation the goal aims above (q_0, in the unit of the reputation column): with it the goal
    #: scores rho (q_i - q_0) per partner, so a heavier goal buys better partners (those below the bar
    #: cost points) rather than more of them (P4); None: rho q_i per partner, a bonus for any partner
    reputation_bar: float | None = None


@dataclass(frozen=True)
class Peers:
    """Benchmark from competing clusters' portfolios."""

    size_min: int = 0
    size_max: int | None = None
    foreign_share_min: float = 0.0
    foreign_share_max: float = 1.0


@dataclass(frozen=True)
class Policy:
    """Policy incentives. Keys: a candidate id, or 'region:<r>', 'country:<c>', 'industry:<i>'."""

    #: the resource whose use subsidies lower (the share of its cost that the policy pays)
    SUBSIDISED_RESOURCE: ClassVar[str] = "budget"

    subsidies: Mapping[str, float] = field(default_factory=dict)  # share of budget cost paid, in [0, 1]
    bonus: Mapping[str, float] = field(default_factory=dict)      # gain added per chosen partner


@dataclass(frozen=True)
class Level:
    """An engagement level (e.g. weak membership vs strong joint programme)."""

    name: str
    gain: float = 1.0                       # g_l: scales knowledge gain and knowledge pair terms
    use: Mapping[str, float] = field(default_factory=dict)  # multiplier of resource use per resource
    strong: bool = False                    # strong ties gain under a depth strategy, weak under breadth


@dataclass(frozen=True)
class ForeignValue:
    """Lavie & Miller's term: a piecewise-linear value of the portfolio's internationalization.

    ``over="count"``: ``values[k]`` is the value at ``breakpoints[k]`` foreign partners.
    ``over="share"``: at a foreign share of ``breakpoints[k]`` (foreign partners / partners, in
    [0, 1]; an empty portfolio scores 0): Lavie & Miller's sideways S, where performance falls
    at low internationalization, rises at moderate and falls again at high, is a share curve
    (`sideways_s`). In between breakpoints the value is interpolated linearly, beyond the last
    it stays flat. Both are modelled exactly (optimizer/domain/compile.py).
    """

    breakpoints: tuple[float, ...]
    values: tuple[float, ...]
    over: str = "count"        # "count" (number of foreign partners) or "share" (foreign partners / partners)

    def __post_init__(self) -> None:
        if self.over not in ("count", "share"):
            raise ProblemError(f"foreign_value: over is {self.over!r}; expected 'count' (the number of foreign "
                               f"partners) or 'share' (foreign partners / partners)", where=("foreign_value", "over"))
        bp, val = np.asarray(self.breakpoints, float), np.asarray(self.values, float)
        if bp.size < 2 or bp.shape != val.shape:
            raise ProblemError("foreign_value: give at least two breakpoints and one value per breakpoint",
                               where=("foreign_value", "breakpoints" if bp.size < 2 else "values"))
        if not (np.all(np.isfinite(bp)) and np.all(np.isfinite(val))):
            raise ProblemError("foreign_value: breakpoints and values must be finite numbers",
                               where=("foreign_value", "breakpoints" if not np.all(np.isfinite(bp)) else "values"))
        if bp[0] != 0 or np.any(np.diff(bp) <= 0):
            raise ProblemError("foreign_value: breakpoints must start at 0 and increase strictly",
                               where=("foreign_value", "breakpoints"))
        if self.over == "share" and bp[-1] > 1:
            raise ProblemError(f"foreign_value: breakpoints are foreign shares (over = 'share'), from 0 to 1; the "
                               f"last is {bp[-1]:g}", where=("foreign_value", "breakpoints"))
        if val[0] != 0:
            raise ProblemError(f"foreign_value: values[0] is {val[0]!r}; the value with no foreign partner is the "
                               f"baseline and must be 0 (subtract it from every value)",
                               where=("foreign_value", "values"))

    def __call__(self, at: np.ndarray | float) -> np.ndarray:
        """Value at a number of foreign partners (over="count") or a foreign share (over="share")."""
        return np.interp(at, self.breakpoints, self.values)

    def of_portfolio(self, foreign: np.ndarray | float, size: np.ndarray | float) -> np.ndarray:
        """Value of portfolios with `foreign` foreign partners out of `size` (0 for an empty one)."""
        foreign, size = np.asarray(foreign, float), np.asarray(size, float)
        if self.over == "count":
            return self(foreign)
        return np.where(size > 0, self(np.minimum(foreign, size) / np.maximum(size, 1.0)), 0.0)

    @classmethod
    def sideways_s(cls, low: float = 0.2, high: float = 0.7, dip: float = 0.3, peak: float = 1.0,
                   fall: float = 0.4, scale: float = 1.0) -> ForeignValue:
        """Lavie & Miller's sideways S over the foreign share: down by `dip` up to the share `low`,
        up to `peak` at `high`, down by `fall` to an all-foreign portfolio (each times `scale`)."""
        if not 0 < low < high < 1:
            raise ProblemError(f"foreign_value: sideways_s needs 0 < low < high < 1, got low={low!r}, high={high!r}",
                               where=("foreign_value", "breakpoints"))
        return cls((0.0, low, high, 1.0), (0.0, -dip * scale, peak * scale, (peak - fall) * scale), over="share")

    @classmethod
    def sigmoid(cls, midpoint: float = 3.0, steepness: float = 1.5, scale: float = 1.0,
                breakpoints: tuple[float, ...] | None = None) -> ForeignValue:
        """A sigmoid shape sampled at breakpoints (default 0..2*midpoint), zero at 0 foreign partners."""
        bp = np.arange(0, int(math.ceil(2 * midpoint)) + 1,
                       dtype=float) if breakpoints is None else np.asarray(breakpoints, float)
        s = 1.0 / (1.0 + np.exp(-steepness * (bp - midpoint)))
        return cls(tuple(bp.tolist()), tuple((scale * (s - s[0])).tolist()))


