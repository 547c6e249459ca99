"""The robustness figure: how often each partner is the right choice, and what the portfolio is worth."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from optimizer.reports.figures.canvas import MUTED, new_figure, save

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from optimizer.analysis.robust import Robustness

SHOWN = 15    # partners in the inclusion panel: the most often chosen
RECOMMENDED, ROBUST, OTHER = "#4e79a7", "#f28e2b", "#bab0ac"


def robust_figure(rob: Robustness) -> Figure:
    """Inclusion frequencies as ranked bars (coloured by the portfolio that holds the partner) beside
    the distribution of the recommended (and the robust) portfolio's value over the samples."""
    fig = new_figure(13.0, 5.8)
    fig.suptitle(f"How sure is the recommendation? {len(rob.samples)} samples of the estimates",
                 fontsize=13, fontweight="bold")
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1.0]})
    _inclusion_panel(left, rob)
    _value_panel(right, rob)
    fig.subplots_adjust(left=0.22, right=0.98, top=0.86, bottom=0.12, wspace=0.3)
    return fig


def _inclusion_panel(ax: Axes, rob: Robustness) -> None:
    """Ranked bars: the share of samples whose best portfolio holds each partner."""
    part = rob.inclusion[rob.inclusion["frequency"] > 0].head(SHOWN).iloc[::-1]
    ys = np.arange(SHOWN - len(part), SHOWN)
    colours = [RECOMMENDED if r else ROBUST if b else OTHER for r, b in zip(part["recommended"], part["robust"])]
    ax.barh(ys, part["frequency"].to_numpy(dtype=float) * 100, color=colours, height=0.65)
    for y, v, rec, robust in zip(ys, part["frequency"], part["recommended"], part["robust"]):
        mark = " R" if robust and not rec else ""
        ax.annotate(f"{v:.0%}{mark}", (v * 100, y), xytext=(3, 0), textcoords="offset points", va="center",
                    fontsize=8)
    ax.set_yticks(ys)
    ax.set_yticklabels([f"{n} ({i})" for n, i in zip(part["name"], part["id"])], fontsize=8)
    ax.set_xlim(0, 112)
    ax.set_ylim(-0.6, SHOWN - 0.4)
    ax.set_xlabel("samples whose best portfolio holds the partner (%)")
    ax.set_title("inclusion: blue = recommended, orange R = only in the robust portfolio", fontsize=10, loc="left")
    ax.grid(axis="x", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _value_panel(ax: Axes, rob: Robustness) -> None:
    """Histograms of the value of the recommended and the robust portfolio in each sample."""
    s = rob.samples
    rec = s.loc[s["recommended feasible"], "recommended value"].to_numpy(dtype=float)
    same = rob.robust is not None and dict(rob.robust.portfolio) == dict(rob.recommended_portfolio)
    series = [("recommended portfolio, also the robust one" if same else "recommended portfolio", rec, RECOMMENDED)]
    if "robust value" in s and not same:
        series.append(("robust portfolio", s["robust value"].to_numpy(dtype=float), ROBUST))
    values = np.concatenate([v for _, v, _ in series]) if series else np.zeros(0)
    if not values.size:
        ax.text(0.5, 0.5, "the recommended portfolio breaks a limit in every sample", transform=ax.transAxes,
                ha="center", color=MUTED)
        return
    bins = np.linspace(values.min(), values.max() + 1e-9, 25)
    for label, v, colour in series:
        ax.hist(v, bins=bins, color=colour, alpha=0.55, label=f"{label} (worst {v.min():.3g})")
    ax.axvline(float(rob.recommended.objective), color="black", linestyle="--", linewidth=1,
               label=f"at today's estimates ({rob.recommended.objective:.3g})")
    ax.set_xlabel("value in the sample (points)")
    ax.set_ylabel("samples")
    ax.yaxis.get_major_locator().set_params(integer=True)
    broken = int((~s["recommended feasible"]).sum())
    note = f"; breaks a limit in {broken}" if broken else ""
    ax.set_title(f"value of the portfolio over the samples{note}", fontsize=10, loc="left")
    ax.legend(fontsize=8, frameon=True, framealpha=0.9, loc="best")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def plot_robustness(rob: Robustness, path: Path) -> Path:
    """Write the robustness figure as a PNG at `path` (or `path/robustness.png` for a folder)."""
    path = Path(path)
    return save(robust_figure(rob), path if path.suffix else path / "robustness.png")
