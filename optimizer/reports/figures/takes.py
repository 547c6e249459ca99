"""The what-it-takes figure: how far each partner is from changing the portfolio, ranked."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from optimizer.reports.figures.canvas import MUTED, new_figure, save

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SHOWN = 12    # partners per panel: the closest to changing the portfolio


def takes_figure(table: pd.DataFrame) -> Figure:
    """Two ranked bar panels from `optimizer.analysis.sensitivity.what_it_takes`: the candidates left
    out closest to entering (the gain they need), and the chosen partners closest to leaving (the
    gain they can lose); unproven thresholds hatched."""
    panels = [("left out", "gain needed to enter (points)", "#4e79a7"),
              ("chosen", "gain that can be lost before it leaves (points)", "#59a14f")]
    fig = new_figure(13.0, 5.8)
    fig.suptitle("What it takes: the partners closest to changing the portfolio", fontsize=13, fontweight="bold")
    axes = fig.subplots(1, 2)
    for ax, (status, label, colour) in zip(axes, panels):
        part = table[(table["status"] == status) & np.isfinite(pd.to_numeric(table["threshold"], errors="coerce"))]
        part = part.sort_values("threshold").head(SHOWN).iloc[::-1]     # closest at the top
        ys = np.arange(SHOWN - len(part), SHOWN)      # always SHOWN rows: a lone bar keeps a bar's height
        values = part["threshold"].astype(float).to_numpy()
        bars = ax.barh(ys, values, color=colour, height=0.65)
        for bar, proven in zip(bars, part["proven"].astype(bool)):
            if not proven:
                bar.set_hatch("//")
                bar.set_facecolor("white")
                bar.set_edgecolor(colour)
        ax.set_yticks(ys)
        ax.set_yticklabels([f"{n} ({i})" for n, i in zip(part["name"], part["id"])], fontsize=8)
        for y, v in zip(ys, values):
            ax.annotate(f"{v:.3g}", (v, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
        ax.set_xlabel(label)
        ax.set_title(f"{status} ({len(table[table['status'] == status])} in all, the {len(part)} closest)",
                     fontsize=10, loc="left")
        if not len(part):
            ax.text(0.5, 0.5, "none", transform=ax.transAxes, ha="center", color=MUTED)
        ax.set_ylim(-0.6, SHOWN - 0.4)
        ax.margins(x=0.18)
        ax.grid(axis="x", alpha=0.3)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.subplots_adjust(left=0.2, right=0.98, top=0.86, bottom=0.12, wspace=0.75)
    return fig


def plot_what_it_takes(table: pd.DataFrame, path: Path) -> Path:
    """Write the what-it-takes figure as a PNG at `path` (or `path/what_it_takes.png` for a folder)."""
    path = Path(path)
    return save(takes_figure(table), path if path.suffix else path / "what_it_takes.png")
