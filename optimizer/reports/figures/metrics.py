"""The metrics figure: scenarios side by side, one panel per measure (objective by term, size, domains,
foreign share, resource use)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimizer.domain.terms import BY_NAME
from optimizer.reports.figures.canvas import (
    CONFLICT_COLOUR,
    EXTRA_COLOURS,
    MUTED,
    RESOURCE_COLOURS,
    has_portfolio,
    new_figure,
    status,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from optimizer.analysis.compare import Comparison


def metrics_figure(cmp: Comparison) -> Figure:
    """Panels with scenarios on the x axis: (a) objective by term, (b) size, (c) domains covered,
    (d) foreign share, (e) resource use; a scenario without a portfolio shows its status instead."""
    names = cmp.names
    solved = [n for n in names if has_portfolio(cmp, n)]
    missing = set(names) - set(solved)
    width = max(12.0, 2.0 + 2.4 * len(names))  # room for the scenario names under every panel
    fig = new_figure(width, 8.2)
    grid = fig.add_gridspec(2, 3, height_ratios=[1.15, 1.0], hspace=0.55, wspace=0.28)
    fig.suptitle("Scenarios compared", fontsize=13, fontweight="bold")

    _objective_panel(fig.add_subplot(grid[0, :2]), cmp, names, solved)

    metrics = {n: cmp.results[n].report.metrics() for n in solved}
    xs = [names.index(n) for n in solved]

    ax = fig.add_subplot(grid[0, 2])
    sizes = [float(metrics[n]["size"]) for n in solved]
    ax.bar(xs, sizes, color="#4e79a7", width=0.6)
    _bar_labels(ax, xs, sizes, "{:.0f}")
    ax.set_title("(b) portfolio size (partners)", fontsize=10, loc="left")
    ax.set_ylim(0, max(sizes + [1]) * 1.2)
    ax.yaxis.get_major_locator().set_params(integer=True)

    ax2 = fig.add_subplot(grid[1, 0])
    n_domains = max(len(cmp.scenarios[n].domains) for n in names)
    covered = [float(metrics[n]["domains_covered"]) for n in solved]
    ax2.bar(xs, covered, color="#59a14f", width=0.6)
    _bar_labels(ax2, xs, covered, "{:.0f}")
    ax2.axhline(n_domains, color=MUTED, linestyle=":", linewidth=1)
    ax2.set_ylim(0, max(n_domains, 1) * 1.18)
    ax2.set_title(f"(c) knowledge domains covered (of {n_domains})", fontsize=10, loc="left")
    ax2.yaxis.get_major_locator().set_params(integer=True)

    ax3 = fig.add_subplot(grid[1, 1])
    # the peer benchmark's foreign-share range, so the bar reads against its target
    for x, name in enumerate(names):
        peers = cmp.scenarios[name].peers
        ax3.fill_between([x - 0.4, x + 0.4], peers.foreign_share_min, peers.foreign_share_max,
                         color="#dddddd", zorder=0, label="peer range" if x == 0 else None)
    shares = [float(metrics[n]["foreign_share"]) for n in solved]
    ax3.bar(xs, shares, color="#76b7b2", width=0.45, zorder=2)
    _bar_labels(ax3, xs, shares, "{:.0%}")
    ax3.set_ylim(0, 1.18)
    ax3.yaxis.set_major_formatter(_percent())
    ax3.set_title("(d) foreign share", fontsize=10, loc="left")
    ax3.legend(loc="upper right", fontsize=7, frameon=False)

    _resource_panel(fig.add_subplot(grid[1, 2]), cmp, names, solved, metrics)

    for k, a in enumerate(fig.axes):
        _scenario_ticks(a, names, missing, narrow=k > 0)
        _mark_missing(a, cmp, names)
        a.grid(axis="y", alpha=0.3)
        a.set_axisbelow(True)
        for side in ("top", "right"):
            a.spines[side].set_visible(False)
    fig.subplots_adjust(left=0.06, right=0.98, top=0.90, bottom=0.08)
    return fig


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0, decimals=0)


def _objective_panel(ax: Axes, cmp: Comparison, names: list[str], solved: list[str]) -> None:
    """(a) objective as stacked terms: gains above zero, costs below, the objective as a marker."""
    terms = {n: cmp.results[n].report.breakdown() for n in solved}
    order: list[str] = []
    for n in solved:
        order += [t for t in terms[n].index if t not in order]
    shown = [t for t in order if any(abs(float(terms[n].get(t, 0.0))) > 1e-9 for n in solved)]
    extra = iter(EXTRA_COLOURS * 4)
    colours = {t: (BY_NAME[t].colour if t in BY_NAME else "") or next(extra) for t in shown}
    up = np.zeros(len(names))
    down = np.zeros(len(names))
    for t in shown:
        xs, bottoms, heights = [], [], []
        for n in solved:
            x = names.index(n)
            v = float(terms[n].get(t, 0.0))
            if abs(v) <= 1e-12:
                continue
            base = up if v > 0 else down
            xs.append(x)
            bottoms.append(base[x])
            heights.append(v)
            base[x] += v
        ax.bar(xs, heights, bottom=bottoms, width=0.6, color=colours[t], label=t, edgecolor="white", linewidth=0.5)
    ax.axhline(0, color="black", linewidth=0.8)
    objectives = [(names.index(n), float(cmp.results[n].objective)) for n in solved]
    if objectives:
        ox, oy = zip(*objectives)
        ax.scatter(ox, oy, marker="D", s=40, color="black", zorder=5, label="objective")
        for x, y in objectives:
            ax.hlines(y, x - 0.36, x + 0.36, color="black", linewidth=1.5, zorder=5)
            ax.annotate(f"{y:.3g}", (x + 0.36, y), xytext=(3, 0), textcoords="offset points", va="center",
                        fontsize=8, fontweight="bold")
    bounds = [(names.index(n), float(cmp.results[n].bound)) for n in solved
              if cmp.results[n].bound is not None and (cmp.results[n].gap or 0.0) > 1e-9]
    if bounds:
        bx, by = zip(*bounds)
        ax.scatter(bx, by, marker="v", s=40, facecolors="none", edgecolors="black", zorder=5,
                   label="bound (not proven optimal)")
    top, bottom = up.max(initial=0.0), min(down.min(initial=0.0), 0.0)
    top = top if top > 1e-9 or bottom < 0 else 1.0  # nothing to stack: a plain 0..1 axis
    span = top - bottom
    items = len(shown) + 1 + bool(bounds)
    ncol = min(items, 8)
    # headroom for the legend, which sits in the panel so it never runs into the next one
    ax.set_ylim(bottom - 0.08 * span, top + (0.12 + 0.1 * math.ceil(items / ncol)) * span)
    ax.set_title("(a) objective by term: gains above zero, costs below", fontsize=10, loc="left")
    ax.set_ylabel("objective")
    if solved:
        ax.legend(loc="upper center", ncol=ncol, fontsize=7.5, frameon=False, borderaxespad=0.2,
                  handlelength=1.4, columnspacing=1.2)


def _resource_panel(ax: Axes, cmp: Comparison, names: list[str], solved: list[str],
                    metrics: dict[str, pd.Series]) -> None:
    """(e) use of each limited resource as a share of its limit, grouped by scenario."""
    limits: list[str] = []
    for n in names:
        limits += [r for r in cmp.scenarios[n].limits if r not in limits]
    width = 0.8 / max(len(limits), 1)
    for k, r in enumerate(limits):
        xs, shares = [], []
        for n in solved:
            limit = cmp.scenarios[n].limits.get(r)
            if limit is None:
                continue
            use = float(metrics[n].get(f"use_{r}", 0.0))
            xs.append(names.index(n) - 0.4 + width * (k + 0.5))
            shares.append(use / float(limit) if float(limit) > 0 else (0.0 if use <= 0 else np.inf))
        shares = [min(s, 1.5) for s in shares]  # an over-use (never in a verified portfolio) stays on the chart
        ax.bar(xs, shares, width=width * 0.9, color=RESOURCE_COLOURS[k % len(RESOURCE_COLOURS)])
    ax.axhline(1.0, color=CONFLICT_COLOUR, linestyle="--", linewidth=1)
    ax.set_ylim(0, 1.32)
    ax.yaxis.set_major_formatter(_percent())
    ax.set_title("(e) resource use (share of its limit)", fontsize=10, loc="left")
    if limits:
        from matplotlib.patches import Patch

        # explicit handles: an empty bar group (no portfolio anywhere) would give the default colour
        handles = [Patch(color=RESOURCE_COLOURS[k % len(RESOURCE_COLOURS)], label=r) for k, r in enumerate(limits)]
        ax.legend(handles=handles, loc="upper center", ncol=min(len(limits), 4), fontsize=7, frameon=False,
                  bbox_to_anchor=(0.5, 1.0), handlelength=1.2, columnspacing=1.0)


def _wrap_name(name: str, width: int = 16) -> str:
    """A long scenario name on two lines, broken at a space, '_' or '=' near the middle."""
    if len(name) <= width:
        return name
    cuts = [k + 1 for k, ch in enumerate(name[:-1]) if ch in " _="]
    if not cuts:
        return name[: width - 1] + "\u2026"
    k = min(cuts, key=lambda c: abs(c - len(name) / 2))
    return name[:k].rstrip() + "\n" + name[k:].strip()[:width]


def _scenario_ticks(ax: Axes, names: list[str], missing: set[str], narrow: bool = False) -> None:
    """Scenario names on the x axis; long names wrap (or slant in narrow panels, where wrapped
    names of neighbours would run into each other), scenarios without a portfolio in grey."""
    ax.set_xticks(range(len(names)))
    if narrow and len(names) > 2:
        short = [n if len(n) <= 24 else n[:23] + "\u2026" for n in names]
        ax.set_xticklabels(short, fontsize=8, rotation=30, ha="right", rotation_mode="anchor")
    else:
        ax.set_xticklabels([_wrap_name(n) for n in names], fontsize=8)
    for tick, name in zip(ax.get_xticklabels(), names):
        if name in missing:
            tick.set_color(MUTED)
            tick.set_fontstyle("italic")
    ax.set_xlim(-0.6, len(names) - 0.4)


def _mark_missing(ax: Axes, cmp: Comparison, names: list[str]) -> None:
    """Write the status (infeasible, ...) where a scenario without a portfolio would have its bar."""
    for x, name in enumerate(names):
        if not has_portfolio(cmp, name):
            ax.text(x, 0.5, status(cmp, name), transform=ax.get_xaxis_transform(), rotation=90,
                    ha="center", va="center", fontsize=8, color=MUTED, fontstyle="italic")


def _bar_labels(ax: Axes, xs: list[int], values: list[float], fmt: str) -> None:
    for x, v in zip(xs, values):
        ax.annotate(fmt.format(v), (x, v), xytext=(0, 2), textcoords="offset points", ha="center",
                    va="bottom", fontsize=8)
