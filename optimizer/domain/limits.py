"""What limits a portfolio: which limits bind, and what stops it from growing when none does.

A manager who sees budget left over asks why the engine did not add another partner. The
answer is one of two things: a limit (budget, capacity, a regional cap, the peer size range,
the foreign share) leaves no room, or the model's own costs do: the best partner left out
that would fit brings less than it costs in overlap, rivalry and complexity with the chosen
ones. :func:`what_limits` finds both from the compiled scenario and the verified portfolio,
vectorized over the left-out partners (one pass over the pair list, no loop over pairs).

Values are points of the model's objective (the unit of every gain and cost), not money.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.core.verify import FEASIBILITY_TOL, violations
from optimizer.domain.compile import CompiledScenario
from optimizer.domain.settings import flag_values

#: rows compile adds to count foreign partners through auxiliary items: not limits a manager sets
_AUXILIARY_ROWS = ("foreign_count_le", "foreign_count_ge", "foreign_order_", "size_max", "size_min")


@dataclass(frozen=True)
class LimitUse:
    """One limit of the scenario and how much of it the portfolio uses."""

    name: str          # budget, region:Europe, size, foreign_share_max, ...
    label: str         # in words: "budget", "partners from Europe", "portfolio size", ...
    limit: float
    use: float
    binding: bool      # no slack left (within the verification tolerance)
    blocks: int        # left-out partners that this limit alone keeps out

    @property
    def slack(self) -> float:
        """What is left of the limit."""
        return self.limit - self.use

    def text(self) -> str:
        """'budget 131.2 of 174.6', 'foreign share 75% (at most 87%)'."""
        if self.name.startswith("foreign_share"):
            return f"foreign share {self.use:.0%} (at {'most' if self.name.endswith('max') else 'least'} " \
                   f"{self.limit:.0%})"
        return f"{self.label} {_num(self.use)} of {_num(self.limit)}"


@dataclass(frozen=True)
class Addition:
    """The best partner left out that every limit admits, and what adding it would change."""

    item: int
    partner: str                          # its name (with the level, if any)
    change: float                         # objective change in points if it were added (< 0: it would lower it)
    by_term: dict[str, float]             # the change split by objective term
    by_partner: tuple[tuple[str, float], ...]   # pair terms with each chosen partner, most negative first


@dataclass(frozen=True)
class WhatLimits:
    """Which limits bind and, when none keeps a partner out, what stops the portfolio from growing."""

    limits: tuple[LimitUse, ...]
    best_addition: Addition | None        # None when every left-out partner breaks some limit
    left_out: int                         # partners (or partner-levels) that could still be chosen in principle

    def binding(self) -> list[LimitUse]:
        """The limits with no slack left."""
        return [lim for lim in self.limits if lim.binding]

    def sentences(self) -> list[str]:
        """The answer in words a manager reads (values in points of the model's objective)."""
        out = []
        bind = self.binding()
        if bind:
            out.append("Limits that bind: " + "; ".join(lim.text() for lim in bind) + ".")
        else:
            unused = [lim.text() for lim in self.limits if lim.name != "foreign_share_min"]
            out.append("No limit is used up" + (f" (used: {'; '.join(unused)})" if unused else "") + ".")
        add = self.best_addition
        if add is None:
            if self.left_out:
                # limits with slack can still leave no room: what is left is less than any partner needs
                blockers = [f"{lim.label} ({_num(lim.slack)} left) keeps out {lim.blocks}" if not lim.binding
                            else f"{lim.label} keeps out {lim.blocks}" for lim in self.limits if lim.blocks]
                out.append(f"None of the {self.left_out} partners left out fits: each would exceed a limit"
                           + (f" ({'; '.join(blockers)})" if blockers else "") + ".")
            return out
        if add.change > 1e-9:
            out.append(f"Adding {add.partner} would raise the objective by {_num(add.change)} points: this "
                       f"portfolio is not proven best.")
            return out
        subject = "What stops the portfolio from growing is" if not bind else "Besides, what stops it growing is"
        costs = sorted(((k, v) for k, v in add.by_term.items() if v < 0), key=lambda kv: kv[1])
        gains = sum(v for v in add.by_term.values() if v > 0)
        why = ", ".join(f"{k} {_num(v)}" for k, v in costs) or "nothing"
        out.append(f"{subject} the cost of one more alliance: the best partner left out that fits, {add.partner}, "
                   f"would lower the objective by {_num(-add.change)} points (it brings {_num(gains)} but costs "
                   f"{why}).")
        worst = [(name, v) for name, v in add.by_partner if v < 0][:3]
        if worst:
            out.append("Its overlap, rivalry and complexity with " + ", ".join(f"{n} ({_num(v)})" for n, v in worst)
                       + " outweigh what it brings.")
        return out


def _num(value: float) -> str:
    return f"{value:.4g}"


def _label(name: str) -> str:
    if name.startswith("region:"):
        return f"partners from {name[7:]}"
    return {"foreign_share_min": "foreign share (minimum)", "foreign_share_max": "foreign share (maximum)",
            "size": "portfolio size (partners)", "size_min": "portfolio size (minimum)"}.get(name, name)


def what_limits(compiled: CompiledScenario, x: np.ndarray) -> WhatLimits:
    """Limits of the portfolio `x` (a verified 0/1 vector of `compiled.problem`) and its best addition."""
    prob = compiled.problem
    x = np.asarray(x, dtype=float)
    partners = compiled.partner_items
    aux = np.flatnonzero(compiled.item_candidate < 0)
    use = prob.A @ x
    tol = FEASIBILITY_TOL * np.maximum(1.0, np.abs(prob.b))

    # who could still come in: not chosen, not excluded, no level of a chosen candidate or rival in a clique
    open_ = np.zeros(prob.n, bool)
    open_[partners] = x[partners] < 0.5
    open_[prob.forced_out] = False
    for group in prob.groups:
        if x[group].sum() > 0.5:
            open_[group] = False
    if prob.conflicts.size:
        chosen_pair = x[prob.conflicts] > 0.5
        open_[prob.conflicts[chosen_pair[:, 0], 1]] = False
        open_[prob.conflicts[chosen_pair[:, 1], 0]] = False
    cand = np.flatnonzero(open_)

    # the limits, and which left-out partners each one keeps out
    shown = [r for r, name in enumerate(prob.row_names) if not name.startswith(_AUXILIARY_ROWS)]
    fits = (use[:, None] + prob.A[:, cand]) <= (prob.b + tol)[:, None]      # rows x left-out items
    size = int(round(x[partners].sum()))
    size_max = prob.b[prob.row_names.index("size_max")] if "size_max" in prob.row_names else prob.size_max
    size_ok = size + 1 <= size_max
    limits = []
    for r in shown:
        name = prob.row_names[r]
        if name.startswith("foreign_share"):
            # the share rows read f |S| - #foreign <= 0: report them as shares of the portfolio
            share = float(flag_values(compiled.scenario.candidates["foreign"])[
                compiled.item_candidate[partners[x[partners] > 0.5]]].mean()) if size else 0.0
            target = compiled.scenario.peers.foreign_share_max if name.endswith("max") else \
                compiled.scenario.peers.foreign_share_min
            limits.append(LimitUse(name, _label(name), target, share, bool(use[r] >= -tol[r]),
                                   int((~fits[r]).sum())))
            continue
        limits.append(LimitUse(name, _label(name), float(prob.b[r]), float(use[r]),
                               bool(prob.b[r] - use[r] <= tol[r]), int((~fits[r]).sum())))
    if not size_ok or compiled.scenario.peers.size_max is not None:
        limits.append(LimitUse("size", _label("size"), float(size_max), float(size), not size_ok,
                               0 if size_ok else int(cand.size)))

    feasible = cand[fits[shown].all(axis=0)] if size_ok else cand[:0]
    if feasible.size == 0:
        return WhatLimits(tuple(limits), None, int(cand.size))

    # objective change of adding each feasible item: its gain, its pairs with the chosen ones, and the
    # auxiliary foreign-count items moving up by one when it is foreign
    with_chosen = np.zeros(prob.n)
    np.add.at(with_chosen, prob.pair_i, prob.pair_q * x[prob.pair_j])
    np.add.at(with_chosen, prob.pair_j, prob.pair_q * x[prob.pair_i])
    foreign_step = np.zeros(prob.n)
    if aux.size:
        foreign = flag_values(compiled.scenario.candidates["foreign"])
        is_foreign = np.zeros(prob.n, bool)
        is_foreign[partners] = foreign[compiled.item_candidate[partners]]
        count = int(round(x[partners] @ is_foreign[partners]))
        foreign_step[is_foreign] = prob.c[aux[count]] if count < aux.size else 0.0
    change = prob.c + with_chosen + foreign_step
    order = feasible[np.argsort(-change[feasible], kind="stable")]
    for item in order[:10]:            # the checks above mirror the constraints; violations() has the last word
        y = x.copy()
        y[item] = 1.0
        y = compiled.with_foreign_count(y)
        if not violations(prob, y, limit=1):
            return WhatLimits(tuple(limits), _addition(compiled, x, int(item), float(prob.objective(y) -
                                                                                     prob.objective(x))),
                              int(cand.size))
    return WhatLimits(tuple(limits), None, int(cand.size))


def _addition(compiled: CompiledScenario, x: np.ndarray, item: int, change: float) -> Addition:
    """The change of adding `item`, split by term and by chosen partner."""
    prob = compiled.problem
    by_term = {name: float(v[item]) for name, v in compiled.linear_parts.items() if v[item] != 0}
    touches = ((prob.pair_i == item) & (x[prob.pair_j] > 0.5)) | ((prob.pair_j == item) & (x[prob.pair_i] > 0.5))
    for name, v in compiled.pair_parts.items():
        total = float(v[touches].sum())
        if total:
            by_term[name] = total
    other = np.where(prob.pair_i[touches] == item, prob.pair_j[touches], prob.pair_i[touches])
    q = prob.pair_q[touches]
    per_partner = sorted(((prob.names[j], float(v)) for j, v in zip(other.tolist(), q.tolist())), key=lambda t: t[1])
    rest = change - sum(by_term.values())
    if abs(rest) > 1e-9:               # the foreign-count items' step
        by_term["foreign"] = by_term.get("foreign", 0.0) + rest
    return Addition(item, prob.names[item], change, by_term, tuple(per_partner))
