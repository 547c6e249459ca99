"""One clock per solve: how much time is left, and each stage's share of it.

`solve` (and each adapter that runs stages of its own) creates one `Deadline` from the
time limit; every stage asks it for the time left and for its share instead of computing a
budget of its own. The shares are in one table with the measurement each rests on.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

#: share of the time left that a stage may take when a time limit is set
SHARES: dict[str, float] = {
    # the tabu search before an exact stage: on the standard instances (n = 100-300) and the alliance
    # scenarios (n = 60-300) its best portfolio comes within the first second, so a tenth of the limit
    # leaves the exact stage nine tenths (benchmarks/README.md, "auto pipeline"). At n = 1,000-10,000,
    # where the search is cut by its share, half of the limit found better portfolios on 8 of 17 large
    # instances, but the exact stage's bound got worse on dense ones (n = 1000 at 75%: 13.9% -> 23.4%
    # gap at 10 s); kept at a tenth ("How long the search runs before the exact stage")
    "search": 0.1,
    # the Lagrangian bound and its fixing rounds after the search: 300 subgradient steps take < 0.2 s at
    # n = 300; the share caps them on larger problems
    "bound": 0.1,
    # the branch and bound's root (the split optimized by subgradient): at most half, so that a short
    # limit still reaches the tree and a portfolio (benchmarks/timing/node_cost.py)
    "root": 0.5,
    # the concave relaxation's tangent LPs (alliance scenarios): 0.02-1 s to converge at 60-300 candidates,
    # 5-7 s at 300 with levels (500 items; benchmarks/timing/concave_bound.py), where the MIP after it gains
    # nothing in a short run (its bound stays 100-200% above); every iteration's bound is valid
    "concave": 0.4,
    # the outer approximation's first run (alliance scenarios): it proves most scenarios up to 100
    # candidates within seconds; where it has not, the semidefinite bound has its turn, then it again
    "outer first": 0.5,
    # the semidefinite bound after that first run: 0.2-15 s at 60-150 candidates, 20-60 s at 300
    # (benchmarks/README.md, "The semidefinite bound"); what it leaves goes to the outer approximation
    "semidefinite": 0.8,
    # the branch and bound before HiGHS on the kinds it takes beyond the classic QKP (side rows, a size
    # limit, conflicts, mixed signs): with negative pairs linearized and exclusions dualized it proves more
    # than HiGHS; 20 generated instances at 20 s: 0.3 proves 9, 0.6 11, 1.0 (the search alone) 12, but where
    # none proves, HiGHS after the search ends with the better bound (two rows more: 12-13% against 21%)
    # (benchmarks/timing/kernel_reach.py --search-first)
    "search first": 0.6,
}


def search_seconds(n: int) -> float:
    """The search's budget without a time limit: it stops by its own rule well before on every
    instance measured; this only bounds a search that keeps finding small improvements."""
    return 2.0 + n / 100.0


@dataclass
class Deadline:
    """When a solve must end (`limit` seconds from `start`; None: never)."""

    limit: float | None
    start: float = field(default_factory=time.perf_counter)

    @property
    def at(self) -> float:
        """The perf_counter time at which it ends (inf without a limit)."""
        return math.inf if self.limit is None else self.start + self.limit

    def left(self) -> float:
        """Seconds left (inf without a limit, never negative)."""
        return math.inf if self.limit is None else max(0.0, self.at - time.perf_counter())

    def left_or_none(self, floor: float = 0.0) -> float | None:
        """Seconds left as a time limit to pass on (None without a limit), at least `floor`."""
        return None if self.limit is None else max(floor, self.left())

    def share(self, stage: str) -> float | None:
        """The seconds `stage` may take of what is left (SHARES), None without a limit."""
        return None if self.limit is None else SHARES[stage] * self.left()

    def budget(self, stage: str, unlimited: float) -> float:
        """The stage's share of what is left, or `unlimited` seconds without a limit."""
        return unlimited if self.limit is None else SHARES[stage] * self.left()

    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.perf_counter() - self.start
