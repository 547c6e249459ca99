"""The frontier figure: the best objective as a limit or the cost weight varies, and the gain-cost trade-off."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimizer.reports.figures.canvas import MUTED, new_figure, save

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from optimizer.analysis.frontier import Frontier


def _change_lines(added: Any, dropped: Any, limit: int = 4) -> list[str]:
    """'+C1, +C2' / '−C3' lines for a portfolio change, two ids a line, long lists cut short."""
    lines = []
    for sign, text in (("+", added), ("\u2212", dropped)):
        ids = [s.strip() for s in str(text if isinstance(text, str) else "").split(",") if s.strip()]
        shown = [sign + s for s in ids[:limit]]
        lines += [", ".join(shown[j:j + 2]) for j in range(0, len(shown), 2)]
        if len(ids) > limit:
            lines[-1] += f" (+{len(ids) - limit} more)"
    return lines


def frontier_figure(fr: Frontier) -> Figure:
    """Objective (and bound) against the varied setting; with gain and cost, the trade-off curve."""
    table = fr.table.sort_values("value").reset_index(drop=True)
    trade_off = ({"gain", "cost"} <= set(table.columns)
                 and pd.to_numeric(table["gain"], errors="coerce").notna().any())
    fig = new_figure(14.0 if trade_off else 8.5, 6.0)
    axes = list(fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.35, 1.0]})) if trade_off else [fig.add_subplot()]
    what = "the cost weight" if fr.vary == "cost_weight" else f"the {fr.vary} limit"
    fig.suptitle(f"Efficient frontier: the best portfolio as {what} changes", fontsize=13, fontweight="bold")
    # margins first: the change notes are laid out in axes fractions of the final size
    fig.subplots_adjust(left=0.06, right=0.98, top=0.87, bottom=0.2, wspace=0.22)
    _objective_panel(axes[0], fig, fr, table)
    if trade_off:
        _trade_off_panel(axes[1], fr, table)
    for a in axes:
        a.grid(alpha=0.3)
        for side in ("top", "right"):
            a.spines[side].set_visible(False)
    return fig


def _objective_panel(ax: Axes, fig: Figure, fr: Frontier, table: pd.DataFrame) -> None:
    """The best objective against the varied value: a step function over a limit, points marked proven or
    not, the bound where it differs, values without a portfolio, and a note at each portfolio change."""
    limit = fr.vary != "cost_weight"
    v = table["value"].astype(float).to_numpy()
    obj = pd.to_numeric(table["objective"], errors="coerce").to_numpy(dtype=float)
    bound = pd.to_numeric(table["bound"], errors="coerce").to_numpy(dtype=float)
    gap = pd.to_numeric(table["gap"], errors="coerce").to_numpy(dtype=float)
    optimal = table["optimal"].fillna(False).astype(bool).to_numpy()
    has = np.isfinite(obj)
    if limit:
        _steps(ax, fr, table)
    else:
        ax.plot(v[has], obj[has], color="#4e79a7", linewidth=1.8, zorder=2)
    ax.scatter(v[has & optimal], obj[has & optimal], s=46, color="#4e79a7", zorder=3, label="objective (optimal)")
    loose = has & ~optimal
    if loose.any():
        ax.scatter(v[loose], obj[loose], s=60, facecolors="white", edgecolors="#4e79a7", linewidths=1.6, zorder=3,
                   label="objective (not proven optimal)")
        for x, y, gp in zip(v[loose], obj[loose], gap[loose]):
            if np.isfinite(gp):
                ax.annotate(f"gap {gp:.1%}", (x, y), xytext=(6, -12), textcoords="offset points", fontsize=7.5,
                            color="#4e79a7")
    differs = np.isfinite(bound) & (~has | (np.abs(bound - np.where(has, obj, 0.0))
                                            > 1e-6 * np.maximum(1.0, np.abs(np.where(has, obj, 0.0)))))
    if differs.any():
        bmask = np.isfinite(bound)
        ax.plot(v[bmask], bound[bmask], color=MUTED, linestyle="--", linewidth=1.2, marker="v", markersize=4,
                zorder=1, label="bound")
    for x, term in zip(v[~has], table["termination"][~has]):
        ax.scatter([x], [0.04], marker="x", s=50, color="#b22222", transform=ax.get_xaxis_transform(), zorder=4)
        ax.annotate(str(term).replace("_", " ") + ": no portfolio", (x, 0.08), xycoords=ax.get_xaxis_transform(),
                    xytext=(-3, 0), textcoords="offset points", rotation=90, ha="right", va="bottom", fontsize=7.5,
                    color="#b22222")
    if (~has).any():
        ax.scatter([], [], marker="x", color="#b22222", label="no portfolio")
    lowest = _change_notes(ax, fig, table, limit)
    finite = np.concatenate([obj[has], bound[differs]])
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi - lo < 1e-9:
        lo, hi = lo - max(abs(lo), 1.0) * 0.1, hi + max(abs(hi), 1.0) * 0.1
    # the curve fills the band between a small bottom margin and the lowest change note
    floor, ceiling = 0.08, (max(0.35, lowest - 0.04) if lowest < 1.0 else 0.92)
    total = (hi - lo) / (ceiling - floor)
    ax.set_ylim(lo - floor * total, lo - floor * total + total)
    if len(v) > 1:
        span = float(v.max() - v.min())
        ax.set_xlim(v.min() - 0.06 * span, v.max() + 0.06 * span)
    ax.set_xlabel("cost weight (multiple of the base cost weights)" if not limit else
                  f"{fr.vary} limit (each portfolio is the best from its own {fr.vary} use on)")
    ax.set_ylabel("objective")
    ax.set_title("objective against the varied setting", fontsize=10, loc="left")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.11), ncol=min(3, len(handles)), fontsize=7.5,
              frameon=False)


def _steps(ax: Axes, fr: Frontier, table: pd.DataFrame) -> None:
    """The best objective within a limit is a step function: constant from one portfolio's use to the
    next one's (the points just below each use were solved, so the steps fall where they change)."""
    steps = fr.steps()
    found = pd.to_numeric(steps["objective"], errors="coerce").notna().to_numpy()
    xs = np.append(steps["start"].to_numpy(dtype=float)[found], float(steps["end"].iloc[-1]))
    ys = pd.to_numeric(steps["objective"], errors="coerce").to_numpy(dtype=float)[found]
    if ys.size:
        ax.step(xs, np.append(ys, ys[-1]), where="post", color="#4e79a7", linewidth=1.8, zorder=2)
    if "current" in table.columns and table["current"].any():
        current = float(table.loc[table["current"].astype(bool), "value"].iloc[0])
        ax.axvline(current, color="#b22222", linestyle="--", linewidth=1.2, zorder=1,
                   label=f"current {fr.vary} limit ({current:.4g})")


def _change_notes(ax: Axes, fig: Figure, table: pd.DataFrame, limit: bool) -> float:
    """A dotted line at the first value with a new portfolio, +added / -dropped in a box at the top; a box
    that would cover one already placed (close on the x axis, at the same height) goes below it instead.
    Returns the lowest box's bottom (axes fraction; 1.0 without changes)."""
    changed = (table["changed"].fillna(False).astype(bool).to_numpy() if "changed" in table.columns
               else np.zeros(len(table), bool))
    v = table["value"].astype(float).to_numpy()
    span = float(v.max() - v.min()) if len(v) > 1 else 1.0
    line_h = 7.5 * 1.1 / 72 / (ax.get_position().height * fig.get_figheight())  # one text line, axes fraction
    # one character's width in data units (the x axis spans 1.12 x the values; 0.6 em a character)
    char_w = 7.5 * 0.6 / 72 / (ax.get_position().width * fig.get_figwidth()) * 1.12 * span
    lowest, placed = 1.0, []   # placed: (left, right, top, bottom) of every box
    used = pd.to_numeric(table["used"], errors="coerce").to_numpy(dtype=float) if "used" in table.columns \
        else np.full(len(table), np.nan)
    for i in np.flatnonzero(changed):
        x = used[i] if limit and np.isfinite(used[i]) else v[i]      # a limit's change happens at the new use
        ax.axvline(x, color=MUTED, linestyle=":", linewidth=1, zorder=0)
        lines = _change_lines(table["added"].iloc[i] if "added" in table.columns else "",
                              table["dropped"].iloc[i] if "dropped" in table.columns else "") or ["changed"]
        half = (max(len(t) for t in lines) + 2) * char_w / 2
        height = len(lines) * line_h + 0.02
        near = [b for b in placed if b[0] < x + half and x - half < b[1]]
        top = next(t for t in sorted({0.985, *(b[3] - 0.015 for b in near)}, reverse=True)
                   if all(t - height >= b[2] or t <= b[3] for b in near))
        bottom = top - height
        placed.append((x - half, x + half, top, bottom))
        lowest = min(lowest, bottom)
        ax.text(x, top, "\n".join(lines), transform=ax.get_xaxis_transform(), ha="center", va="top",
                fontsize=7.5, linespacing=1.0, zorder=5,
                bbox=dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="#cccccc", linewidth=0.6))
    if changed.any():
        ax.plot([], [], color=MUTED, linestyle=":", label="portfolio changes (+added / \u2212dropped)")
    return lowest


def _trade_off_panel(ax2: Axes, fr: Frontier, table: pd.DataFrame) -> None:
    """Gain against cost, one point per distinct portfolio labelled by the values that share it."""
    v = table["value"].astype(float).to_numpy()
    optimal = table["optimal"].fillna(False).astype(bool).to_numpy()
    gain = pd.to_numeric(table["gain"], errors="coerce").to_numpy(dtype=float)
    cost = pd.to_numeric(table["cost"], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(gain) & np.isfinite(cost)
    ax2.plot(cost[ok], gain[ok], color="#59a14f", linewidth=1.5, zorder=2)
    ax2.scatter(cost[ok & optimal], gain[ok & optimal], s=46, color="#59a14f", zorder=3, label="optimal")
    if (ok & ~optimal).any():
        ax2.scatter(cost[ok & ~optimal], gain[ok & ~optimal], s=60, facecolors="white", edgecolors="#59a14f",
                    linewidths=1.6, zorder=3, label="not proven optimal")
    groups: dict[tuple[float, float], list[str]] = {}
    for x, y, val in zip(cost[ok], gain[ok], v[ok]):
        groups.setdefault((round(x, 6), round(y, 6)), []).append(f"{val:.4g}")
    ax2.margins(0.15)
    ax2.autoscale_view()
    to_axes = ax2.transData + ax2.transAxes.inverted()
    placed: list[tuple[float, float]] = []
    for (x, y), vals in groups.items():
        ax_x, ax_y = to_axes.transform((x, y))
        # right of the point unless a label already sits there, then left, then above
        for dx, dy, ha in ((6, -4, "left"), (-6, -4, "right"), (6, 12, "left")):
            spot = (ax_x + dx / 400 + (0.08 if ha == "left" else -0.08), ax_y + dy / 300)
            if all(abs(spot[0] - p[0]) > 0.16 or abs(spot[1] - p[1]) > 0.05 for p in placed):
                break
        placed.append(spot)
        ax2.annotate(", ".join(vals), (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=7.5,
                     va="top", ha=ha)
    ax2.set_xlabel("cost (coordination, redundancy, ties, conflict, complexity)")
    ax2.set_ylabel("gain (diversity, reputation, bonus, synergy, ...)")
    ax2.set_title(f"trade-off: gain against cost (points labelled by {fr.vary})", fontsize=10, loc="left")
    if ok.any():
        ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.11), ncol=2, fontsize=7.5, frameon=False)
    else:
        ax2.text(0.5, 0.5, "no portfolio found", transform=ax2.transAxes, ha="center", color=MUTED)


def plot_frontier(fr: Frontier, path: Path) -> Path:
    """Write the frontier figure as a PNG at `path` (or `path/frontier.png` for a folder)."""
    path = Path(path)
    out = path if path.suffix else path / "frontier.png"
    return save(frontier_figure(fr), out)
