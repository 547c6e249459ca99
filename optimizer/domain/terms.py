"""The objective terms of a scenario: one table that compile, the portfolio report, comparisons,
frontiers, report texts and figures all read.

Each row names its default scoring function (optimizer/domain/scoring.py). A term is a
signed contribution to the objective. Its `role` says whether it is a gain (it
rises when the portfolio gets better at it) or a cost (it is <= 0 and falls as the cost
grows); `kind` says where compile puts it (`linear` on items, `pair` on pairs of items);
`knowledge` terms are scaled by the engagement levels' gain factors. Adding a term is one
scoring function (in scoring.py or a module of its own) and one row here; a term a custom
scoring returns that is missing from this table is refused by compile (unless declared with
`compile(terms=...)`), so a new cost can never be counted as a gain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from optimizer.domain import scoring
from optimizer.domain.scoring import CandidatePairs


@dataclass(frozen=True)
class Term:
    """One objective term and the words and colour people see for it."""

    name: str
    kind: Literal["linear", "pair"]
    role: Literal["gain", "cost"]
    knowledge: bool = False       # scaled by the engagement levels' gain factors
    rises: str = ""               # what a rise of the (signed) term means, in plain words ("" : "more <name>")
    falls: str = ""               # what a fall means ("" : "less <name>")
    colour: str = ""              # in the figures ("": one of the spare colours); redundancy and conflict
                                  # match the network figure's edges
    score: Callable[..., np.ndarray] | None = None   # the default scoring function (optimizer/domain/scoring.py);
                                                     # None: compile makes the term itself (foreign,
                                                     # foreign share)

    def words(self, rising: bool) -> str:
        """What a change of the term means for people."""
        text = self.rises if rising else self.falls
        return text or f"{'more' if rising else 'less'} {self.name}"


TERMS: tuple[Term, ...] = (
    Term("diversity", "linear", "gain", True, "more new knowledge for the cluster",
         "less new knowledge for the cluster", "#4e79a7", scoring.diversity),
    Term("reputation", "linear", "gain", False, "more reputable partners", "less reputable partners", "#b07aa1",
         scoring.reputation),
    Term("bonus", "linear", "gain", False, "more policy bonus", "less policy bonus", "#59a14f", scoring.bonus),
    Term("coordination", "linear", "cost", False, "lower coordination cost", "higher coordination cost", "#9c755f",
         scoring.coordination),
    Term("foreign", "linear", "gain", False, "more value from foreign partners", "less value from foreign partners",
         "#76b7b2"),
    Term("foreign share", "pair", "gain", False, "a foreign share worth more", "a foreign share worth less",
         "#499894"),
    Term("synergy", "pair", "gain", True, "more synergy between partners", "less synergy between partners",
         "#8cd17d", scoring.synergy),
    Term("redundancy", "pair", "cost", True, "less overlap between the partners' knowledge",
         "more overlap between the partners' knowledge", "#f28e2b", scoring.redundancy),
    Term("ties", "pair", "cost", False, "fewer partners already tied to each other",
         "more partners already tied to each other", "#bab0ac", scoring.ties),
    Term("conflict", "pair", "cost", False, "less rivalry between partners", "more rivalry between partners",
         "#e15759", scoring.conflict),
    Term("complexity", "pair", "cost", False, "fewer pairs of partners to manage", "more pairs of partners to manage",
         "#ff9da7", scoring.complexity),
)

BY_NAME: dict[str, Term] = {t.name: t for t in TERMS}


def term(name: str) -> Term:
    """The row of `name`; a KeyError that lists the known terms and says where to add one."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"objective term {name!r} is not in optimizer/domain/terms.py (known: "
                       f"{', '.join(BY_NAME)}); add a Term row there") from None


def is_cost(name: str) -> bool:
    """True for a cost term (counted in a frontier's cost, never in its gain)."""
    return term(name).role == "cost"


def default_linear_terms(scenario: Any) -> dict[str, np.ndarray]:
    """Every linear term of the table that has a scoring function, per candidate."""
    return {t.name: np.asarray(t.score(scenario), dtype=float) for t in TERMS if t.kind == "linear" and t.score}


def default_pair_terms(scenario: Any, i: np.ndarray, j: np.ndarray, rivalry: np.ndarray, synergy: np.ndarray,
                       tie: np.ndarray) -> dict[str, np.ndarray]:
    """Every pair term of the table, per candidate pair (i, j) (signed: costs are <= 0)."""
    pairs = CandidatePairs(i, j, rivalry, synergy, tie)
    return {t.name: np.asarray(t.score(scenario, pairs), dtype=float) for t in TERMS if t.kind == "pair" and t.score}
