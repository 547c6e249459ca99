"""Reports of compared scenarios and efficient frontiers: for a terminal and as a folder of files.

    print(format_comparison(cmp))                  # the terminal table
    write_comparison_report(cmp, "out")            # out/summary.csv, portfolios.csv, diffs.csv,
                                                   # out/comparison_*.png, out/report.md, out/report.html
    print(format_frontier(fr))
    write_frontier_report(fr, "out")               # out/frontier.csv, frontier.png, report.md, report.html

``report.md`` links the figures beside it; ``report.html`` is self-contained
(figures as base64 data URIs, inline CSS), so it can be mailed on its own.
Every file is written under a temporary name in the folder and renamed into
place: nothing is written outside the folder, and a symbolic link planted at
a report file's name is replaced, never followed.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimizer.core.files import write_text
from optimizer.domain.terms import BY_NAME, Term
from optimizer.reports.decision_report import robust_blocks, takes_blocks, write_robustness_tables
from optimizer.reports.document import draw_figures, write_document
from optimizer.reports.figures import plot_comparison, plot_frontier
from optimizer.reports.markdown import markdown_table

if TYPE_CHECKING:
    from optimizer.analysis.compare import Comparison
    from optimizer.analysis.frontier import Frontier
    from optimizer.analysis.robust import Robustness

#: rows of the terminal table (then every objective term)
TERMINAL_ROWS = ("termination", "objective", "gap", "size", "domains_covered", "foreign_share")

FRONTIER_COLUMNS = ("value", "used", "termination", "objective", "gap", "size", "added", "dropped")

_CHANGE_SHOWN = 0.005   # term changes that round to 0.00 are left out of the explanations


# ============================================================================ terminal
def format_comparison(cmp: Comparison) -> str:
    """The comparison as a terminal table: status, objective, gap, size, coverage, foreign share and
    each objective term per scenario, then the reason of every scenario without a portfolio."""
    summary = cmp.summary()
    on_scale = [r for r in summary.index if r.startswith("objective at ")]   # every portfolio on one scale
    rows = [r for r in TERMINAL_ROWS if r in summary.index]
    rows = rows[:rows.index("objective") + 1] + on_scale + rows[rows.index("objective") + 1:] if "objective" in rows \
        else rows
    rows += [r for r in summary.index if r.startswith("term: ")]
    table = summary.loc[rows].copy()
    shown = pd.DataFrame({name: [_cell(row, table.at[row, name]) for row in rows]
                          for name in [*cmp.names, *cmp.invalid]}, index=[r.replace("_", " ") for r in rows])
    lines = [shown.to_string()]
    first = cmp.names[0]
    scales = [(name, scale_sentence(cmp, first, name)) for name in cmp.names[1:] if cmp.results[name].has_solution
              and cmp.results[first].has_solution]
    if any(text for _, text in scales):
        lines += ["", "What each change is made of (partners vs weights):"]
        lines += [f"  {name}: {text}" for name, text in scales if text]
    lines += ["", "What limits each portfolio (values in points of the model's objective):"]
    for name in cmp.names:
        lines += [f"  {name}: {sentence}" for sentence in limit_sentences(cmp, name)]
    lines += [f"  {name}: invalid variant, not solved: {why}" for name, why in cmp.invalid.items()]
    return "\n".join(lines)


def limit_sentences(cmp: Comparison, name: str) -> list[str]:
    """Why scenario `name`'s portfolio is not larger (binding limits, or the cost of one more
    alliance), or why it has none; and what the model changed in its settings (a raised size target)."""
    res = cmp.results[name]
    if not res.has_solution:
        return [f"no portfolio ({res.termination.value})" + (f": {res.message}" if res.message else "")]
    return [*(f"Note: {note}." for note in res.report.compiled.notes), *res.report.what_limits().sentences()]


def format_frontier(fr: Frontier) -> str:
    """The frontier as a terminal table: value, resource used, termination, objective, gap, size, added,
    dropped, the current limit marked; then where the portfolio changes, in words."""
    shown = _frontier_table(fr)
    return "\n".join([shown.to_string(index=False), *_frontier_changes(fr, _candidate_names(fr.comparison))])


def _frontier_table(fr: Frontier) -> pd.DataFrame:
    """One row per portfolio of the frontier: from which value (for a limit: the portfolio's own use) up
    to which it is the best, its objective, gap and size, what changed, the current setting marked."""
    steps = fr.steps()
    what = "limit" if fr.vary != "cost_weight" else "weight"
    shown = pd.DataFrame({
        f"{fr.vary} from": [_cell("", v) for v in steps["start"]],
        "to": [_cell("", v) + ("" if k + 1 < len(steps) else " (largest solved)") for k, v in enumerate(steps["end"])],
        "termination": steps["termination"].tolist(),
        "objective": [_cell("", v) for v in steps["objective"]],
        "partners": [_cell("", v) for v in steps["size"]],
        "added": steps["added"].tolist(), "dropped": steps["dropped"].tolist(),
        "": [f"<- current {what}" if flag else "" for flag in steps["current"]],
    })
    return shown


def _frontier_changes(fr: Frontier, names: dict[str, str] | None = None) -> list[str]:
    """'budget from 131.2: in: Turin (C042)': where the portfolio changes, at the exact value when known."""
    table = fr.table
    if "changed" not in table.columns:
        return []
    out = []
    for k in np.flatnonzero(table["changed"].to_numpy(dtype=bool)):
        row, before = table.iloc[k], table.iloc[k - 1]
        added, dropped = (_ids(row[c]) for c in ("added", "dropped"))
        what = "; ".join(p for p in (f"in: {_named(added, names or {})}" if added else "",
                                     f"out: {_named(dropped, names or {})}" if dropped else "") if p)
        if fr.vary == "cost_weight":
            out.append(f"cost weight {_cell('', row['value'])}: {what}")
        elif bool(row.get("exact", False)):
            out.append(f"{fr.vary} from {_cell('', row['used'])} (exactly): {what}")
        else:
            out.append(f"{fr.vary} between {_cell('', before['value'])} and {_cell('', row['value'])}: {what}")
    return (["", "Where the portfolio changes (it stays the same between these values):"] + out) if out else []


def _cell(row: str, value: Any) -> str:
    """A value as shown in the tables: gaps and shares in percent, numbers to 4 significant digits."""
    if _missing(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, numbers.Real):
        number = float(value)
        if row in ("gap", "foreign_share"):
            return f"{number:.2%}"
        if number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        return f"{number:.4g}"
    return str(value)


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and math.isnan(value)


# ============================================================================ explanations
def describe_term_changes(changes: pd.Series | pd.DataFrame) -> str:
    """'reputation +13.06 (more reputable partners), redundancy -2.45 (...)': the terms that moved,
    largest first; '' when none did. Given `Comparison.decompose`'s table (total, partners, weights),
    each term also says how much of its change the partners made and how much the weights did, and
    the words describe the partners' part only (a weight that rose says nothing about the partners)."""
    split = changes if isinstance(changes, pd.DataFrame) else None
    total = changes["total"].drop("objective", errors="ignore") if split is not None else changes
    moved = total[total.abs() >= _CHANGE_SHOWN]
    moved = moved.reindex(moved.abs().sort_values(ascending=False).index)
    parts = []
    for term, delta in moved.items():
        # the terms are signed contributions, so a cost term that falls means a higher cost
        row = BY_NAME.get(str(term), Term(str(term), "linear", "gain"))
        if split is None:
            parts.append(f"{term} {delta:+.2f} ({row.words(rising=delta > 0)})")
            continue
        by_partners, by_weights = float(split.at[term, "partners"]), float(split.at[term, "weights"])
        if abs(by_weights) < _CHANGE_SHOWN:
            parts.append(f"{term} {delta:+.2f} ({row.words(rising=delta > 0)})")
        elif abs(by_partners) < _CHANGE_SHOWN:
            parts.append(f"{term} {delta:+.2f} (all from the weights: the partners' part is unchanged)")
        else:
            parts.append(f"{term} {delta:+.2f} (partners {by_partners:+.2f}: {row.words(rising=by_partners > 0)}; "
                         f"weights {by_weights:+.2f})")
    return ", ".join(parts)


def scale_sentence(cmp: Comparison, first: str, name: str) -> str:
    """The change of objective split into the part the partners make (both portfolios scored with
    `first`'s weights) and the part the weights make; '' when the weights are the same."""
    split = cmp.decompose(first, name)
    if split.empty:
        return ""
    by_partners, by_weights = (float(split.at["objective", c]) for c in ("partners", "weights"))
    if abs(by_weights) < _CHANGE_SHOWN:
        return ""
    on_scale = float(cmp.cross_terms(name, first).sum())
    return (f"Scored with {first}'s weights, this portfolio is worth {on_scale:.4g} points against "
            f"{float(cmp.cross_terms(first, first).sum()):.4g}: {by_partners:+.4g} from the choice of partners, "
            f"{by_weights:+.4g} from the weights (the scenario's own scoring).")


def _partner_line(row: dict) -> str:
    level = f", level {row['level']}" if str(row.get("level") or "") else ""
    kept = f"; kept by {row['kept by']}" if row.get("kept by") else ""
    return (f"{row['name']} ({row['id']}, {row['region']}{level}; contribution {_cell('', row['contribution'])}"
            f"{kept})")


def _explain(cmp: Comparison, first: str, name: str) -> list[tuple[str, Any]]:
    """Blocks that say why scenario `name` differs from `first`."""
    res, ref = cmp.results[name], cmp.results[first]
    blocks: list[tuple[str, Any]] = [("h3", f"{name} vs {first}")]
    if not res.has_solution:
        reason = res.message or "no portfolio found"
        blocks.append(("p", f"No portfolio ({res.termination.value}): {reason}"))
        return blocks
    if not ref.has_solution:
        blocks.append(("p", f"{first} has no portfolio ({ref.termination.value}), so there is nothing to compare "
                            f"with; {name} finds one with objective {_cell('', res.objective)}."))
        return blocks
    delta = res.objective - ref.objective
    sizes = (_size(cmp, first), _size(cmp, name))
    text = (f"Objective {_cell('', ref.objective)} -> {_cell('', res.objective)} ({delta:+.4g}); "
            + (f"{sizes[0]} -> {sizes[1]} partners." if sizes[0] != sizes[1] else f"{sizes[0]} partners in both."))
    if res.termination.value != "optimal":
        text += f" Not proven optimal ({res.termination.value}, gap {_cell('gap', res.gap)})."
    scale = scale_sentence(cmp, first, name)
    if scale:
        text += " " + scale
    for note in res.report.compiled.notes:    # what the model changed in the settings, e.g. a raised size target
        text += f" Note: {note}."
    blocks.append(("p", text))
    diff = cmp.diff(first, name)
    items = []
    for change, label in (("added", "Added"), ("dropped", "Dropped"), ("level", "Other level")):
        part = diff[diff["change"] == change]
        if len(part):
            items.append(f"{label}: " + "; ".join(_partner_line(r) for r in part.to_dict("records")))
    if not items:
        items.append(f"Same partners as {first}.")
    terms = describe_term_changes(cmp.decompose(first, name))
    items.append("Objective terms: " + (terms or "no term changed"))
    blocks.append(("ul", items))
    return blocks


def _size(cmp: Comparison, name: str) -> int:
    return len(cmp._partners(name))


# ============================================================================ files
def write_comparison_report(cmp: Comparison, folder: str | os.PathLike, title: str | None = None,
                            frontier: Frontier | None = None, takes: pd.DataFrame | None = None,
                            robust: Robustness | None = None) -> Path:
    """Write the comparison into `folder` (created if needed) and return the path of report.md.

    Files: summary.csv (one column per scenario), portfolios.csv (partners x scenarios), diffs.csv
    (partners added, dropped or at another level in each scenario against the first), the figures
    (comparison_metrics.png, comparison_network.png; frontier.png with `frontier`), report.md and
    the self-contained report.html. `takes` (what_it_takes's table) and `robust` (robustness's answer)
    add their sections, charts and CSV files (optimizer.reports.decision_report).
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    names = cmp.names
    first = names[0]
    summary = cmp.summary()
    write_text(out / "summary.csv", summary.to_csv(index_label="metric"))
    write_text(out / "portfolios.csv", cmp.portfolios().to_csv(index_label="id"))
    write_text(out / "diffs.csv", _diffs(cmp).to_csv(index=False))

    title = title or f"Scenario comparison: {', '.join(names)}"
    blocks: list[tuple[str, Any]] = [("h1", title)]
    options = ", ".join(f"{k}={v}" for k, v in cmp.solve_options.items() if v is not None)
    intro = (f"{len(names)} scenarios, each compared with the first ({first}). "
             f"Solved with {options or 'the default options'}.")
    blocks.append(("p", intro))
    missing = [n for n in names if not cmp.results[n].has_solution]
    if missing:
        blocks.append(("p", "Without a portfolio: " + "; ".join(
            f"{n} ({cmp.results[n].termination.value}: {cmp.results[n].message or 'no portfolio found'})"
            for n in missing)))
    if cmp.invalid:
        blocks.append(("p", "Invalid variants, not solved: " + "; ".join(f"{n} ({why})"
                                                                          for n, why in cmp.invalid.items())))
    blocks += [("h2", "Summary"), ("table", _shown_summary(summary))]
    portfolios = cmp.portfolios()
    if len(portfolios):
        blocks += [("h2", "Portfolios"), ("p", "The engagement level of each chosen partner in each scenario "
                                               "('chosen' without levels; blank when left out)."),
                   ("table", portfolios)]
    blocks += [("h2", "What limits each portfolio"),
               ("p", "Which limits leave no room and, where none does, what stops the portfolio from growing. "
                     "Values are points of the model's objective (knowledge gains minus costs), not money."),
               ("ul", [f"{name}: " + " ".join(limit_sentences(cmp, name)) for name in names])]
    blocks.append(("h2", "Why the portfolios differ"))
    blocks.append(("p", "Each scenario against the first. A partner's contribution is the objective it adds to "
                        "the portfolio that has it (what dropping it would cost); the objective terms are the "
                        "changes of each part of the objective."))
    if len(names) == 1:
        blocks.append(("p", "Only one scenario: nothing to compare."))
    for name in names[1:]:
        blocks += _explain(cmp, first, name)
    for name, why in cmp.invalid.items():
        blocks += [("h3", f"{name} vs {first}"), ("p", f"Invalid variant, not solved: {why}")]

    figures = draw_figures(lambda: plot_comparison(cmp, out / "comparison.png"), out)
    if isinstance(figures, str):
        blocks += [("h2", "Figures"), ("p", f"Figures not drawn: {figures}.")]
    elif figures:
        blocks.append(("h2", "Figures"))
        blocks += [("img", p) for p in figures]
    if frontier is not None:
        blocks += _frontier_blocks(frontier, out, level="h2")
    if takes is not None:
        write_text(out / "what_it_takes.csv", takes.to_csv(index=False))
        blocks += takes_blocks(takes, out, subject=takes.attrs.get("scenario", ""))
    if robust is not None:
        write_robustness_tables(robust, out)
        blocks += robust_blocks(robust, out)
    return write_document(blocks, out, title)


def write_frontier_report(fr: Frontier, folder: str | os.PathLike, title: str | None = None) -> Path:
    """Write the frontier into `folder`: frontier.csv (every column of the table), frontier.png,
    report.md and report.html; return the path of report.md."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "frontier.csv", fr.table.to_csv(index=False))
    title = title or f"Efficient frontier: {fr.vary}"
    blocks: list[tuple[str, Any]] = [("h1", title)]
    blocks += _frontier_blocks(fr, out, level=None)
    return write_document(blocks, out, title)


def _frontier_blocks(fr: Frontier, out: Path, level: str | None) -> list[tuple[str, Any]]:
    table = fr.table
    blocks: list[tuple[str, Any]] = []
    if level:
        blocks.append((level, f"Efficient frontier: {fr.vary}"))
    if len(table):
        values = table["value"]
        what = ("every cost weight multiplied by" if fr.vary == "cost_weight" else f"the {fr.vary} limit set to")
        text = (f"The best portfolio with {what} each of {len(table)} values from {_cell('', values.min())} to "
                f"{_cell('', values.max())}; each point is solved to optimality unless a time limit stops it "
                f"(see termination and gap).")
        if fr.vary != "cost_weight":
            text += (f" Each row is one portfolio, the best for every {fr.vary} limit from its own use up to the "
                     f"next row; {fr.refined} of the points were solved to find exactly where the portfolio "
                     f"changes. frontier.csv holds every point solved.")
        blocks.append(("p", text))
    shown = _frontier_table(fr)
    blocks.append(("table", shown.set_index(shown.columns[0])))
    names = _candidate_names(fr.comparison)
    if len(table) and fr.comparison.results[table["scenario"].iloc[0]].has_solution:
        start = sorted(fr.comparison._partners(table["scenario"].iloc[0]))
        blocks.append(("p", f"At {fr.vary} = {_cell('', table['value'].iloc[0])} the portfolio is "
                            f"{_named(start, names) or 'empty'}."))
    changes = _frontier_changes(fr, names)
    if changes:
        blocks += [("p", changes[1]), ("ul", changes[2:])]
    elif len(table) > 1:
        blocks.append(("p", "The portfolio is the same at every point."))
    figure = draw_figures(lambda: [plot_frontier(fr, out / "frontier.png")], out)
    if isinstance(figure, str):
        blocks.append(("p", f"Figure not drawn: {figure}."))
    else:
        blocks += [("img", p) for p in figure]
    return blocks


def _candidate_names(cmp: Comparison) -> dict[str, str]:
    if not cmp.scenarios:
        return {}
    cand = next(iter(cmp.scenarios.values())).candidates
    return dict(zip(cand["id"].astype(str), cand["name"].astype(str)))


def _ids(text: Any) -> list[str]:
    return [] if _missing(text) else [t.strip() for t in str(text).split(",") if t.strip()]


def _named(ids: Iterable[str], names: dict[str, str]) -> str:
    return ", ".join(f"{names[i]} ({i})" if i in names else i for i in ids)


def _diffs(cmp: Comparison) -> pd.DataFrame:
    """diff() of every scenario against the first, for the scenarios where both have a portfolio."""
    names = cmp.names
    frames = []
    for name in names[1:]:
        if cmp.results[names[0]].has_solution and cmp.results[name].has_solution:
            d = cmp.diff(names[0], name)
            d.insert(0, "scenario", name)
            d.insert(1, "compared_with", names[0])
            frames.append(d)
    cols = ["scenario", "compared_with", "change", "id", "name", "region", "level", "contribution", "in"]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def _shown_summary(summary: pd.DataFrame) -> pd.DataFrame:
    shown = pd.DataFrame({c: [_cell(r, summary.at[r, c]) for r in summary.index] for c in summary.columns},
                         index=summary.index)
    return shown[[any(v != "" for v in row) for row in shown.itertuples(index=False)]]


__all__ = ["describe_term_changes", "format_comparison", "format_frontier", "limit_sentences", "markdown_table",
           "scale_sentence", "write_comparison_report", "write_frontier_report"]
