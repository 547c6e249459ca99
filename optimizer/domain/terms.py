"""The objective terms of a scenario: one table that compile, the portfolio report, comparisons,
frontiers, report texts and figures all read.

A term is a signed contribution to the objective. Its `role` says whether it is a gain (it
rises when the portfolio gets better at it) or a cost (it is <= 0 and falls as the cost
grows); `kind` says where compile puts it (`linear` on items, `pair` on pairs of items);
`knowledge` terms are scaled by the engagement levels' gain factors. Adding a term is one
scoring function returning it (optimizer/domain/scoring.py) and one row here; a name
missing from this table is refused by compile, so a new cost can never be counted as a gain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


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

    def words(self, rising: bool) -> str:
        """What a change of the term means for people."""
        text = self.rises if rising else self.falls
        return text or f"{'more' if rising else 'less'} {self.name}"


TERMS: tuple[Term, ...] = (
    Term("diversity", "linear", "gain", True, "more new knowledge for the cluster",
         "less new knowledge for the cluster", "#4e79a7"),
    Term("reputation", "linear", "gain", False, "more reputable partners", "less reputable partners", "#b07aa1"),
    Term("bonus", "linear", "gain", False, "more policy bonus", "less policy bonus", "#59a14f"),
    Term("coordination", "linear", "cost", False, "lower coordination cost", "higher coordination cost", "#9c755f"),
    Term("foreign", "linear", "gain", False, "more value from foreign partners", "less value from foreign partners",
         "#76b7b2"),
    Term("synergy", "pair", "gain", True, "more synergy between partners", "less synergy between partners",
         "#8cd17d"),
    Term("redundancy", "pair", "cost", True, "less overlap between the partners' knowledge",
         "more overlap between the partners' knowledge", "#f28e2b"),
    Term("ties", "pair", "cost", False, "fewer partners already tied to each other",
         "more partners already tied to each other", "#bab0ac"),
    Term("conflict", "pair", "cost", False, "less rivalry between partners", "more rivalry between partners",
         "#e15759"),
    Term("complexity", "pair", "cost", False, "fewer pairs of partners to manage", "more pairs of partners to manage",
         "#ff9da7"),
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
