"""Report sections for a manager's next questions: what it would take to change the portfolio, and
how sure the recommendation is when the estimates are off.

    write_takes_report(what_it_takes(sc), "out")        # out/what_it_takes.csv, .png, report.md, report.html
    write_robustness_report(robustness(sc), "out")      # out/robustness_samples.csv, robustness_inclusion.csv,
                                                        # robustness.png, report.md, report.html

The same sections go into a comparison report when its comparison file asks for them
(``[what_it_takes]``, ``[robust]``): `takes_blocks` and `robust_blocks`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from optimizer.core.files import write_text
from optimizer.reports.document import Block, draw_figures, write_document
from optimizer.reports.figures import plot_robustness, plot_what_it_takes

if TYPE_CHECKING:
    from optimizer.analysis.robust import Robustness
    from optimizer.analysis.sensitivity import EntryPoint

SHOWN = 10     # rows of each ranked table in a report (the CSV has them all)


def takes_blocks(table: pd.DataFrame, out: Path, level: str = "h2", subject: str = "",
                 entries: Sequence[EntryPoint] = ()) -> list[Block]:
    """What it takes (optimizer.analysis.sensitivity.what_it_takes) as report blocks, the chart drawn into `out`;
    `entries` (subsidy_to_enter, limit_to_enter) add what other change would bring a partner in."""
    blocks: list[Block] = [(level, "What it takes" + (f": {subject}" if subject else ""))]
    blocks.append(("p", "For each candidate left out, how many points its gain would have to rise for it to enter "
                        "the best portfolio; for each chosen partner, how far its gain can fall before it leaves. "
                        "Each threshold is exact, from one solve (proven where the column says so), and comes with "
                        "the portfolio at that point."))
    threshold = pd.to_numeric(table["threshold"], errors="coerce")
    for status, label in (("left out", "Closest to entering"), ("chosen", "Closest to leaving")):
        part = table[(table["status"] == status) & np.isfinite(threshold)].sort_values("threshold").head(SHOWN)
        if len(part):
            shown = part[["id", "name", "threshold", "proven", "portfolio at threshold"]].set_index("id")
            blocks += [("p", f"{label} ({len(part)} of {int((table['status'] == status).sum())}):"), ("table", shown)]
    notes = table[table["note"].astype(str).str.startswith(("no feasible", "excluded", "mandatory"))]
    if len(notes):
        blocks.append(("ul", [f"{r.name} ({r.id}): {r.note}" for r in notes.itertuples()]))
    if entries:
        blocks += [("p", "What else would bring a partner in (the smallest subsidy share of its budget cost, the "
                         "smallest budget), each with the portfolio there:"), ("ul", [str(e) for e in entries])]
    figure = draw_figures(lambda: [plot_what_it_takes(table, out / "what_it_takes.png")], out)
    blocks += [("p", f"Figure not drawn: {figure}.")] if isinstance(figure, str) else [("img", p) for p in figure]
    return blocks


def robust_blocks(rob: Robustness, out: Path, level: str = "h2") -> list[Block]:
    """Robustness (optimizer.analysis.robust.robustness) as report blocks, the chart drawn into `out`."""
    lines = rob.summary().splitlines()
    blocks: list[Block] = [(level, "How sure is the recommendation? Robustness to estimates"),
                           ("p", lines[0]), ("ul", [line.strip() for line in lines[1:]])]
    quantiles = rob.value_quantiles()
    if len(quantiles):
        values = pd.DataFrame({"recommended portfolio": quantiles})
        if "robust value" in rob.samples and rob.robust is not None:
            robust = rob.samples["robust value"].to_numpy(dtype=float)
            values["robust portfolio"] = [robust.min(), np.quantile(robust, 0.05), np.median(robust),
                                          np.quantile(robust, 0.95), robust.max(), robust.mean(), rob.robust.value]
        blocks += [("p", "The value of the portfolio over the samples (points; the recommended one where it meets "
                         "every limit):"), ("table", values.T)]
    inclusion = rob.inclusion[rob.inclusion["frequency"] > 0].head(2 * SHOWN)
    if len(inclusion):
        shown = inclusion.assign(frequency=[f"{v:.0%}" for v in inclusion["frequency"]]).set_index("id")
        blocks += [("p", "How often each partner is in the best portfolio of a sample:"), ("table", shown)]
    figure = draw_figures(lambda: [plot_robustness(rob, out / "robustness.png")], out)
    blocks += [("p", f"Figure not drawn: {figure}.")] if isinstance(figure, str) else [("img", p) for p in figure]
    return blocks


def write_robustness_tables(rob: Robustness, out: Path) -> list[Path]:
    """robustness_samples.csv (one row per sample) and robustness_inclusion.csv (one row per candidate)."""
    paths = [out / "robustness_samples.csv", out / "robustness_inclusion.csv"]
    write_text(paths[0], rob.samples.drop(columns=["portfolio"]).to_csv(index=False))
    write_text(paths[1], rob.inclusion.to_csv(index=False))
    return paths


def write_takes_report(table: pd.DataFrame, folder: str | os.PathLike, title: str | None = None,
                       entries: Sequence[EntryPoint] = ()) -> Path:
    """Write what_it_takes.csv, what_it_takes.png, report.md and report.html into `folder`; the .md path."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "what_it_takes.csv", table.to_csv(index=False))
    title = title or "What it takes"
    return write_document([("h1", title), *takes_blocks(table, out, level="h2", entries=entries)[1:]], out, title)


def write_robustness_report(rob: Robustness, folder: str | os.PathLike, title: str | None = None) -> Path:
    """Write the robustness tables, robustness.png, report.md and report.html into `folder`; the .md path."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    write_robustness_tables(rob, out)
    title = title or f"Robustness of {rob.scenario.name} to its estimates"
    return write_document([("h1", title), *robust_blocks(rob, out)[1:]], out, title)


__all__ = ["robust_blocks", "takes_blocks", "write_robustness_report", "write_robustness_tables",
           "write_takes_report"]
