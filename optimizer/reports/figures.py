"""Figures for people: compared scenarios and efficient frontiers as PNG files.

    plot_comparison(cmp, "out/cmp.png")    # out/cmp_metrics.png, out/cmp_network.png
    plot_comparison(cmp, "out")            # out/metrics.png, out/network.png
    plot_frontier(fr, "out")               # out/frontier.png

matplotlib (the `plots` extra) is imported inside the functions and used through
``Figure`` + the Agg canvas only: no pyplot, no global backend switch, no GUI and no
figure left open. networkx holds each portfolio graph; it is drawn with plain
matplotlib artists because networkx's drawing helpers import pyplot.
"""

from __future__ import annotations

import colorsys
import math
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd

from optimizer.core.files import replacing
from optimizer.core.result import Termination
from optimizer.domain.scoring import overlap
from optimizer.domain.settings import flag_values
from optimizer.domain.terms import BY_NAME

if TYPE_CHECKING:  # only for type hints: importing matplotlib here would make it a hard dependency
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from optimizer.analysis.compare import Comparison
    from optimizer.analysis.frontier import Frontier
    from optimizer.domain.scenario import Scenario

#: region colours: colour-blind friendly (Tableau 10 family) without the orange, red and grey
#: that the network figure uses for its edges
_REGION_PALETTE = ("#4e79a7", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#ff9da7",
                   "#bcbd22", "#17becf", "#1f3b73", "#a0cbe8", "#8cd17d")
#: colours for terms the table gives none (optimizer/domain/terms.py holds the others)
_EXTRA_COLOURS = ("#edc948", "#17becf", "#1f3b73", "#bcbd22", "#a0cbe8")
_RESOURCE_COLOURS = ("#1f3b73", "#4e9f9f", "#c9a227", "#8c6bb1", "#7f7f7f", "#a6761d")
_FOCAL_COLOUR = "#222222"
_TIE_COLOUR, _REDUNDANT_COLOUR, _CONFLICT_COLOUR = "#9a9a9a", "#f28e2b", "#d62728"
_MUTED = "#777777"
_DPI = 110


# ----------------------------------------------------------------- helpers
def _matplotlib() -> tuple[Any, Any]:
    """Figure and FigureCanvasAgg, or a RuntimeError that says what to install."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise RuntimeError("figures need matplotlib: pip install matplotlib "
                           "(or the project's `plots` extra)") from exc
    return Figure, FigureCanvasAgg


def _new_figure(width: float, height: float) -> Figure:
    Figure, FigureCanvasAgg = _matplotlib()
    fig = Figure(figsize=(width, height), dpi=_DPI)
    FigureCanvasAgg(fig)  # attach the Agg canvas so savefig never looks for a GUI backend
    return fig


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as fh:  # a link planted at `path` is replaced, not followed
        fig.savefig(fh, format="png", dpi=_DPI, bbox_inches="tight", pad_inches=0.2)  # slanted labels stay in
    return path


def region_colours(regions: Iterable[Any]) -> dict[str, str]:
    """One distinct hex colour per region (sorted by name, so the same regions always get the
    same colours); beyond the palette, colours are spread around the hue circle."""
    names = sorted({str(r) for r in regions})
    out: dict[str, str] = {}
    used: set[str] = set()
    for k, name in enumerate(names):
        if k < len(_REGION_PALETTE):
            colour = _REGION_PALETTE[k]
        else:
            # golden-ratio hue steps never repeat; the loop only guards against rounding clashes
            step = k - len(_REGION_PALETTE)
            while True:
                r, g, b = colorsys.hsv_to_rgb((0.11 + 0.618034 * step) % 1.0, 0.55, 0.8)
                colour = f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"
                if colour not in used:
                    break
                step += len(names)
        used.add(colour)
        out[name] = colour
    return out


def _output_paths(path: Path, kinds: Iterable[str]) -> dict[str, Path]:
    """`out/cmp.png` -> out/cmp_<kind>.png; a folder `out` -> out/<kind>.png."""
    path = Path(path)
    if path.suffix:
        return {k: path.with_name(f"{path.stem}_{k}{path.suffix}") for k in kinds}
    return {k: path / f"{k}.png" for k in kinds}


def _solved(cmp: Comparison, name: str) -> bool:
    res = cmp.results[name]
    return bool(res.has_solution and res.report is not None)


def _status(cmp: Comparison, name: str) -> str:
    """What to show instead of a portfolio: 'infeasible', or the termination and 'no portfolio'."""
    term = cmp.results[name].termination
    if term is Termination.INFEASIBLE:
        return "infeasible"
    return f"{term.value.replace('_', ' ')}: no portfolio"


def _short(name: str, width: int = 20) -> str:
    """A partner name short enough for a node label ('Valencia Energy Cluster' -> 'Valencia Energy')."""
    words = [w for w in str(name).split() if w.lower() != "cluster"]
    text = " ".join(words) or str(name)
    return text if len(text) <= width else text[: width - 1].rstrip() + "\u2026"


def _fmt(value: float | None) -> str:
    return "-" if value is None or not np.isfinite(value) else f"{value:.4g}"


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
            tick.set_color(_MUTED)
            tick.set_fontstyle("italic")
    ax.set_xlim(-0.6, len(names) - 0.4)


def _mark_missing(ax: Axes, cmp: Comparison, names: list[str]) -> None:
    """Write the status (infeasible, ...) where a scenario without a portfolio would have its bar."""
    for x, name in enumerate(names):
        if not _solved(cmp, name):
            ax.text(x, 0.5, _status(cmp, name), transform=ax.get_xaxis_transform(), rotation=90,
                    ha="center", va="center", fontsize=8, color=_MUTED, fontstyle="italic")


def _bar_labels(ax: Axes, xs: list[int], values: list[float], fmt: str) -> None:
    for x, v in zip(xs, values):
        ax.annotate(fmt.format(v), (x, v), xytext=(0, 2), textcoords="offset points", ha="center",
                    va="bottom", fontsize=8)


# ----------------------------------------------------------------- comparison: metrics
def _metrics_figure(cmp: Comparison) -> Figure:
    """Panels with scenarios on the x axis: (a) objective by term, (b) size, (c) domains covered,
    (d) foreign share, (e) resource use; a scenario without a portfolio shows its status instead."""
    names = cmp.names
    solved = [n for n in names if _solved(cmp, n)]
    missing = set(names) - set(solved)
    width = max(12.0, 2.0 + 2.4 * len(names))  # room for the scenario names under every panel
    fig = _new_figure(width, 8.2)
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
    ax2.axhline(n_domains, color=_MUTED, linestyle=":", linewidth=1)
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
    extra = iter(_EXTRA_COLOURS * 4)
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
        ax.bar(xs, shares, width=width * 0.9, color=_RESOURCE_COLOURS[k % len(_RESOURCE_COLOURS)])
    ax.axhline(1.0, color=_CONFLICT_COLOUR, linestyle="--", linewidth=1)
    ax.set_ylim(0, 1.32)
    ax.yaxis.set_major_formatter(_percent())
    ax.set_title("(e) resource use (share of its limit)", fontsize=10, loc="left")
    if limits:
        from matplotlib.patches import Patch

        # explicit handles: an empty bar group (no portfolio anywhere) would give the default colour
        handles = [Patch(color=_RESOURCE_COLOURS[k % len(_RESOURCE_COLOURS)], label=r) for k, r in enumerate(limits)]
        ax.legend(handles=handles, loc="upper center", ncol=min(len(limits), 4), fontsize=7, frameon=False,
                  bbox_to_anchor=(0.5, 1.0), handlelength=1.2, columnspacing=1.0)


# ----------------------------------------------------------------- comparison: network
def _chosen(cmp: Comparison, name: str) -> pd.DataFrame:
    """Chosen partners (id as str) with their marginal contribution; empty without a portfolio."""
    if not _solved(cmp, name):
        return pd.DataFrame(columns=["id", "name", "region", "marginal", "gain"])
    p = cmp.results[name].report.partners().copy()
    p["id"] = p["id"].astype(str)
    # with engagement levels one partner is one node: keep its row once
    return p.drop_duplicates("id").reset_index(drop=True)


def _sector_layout(partners: pd.DataFrame, radius: float = 1.0) -> tuple[dict[str, tuple[float, float]],
                                                                            dict[str, tuple[float, float]]]:
    """Map-like positions: each region gets an angular sector around the focal node at (0, 0).

    Returns node positions by partner id and each region's sector (start, end) in degrees.
    Sectors are sized by the region's number of partners (plus one, so a lone partner still
    gets room) and separated by small gaps; crowded sectors alternate two rings.
    """
    partners = partners.drop_duplicates("id").sort_values(["region", "id"])
    groups = [(str(r), g["id"].astype(str).tolist()) for r, g in partners.groupby("region", sort=True)]
    if not groups:
        return {}, {}
    gap = 10.0 if len(groups) > 1 else 0.0
    weights = np.array([len(ids) + 1.0 for _, ids in groups])
    spans = (360.0 - gap * len(groups)) * weights / weights.sum()
    pos: dict[str, tuple[float, float]] = {}
    sectors: dict[str, tuple[float, float]] = {}
    start = 90.0  # first region at the top, then clockwise like reading a clock
    for (region, ids), span in zip(groups, spans):
        end = start - span
        sectors[region] = (end, start)
        step = span / len(ids)
        crowded = step < 28.0
        for k, pid in enumerate(ids):
            angle = math.radians(start - step * (k + 0.5))
            r = radius * (0.72 if crowded and k % 2 else 1.0)
            pos[pid] = (r * math.cos(angle), r * math.sin(angle))
        start = end - gap
    return pos, sectors


def _portfolio_graph(scenario: Scenario, chosen: pd.DataFrame) -> nx.Graph:
    """The focal cluster, its chosen partners and the edges worth drawing, as a networkx graph.

    Edge kinds: 'alliance' (focal - partner), 'redundant' (two partners whose knowledge overlap
    exceeds scoring.overlap_threshold), 'conflict' (a rivalry > 0 or a conflict flag in pairs).
    """
    g = nx.Graph()
    g.add_node("__focal__", focal=True)
    ids = chosen["id"].astype(str).tolist()
    for row in chosen.to_dict("records"):
        g.add_node(str(row["id"]), focal=False, name=row["name"], region=str(row["region"]),
                   marginal=float(row.get("marginal", 0.0) or 0.0))
        g.add_edge("__focal__", str(row["id"]), kind="alliance")
    index = {cid: k for k, cid in enumerate(scenario.ids)}
    rows = np.array([index[i] for i in ids], dtype=int)
    if rows.size > 1:
        a, b = np.triu_indices(rows.size, k=1)
        shared = overlap(scenario.profiles(), rows[a], rows[b])
        for i, j, v in zip(a, b, shared):
            if v > scenario.scoring.overlap_threshold:
                g.add_edge(ids[i], ids[j], kind="redundant", overlap=float(v))
    pairs = scenario.pairs
    if pairs is not None and len(pairs) and rows.size > 1:
        chosen_ids = set(ids)
        pa, pb = pairs["a"].astype(str).to_numpy(), pairs["b"].astype(str).to_numpy()
        rivalry = (pd.to_numeric(pairs["rivalry"], errors="coerce").fillna(0.0).to_numpy()
                   if "rivalry" in pairs.columns else np.zeros(len(pairs)))
        hard = flag_values(pairs["conflict"]) if "conflict" in pairs.columns else np.zeros(len(pairs), bool)
        for x, y, r, h in zip(pa, pb, rivalry, hard):
            if x in chosen_ids and y in chosen_ids and (r > 0 or h):
                # a conflict and a redundancy on one pair: the conflict is the news, keep both facts
                old = g.get_edge_data(x, y, default={})
                g.add_edge(x, y, kind="conflict", rivalry=float(r), hard=bool(h),
                           also_redundant=old.get("kind") == "redundant")
    return g


def _partner_edge(ax: Axes, a: tuple[float, float], b: tuple[float, float], data: dict) -> None:
    """A redundancy (dashed orange) or conflict (red) edge between two partners, bent away from
    the centre so chords between opposite partners do not run through the focal node."""
    from matplotlib.patches import FancyArrowPatch

    (x1, y1), (x2, y2) = a, b
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    # arc3 puts its control point at the midpoint + rad * (dy, -dx): pick the outward sign
    outward = (y2 - y1) * mx - (x2 - x1) * my
    rad = 0.22 if outward >= 0 else -0.22
    if data["kind"] == "conflict":
        if data.get("also_redundant"):
            ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-", connectionstyle=f"arc3,rad={rad}",
                                         color=_REDUNDANT_COLOUR, linewidth=1.3, linestyle=(0, (4, 2.5)),
                                         zorder=2, shrinkA=0, shrinkB=0))
            rad *= 1.6  # beside the redundancy arc, not on it
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-", connectionstyle=f"arc3,rad={rad}",
                                     color=_CONFLICT_COLOUR, linewidth=2.4, zorder=3, shrinkA=0, shrinkB=0))
    else:
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-", connectionstyle=f"arc3,rad={rad}",
                                     color=_REDUNDANT_COLOUR, linewidth=1.3, linestyle=(0, (4, 2.5)),
                                     zorder=2, shrinkA=0, shrinkB=0))


def _darker(colour: str, factor: float = 0.7) -> str:
    """The same hue, darker: region names in light colours (yellow) stay legible as text."""
    c = colour.lstrip("#")
    r, g, b = (int(c[k:k + 2], 16) for k in (0, 2, 4))
    return "#" + "".join(f"{round(v * factor):02x}" for v in (r, g, b))


def _network_figure(cmp: Comparison) -> Figure:
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Wedge

    names = cmp.names
    chosen = {n: _chosen(cmp, n) for n in names}
    union = pd.concat([c[["id", "name", "region"]] for c in chosen.values()], ignore_index=True)
    pos, sectors = _sector_layout(union)  # once for all panels: a partner keeps its place
    base = next(iter(cmp.scenarios.values()))
    all_regions = list(base.candidates["region"].astype(str)) + ([base.focal.region] if base.focal.region else [])
    colours = region_colours(all_regions)
    marginals = [float(m) for c in chosen.values() for m in c.get("marginal", [])]
    top = max([m for m in marginals if np.isfinite(m)] + [0.0])

    def node_size(m: float) -> float:
        # area grows with the marginal contribution; a floor keeps small contributors visible
        m = m if np.isfinite(m) else 0.0
        return 90.0 + 760.0 * (max(m, 0.0) / top if top > 0 else 0.5)

    ncols = min(len(names), max(1, math.ceil(math.sqrt(len(names)))))
    nrows = math.ceil(len(names) / ncols)
    fig = _new_figure(5.6 * ncols, 5.4 * nrows + 1.3)
    fig.suptitle(f"Portfolios of {base.focal.name or 'the focal cluster'}: partners placed by region",
                 fontsize=13, fontweight="bold")
    extent = 1.72
    for k, name in enumerate(names):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        ax.set_xlim(-extent, extent)
        ax.set_ylim(-extent, extent)
        ax.set_aspect("equal")
        ax.axis("off")
        res = cmp.results[name]
        g = _portfolio_graph(cmp.scenarios[name], chosen[name])
        # faint region sectors and names: the same "map" behind every panel
        for region, (t1, t2) in sectors.items():
            ax.add_patch(Wedge((0, 0), 1.28, t1, t2, facecolor=colours.get(region, "#cccccc"), alpha=0.08,
                               edgecolor="none", zorder=0))
            mid = math.radians((t1 + t2) / 2)
            ax.text(1.58 * math.cos(mid), 1.58 * math.sin(mid), region, ha="center", va="center", fontsize=7,
                    color=_darker(colours.get(region, _MUTED)), fontstyle="italic", fontweight="bold", zorder=1)
        if _solved(cmp, name):
            ax.set_title(f"{name}\nobjective {_fmt(res.objective)} \u00b7 {len(chosen[name])} partners \u00b7 "
                         f"{res.termination.value}", fontsize=10)
        else:
            ax.set_title(f"{name}\n{_status(cmp, name)}", fontsize=10, color="#b22222")
            ax.text(0, -0.55, _status(cmp, name).upper(), ha="center", va="center", fontsize=13,
                    color="#b22222", fontweight="bold", zorder=6)
            if res.message:
                ax.text(0, -0.95, "\n".join(textwrap.wrap(res.message, 48)[:3]), ha="center", va="top",
                        fontsize=7, color=_MUTED, zorder=6)
        xy = {n: ((0.0, 0.0) if n == "__focal__" else pos[n]) for n in g.nodes}
        segs = [(xy[u], xy[v]) for u, v, d in g.edges(data=True) if d["kind"] == "alliance"]
        if segs:
            ax.add_collection(LineCollection(segs, colors=_TIE_COLOUR, linewidths=0.9, zorder=1))
        for u, v, d in g.edges(data=True):
            if d["kind"] != "alliance":
                _partner_edge(ax, xy[u], xy[v], d)
        partners = [n for n in g.nodes if n != "__focal__"]
        if partners:
            ax.scatter([xy[n][0] for n in partners], [xy[n][1] for n in partners],
                       s=[node_size(g.nodes[n]["marginal"]) for n in partners],
                       c=[colours.get(g.nodes[n]["region"], "#cccccc") for n in partners],
                       edgecolors="white", linewidths=1.2, zorder=4, gid="partners")
        for n in partners:
            x, y = xy[n]
            r = math.hypot(x, y) or 1.0
            ux, uy = x / r, y / r
            off = 0.11 + 0.0035 * math.sqrt(node_size(g.nodes[n]["marginal"]))
            ha = "left" if ux > 0.3 else "right" if ux < -0.3 else "center"
            va = "bottom" if uy > 0.3 else "top" if uy < -0.3 else "center"
            ax.text(x + off * ux, y + off * uy, f"{_short(g.nodes[n]['name'], 18)}\n{n}", ha=ha, va=va,
                    fontsize=7, zorder=6, linespacing=0.95,
                    bbox=dict(boxstyle="round,pad=0.12", facecolor="white", edgecolor="none", alpha=0.7))
        focal_ring = colours.get(base.focal.region, _FOCAL_COLOUR)
        ax.scatter([0], [0], s=620, marker="h", c=_FOCAL_COLOUR, edgecolors=focal_ring, linewidths=2.5, zorder=5,
                   gid="focal")
        ax.text(0, 0, "focal", ha="center", va="center", fontsize=7, color="white", fontweight="bold", zorder=6)
    shown_regions = sorted({str(r) for r in union["region"]} | ({base.focal.region} if base.focal.region else set()))
    handles = [Line2D([], [], marker="h", linestyle="none", markersize=13, markerfacecolor=_FOCAL_COLOUR,
                      markeredgecolor=focal_ring, markeredgewidth=2,
                      label=f"focal: {base.focal.name}" if base.focal.name else "focal cluster")]
    handles += [Line2D([], [], marker="o", linestyle="none", markersize=9, markerfacecolor=colours[r],
                       markeredgecolor="white", label=r) for r in shown_regions if r in colours]
    handles += [Line2D([], [], color=_TIE_COLOUR, linewidth=0.9, label="alliance"),
                Line2D([], [], color=_REDUNDANT_COLOUR, linewidth=1.3, linestyle=(0, (4, 2.5)),
                       label=f"redundant (overlap > {base.scoring.overlap_threshold:g})"),
                Line2D([], [], color=_CONFLICT_COLOUR, linewidth=2.4, label="rivalry / conflict")]
    height = fig.get_figheight()
    # node sizes get a legend row of their own: big sample markers would push the other rows apart
    sizes = [Line2D([], [], marker="o", linestyle="none", markerfacecolor="#cccccc", markeredgecolor="white",
                    markersize=math.sqrt(node_size(m)), label=f"{m:.2g}") for m in (top / 4, top / 2, top)
             if top > 0]
    size_rows = 0.9 if sizes else 0.0  # inches: title and a row tall enough for the biggest marker
    ncol = min(len(handles), 6)
    fig.legend(handles=handles, loc="lower center", ncol=ncol, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, size_rows / height), handlelength=2.2, handletextpad=0.5, columnspacing=1.6,
               borderaxespad=0.2)
    if sizes:
        # a text above the row, not the legend's title: the biggest marker would overlap a title
        fig.text(0.5, (size_rows - 0.12) / height, "node size: marginal contribution "
                 "(objective lost if the partner is dropped)", ha="center", va="top", fontsize=8)
        fig.legend(handles=sizes, loc="lower center", ncol=len(sizes), fontsize=8, frameon=False,
                   bbox_to_anchor=(0.5, 0.0), handleheight=3.0, handlelength=3.2, handletextpad=0.7,
                   columnspacing=1.5, borderaxespad=0.1)
    legend_rows = math.ceil(len(handles) / ncol)
    fig.subplots_adjust(left=0.01, right=0.99, top=1 - 1.0 / height,
                        bottom=(size_rows + 0.3 + 0.24 * legend_rows) / height, wspace=0.02, hspace=0.12)
    return fig


def _comparison_figures(cmp: Comparison) -> dict[str, Figure]:
    """The comparison's figures by kind ('metrics', 'network'), not yet saved."""
    return {"metrics": _metrics_figure(cmp), "network": _network_figure(cmp)}


def plot_comparison(cmp: Comparison, path: Path) -> list[Path]:
    """Write the metrics and network figures of a comparison as PNG files.

    `path` with a suffix (`out/cmp.png`) gives out/cmp_metrics.png and out/cmp_network.png;
    a folder (`out`) gives out/metrics.png and out/network.png. Returns the written paths.
    """
    figures = _comparison_figures(cmp)
    paths = _output_paths(Path(path), figures)
    return [_save(fig, paths[kind]) for kind, fig in figures.items()]


# ----------------------------------------------------------------- frontier
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


def _frontier_figure(fr: Frontier) -> Figure:
    """Objective (and bound) against the varied setting; with gain and cost, the trade-off curve."""
    table = fr.table.sort_values("value").reset_index(drop=True)
    trade_off = ({"gain", "cost"} <= set(table.columns)
                 and pd.to_numeric(table["gain"], errors="coerce").notna().any())
    fig = _new_figure(14.0 if trade_off else 8.5, 6.0)
    axes = list(fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.35, 1.0]})) if trade_off else [fig.add_subplot()]
    limit = fr.vary != "cost_weight"
    if not limit:
        label, what = "cost weight (multiple of the base cost weights)", "the cost weight"
    else:
        label, what = f"{fr.vary} limit (each portfolio is the best from its own {fr.vary} use on)", \
            f"the {fr.vary} limit"
    fig.suptitle(f"Efficient frontier: the best portfolio as {what} changes", fontsize=13, fontweight="bold")
    # margins first: the change notes below are laid out in axes fractions of the final size
    fig.subplots_adjust(left=0.06, right=0.98, top=0.87, bottom=0.2, wspace=0.22)

    ax = axes[0]
    v = table["value"].astype(float).to_numpy()
    obj = pd.to_numeric(table["objective"], errors="coerce").to_numpy(dtype=float)
    bound = pd.to_numeric(table["bound"], errors="coerce").to_numpy(dtype=float)
    gap = pd.to_numeric(table["gap"], errors="coerce").to_numpy(dtype=float)
    optimal = table["optimal"].fillna(False).astype(bool).to_numpy()
    has = np.isfinite(obj)
    if limit:
        # the best objective within a limit is a step function: constant from one portfolio's use to the
        # next one's (the points just below each use were solved, so the steps fall where they change)
        steps = fr.steps()
        found = pd.to_numeric(steps["objective"], errors="coerce").notna().to_numpy()
        xs = np.append(steps["start"].to_numpy(dtype=float)[found], float(steps["end"].iloc[-1]))
        ys = pd.to_numeric(steps["objective"], errors="coerce").to_numpy(dtype=float)[found]
        if ys.size:
            ax.step(xs, np.append(ys, ys[-1]), where="post", color="#4e79a7", linewidth=1.8, zorder=2)
        current = float(table.loc[table["current"].astype(bool), "value"].iloc[0]) \
            if "current" in table.columns and table["current"].any() else None
        if current is not None:
            ax.axvline(current, color="#b22222", linestyle="--", linewidth=1.2, zorder=1,
                       label=f"current {fr.vary} limit ({current:.4g})")
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
        ax.plot(v[bmask], bound[bmask], color=_MUTED, linestyle="--", linewidth=1.2, marker="v", markersize=4,
                zorder=1, label="bound")
    for x, term in zip(v[~has], table["termination"][~has]):
        ax.scatter([x], [0.04], marker="x", s=50, color="#b22222", transform=ax.get_xaxis_transform(), zorder=4)
        ax.annotate(str(term).replace("_", " ") + ": no portfolio", (x, 0.08), xycoords=ax.get_xaxis_transform(),
                    xytext=(-3, 0), textcoords="offset points", rotation=90, ha="right", va="bottom", fontsize=7.5,
                    color="#b22222")
    if (~has).any():
        ax.scatter([], [], marker="x", color="#b22222", label="no portfolio")

    # portfolio changes: a dotted line at the first value with the new portfolio, +added / -dropped
    # in a box at the top; a box close to the one before steps down below it instead of covering it
    changed = (table["changed"].fillna(False).astype(bool).to_numpy() if "changed" in table.columns
               else np.zeros(len(table), bool))
    span = float(v.max() - v.min()) if len(v) > 1 else 1.0
    line_h = 7.5 * 1.1 / 72 / (ax.get_position().height * fig.get_figheight())  # one text line, axes fraction
    lowest, prev = 1.0, None  # prev: (x, top, bottom) of the last box
    used = pd.to_numeric(table["used"], errors="coerce").to_numpy(dtype=float) if "used" in table.columns \
        else np.full(len(table), np.nan)
    for i in np.flatnonzero(changed):
        x = used[i] if limit and np.isfinite(used[i]) else v[i]      # a limit's change happens at the new use
        ax.axvline(x, color=_MUTED, linestyle=":", linewidth=1, zorder=0)
        lines = _change_lines(table["added"].iloc[i] if "added" in table.columns else "",
                              table["dropped"].iloc[i] if "dropped" in table.columns else "") or ["changed"]
        top = 0.985
        if prev is not None and x - prev[0] < 0.13 * span and prev[1] == 0.985:
            top = prev[2] - 0.02
        bottom = top - len(lines) * line_h - 0.02
        prev = (x, top, bottom)
        lowest = min(lowest, bottom)
        ax.text(x, top, "\n".join(lines), transform=ax.get_xaxis_transform(), ha="center", va="top",
                fontsize=7.5, linespacing=1.0, zorder=5,
                bbox=dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="#cccccc", linewidth=0.6))
    if changed.any():
        ax.plot([], [], color=_MUTED, linestyle=":", label="portfolio changes (+added / \u2212dropped)")
    finite = np.concatenate([obj[has], bound[differs]])
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi - lo < 1e-9:
        lo, hi = lo - max(abs(lo), 1.0) * 0.1, hi + max(abs(hi), 1.0) * 0.1
    # the curve fills the band between a small bottom margin and the lowest change note
    floor, ceiling = 0.08, max(0.35, lowest - 0.04) if changed.any() else 0.92
    total = (hi - lo) / (ceiling - floor)
    ax.set_ylim(lo - floor * total, lo - floor * total + total)
    if len(v) > 1:
        ax.set_xlim(v.min() - 0.06 * span, v.max() + 0.06 * span)
    ax.set_xlabel(label)
    ax.set_ylabel("objective")
    ax.set_title("objective against the varied setting", fontsize=10, loc="left")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.11), ncol=min(3, len(handles)), fontsize=7.5,
              frameon=False)

    if trade_off:
        ax2 = axes[1]
        gain = pd.to_numeric(table["gain"], errors="coerce").to_numpy(dtype=float)
        cost = pd.to_numeric(table["cost"], errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(gain) & np.isfinite(cost)
        ax2.plot(cost[ok], gain[ok], color="#59a14f", linewidth=1.5, zorder=2)
        ax2.scatter(cost[ok & optimal], gain[ok & optimal], s=46, color="#59a14f", zorder=3, label="optimal")
        if (ok & ~optimal).any():
            ax2.scatter(cost[ok & ~optimal], gain[ok & ~optimal], s=60, facecolors="white", edgecolors="#59a14f",
                        linewidths=1.6, zorder=3, label="not proven optimal")
        # one label per distinct point: values with the same portfolio share it
        groups: dict[tuple[float, float], list[str]] = {}
        for x, y, val in zip(cost[ok], gain[ok], v[ok]):
            groups.setdefault((round(x, 6), round(y, 6)), []).append(f"{val:.4g}")
        for (x, y), vals in groups.items():
            ax2.annotate(", ".join(vals), (x, y), xytext=(6, -4), textcoords="offset points", fontsize=7.5,
                         va="top")
        ax2.set_xlabel("cost (coordination, redundancy, ties, conflict, complexity)")
        ax2.set_ylabel("gain (diversity, reputation, bonus, synergy, ...)")
        ax2.set_title(f"trade-off: gain against cost (points labelled by {fr.vary})", fontsize=10, loc="left")
        ax2.margins(0.15)
        if ok.any():
            ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.11), ncol=2, fontsize=7.5, frameon=False)
        else:
            ax2.text(0.5, 0.5, "no portfolio found", transform=ax2.transAxes, ha="center", color=_MUTED)
    for a in axes:
        a.grid(alpha=0.3)
        for side in ("top", "right"):
            a.spines[side].set_visible(False)
    return fig


def plot_frontier(fr: Frontier, path: Path) -> Path:
    """Write the frontier figure as a PNG at `path` (or `path/frontier.png` for a folder)."""
    path = Path(path)
    out = path if path.suffix else path / "frontier.png"
    return _save(_frontier_figure(fr), out)
