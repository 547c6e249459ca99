"""The network figure: each scenario's portfolio around the focal cluster, partners placed by region."""

from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import pandas as pd

from optimizer.domain.scoring import relative_overlap
from optimizer.domain.settings import flag_values
from optimizer.reports.figures.canvas import (
    CONFLICT_COLOUR,
    FOCAL_COLOUR,
    MUTED,
    REDUNDANT_COLOUR,
    TIE_COLOUR,
    has_portfolio,
    new_figure,
    region_colours,
    status,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from optimizer.analysis.compare import Comparison
    from optimizer.domain.scenario import Scenario


def _chosen(cmp: Comparison, name: str) -> pd.DataFrame:
    """Chosen partners (id as str) with their marginal contribution; empty without a portfolio."""
    if not has_portfolio(cmp, name):
        return pd.DataFrame(columns=["id", "name", "region", "marginal", "gain"])
    p = cmp.results[name].report.partners().copy()
    p["id"] = p["id"].astype(str)
    # with engagement levels one partner is one node: keep its row once
    return p.drop_duplicates("id").reset_index(drop=True)


def sector_layout(partners: pd.DataFrame, radius: float = 1.0) -> tuple[dict[str, tuple[float, float]],
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


def portfolio_graph(scenario: Scenario, chosen: pd.DataFrame) -> nx.Graph:
    """The focal cluster, its chosen partners and the edges worth drawing, as a networkx graph.

    Edge kinds: 'alliance' (focal - partner), 'redundant' (two partners sharing at least
    scoring.overlap_threshold of the smaller one's knowledge: scoring.relative_overlap), 'conflict'
    (a rivalry > 0 or a conflict flag in pairs).
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
        shared = relative_overlap(scenario.profiles(), rows[a], rows[b])
        for i, j, v in zip(a, b, shared):
            if v >= scenario.scoring.overlap_threshold:
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
                                         color=REDUNDANT_COLOUR, linewidth=1.3, linestyle=(0, (4, 2.5)),
                                         zorder=2, shrinkA=0, shrinkB=0))
            rad *= 1.6  # beside the redundancy arc, not on it
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-", connectionstyle=f"arc3,rad={rad}",
                                     color=CONFLICT_COLOUR, linewidth=2.4, zorder=3, shrinkA=0, shrinkB=0))
    else:
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-", connectionstyle=f"arc3,rad={rad}",
                                     color=REDUNDANT_COLOUR, linewidth=1.3, linestyle=(0, (4, 2.5)),
                                     zorder=2, shrinkA=0, shrinkB=0))


def _darker(colour: str, factor: float = 0.7) -> str:
    """The same hue, darker: region names in light colours (yellow) stay legible as text."""
    c = colour.lstrip("#")
    r, g, b = (int(c[k:k + 2], 16) for k in (0, 2, 4))
    return "#" + "".join(f"{round(v * factor):02x}" for v in (r, g, b))


def _short(name: str, width: int = 20) -> str:
    """A partner name short enough for a node label ('Valencia Energy Cluster' -> 'Valencia Energy')."""
    words = [w for w in str(name).split() if w.lower() != "cluster"]
    text = " ".join(words) or str(name)
    return text if len(text) <= width else text[: width - 1].rstrip() + "\u2026"


def _fmt(value: float | None) -> str:
    return "-" if value is None or not np.isfinite(value) else f"{value:.4g}"


def _node_size(marginal: float, top: float) -> float:
    """Marker area: grows with the marginal contribution; a floor keeps small contributors visible."""
    m = marginal if np.isfinite(marginal) else 0.0
    return 90.0 + 760.0 * (max(m, 0.0) / top if top > 0 else 0.5)


def network_figure(cmp: Comparison) -> Figure:
    """One panel per scenario: its portfolio around the focal node, a partner in the same place in every panel."""
    names = cmp.names
    chosen = {n: _chosen(cmp, n) for n in names}
    union = pd.concat([c[["id", "name", "region"]] for c in chosen.values()], ignore_index=True)
    pos, sectors = sector_layout(union)  # once for all panels: a partner keeps its place
    base = next(iter(cmp.scenarios.values()))
    all_regions = list(base.candidates["region"].astype(str)) + ([base.focal.region] if base.focal.region else [])
    colours = region_colours(all_regions)
    marginals = [float(m) for c in chosen.values() for m in c.get("marginal", [])]
    top = max([m for m in marginals if np.isfinite(m)] + [0.0])

    ncols = min(len(names), max(1, math.ceil(math.sqrt(len(names)))))
    nrows = math.ceil(len(names) / ncols)
    fig = new_figure(5.6 * ncols, 5.4 * nrows + 1.3)
    fig.suptitle(f"Portfolios of {base.focal.name or 'the focal cluster'}: partners placed by region",
                 fontsize=13, fontweight="bold")
    for k, name in enumerate(names):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        _region_map(ax, sectors, colours)
        _panel_title(ax, cmp, name, len(chosen[name]))
        graph = portfolio_graph(cmp.scenarios[name], chosen[name])
        _draw_portfolio(ax, graph, pos, colours, top)
        focal_ring = colours.get(base.focal.region, FOCAL_COLOUR)
        ax.scatter([0], [0], s=620, marker="h", c=FOCAL_COLOUR, edgecolors=focal_ring, linewidths=2.5, zorder=5,
                   gid="focal")
        ax.text(0, 0, "focal", ha="center", va="center", fontsize=7, color="white", fontweight="bold", zorder=6)
    _legends(fig, base, union, colours, top)
    return fig


def _region_map(ax: Axes, sectors: dict[str, tuple[float, float]], colours: dict[str, str]) -> None:
    """Faint region sectors and names: the same "map" behind every panel."""
    from matplotlib.patches import Wedge

    extent = 1.72
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.axis("off")
    for region, (t1, t2) in sectors.items():
        ax.add_patch(Wedge((0, 0), 1.28, t1, t2, facecolor=colours.get(region, "#cccccc"), alpha=0.08,
                           edgecolor="none", zorder=0))
        mid = math.radians((t1 + t2) / 2)
        ax.text(1.58 * math.cos(mid), 1.58 * math.sin(mid), region, ha="center", va="center", fontsize=7,
                color=_darker(colours.get(region, MUTED)), fontstyle="italic", fontweight="bold", zorder=1)


def _panel_title(ax: Axes, cmp: Comparison, name: str, size: int) -> None:
    """The scenario's objective and size, or its status in red with the solver's message."""
    res = cmp.results[name]
    if has_portfolio(cmp, name):
        ax.set_title(f"{name}\nobjective {_fmt(res.objective)} \u00b7 {size} partners \u00b7 "
                     f"{res.termination.value}", fontsize=10)
        return
    ax.set_title(f"{name}\n{status(cmp, name)}", fontsize=10, color="#b22222")
    ax.text(0, -0.55, status(cmp, name).upper(), ha="center", va="center", fontsize=13,
            color="#b22222", fontweight="bold", zorder=6)
    if res.message:
        ax.text(0, -0.95, "\n".join(textwrap.wrap(res.message, 48)[:3]), ha="center", va="top",
                fontsize=7, color=MUTED, zorder=6)


def _draw_portfolio(ax: Axes, g: nx.Graph, pos: dict[str, tuple[float, float]], colours: dict[str, str],
                    top: float) -> None:
    """Alliance ties, partner-partner edges, partner nodes sized by contribution, and their labels."""
    from matplotlib.collections import LineCollection

    xy = {n: ((0.0, 0.0) if n == "__focal__" else pos[n]) for n in g.nodes}
    segs = [(xy[u], xy[v]) for u, v, d in g.edges(data=True) if d["kind"] == "alliance"]
    if segs:
        ax.add_collection(LineCollection(segs, colors=TIE_COLOUR, linewidths=0.9, zorder=1))
    for u, v, d in g.edges(data=True):
        if d["kind"] != "alliance":
            _partner_edge(ax, xy[u], xy[v], d)
    partners = [n for n in g.nodes if n != "__focal__"]
    if partners:
        ax.scatter([xy[n][0] for n in partners], [xy[n][1] for n in partners],
                   s=[_node_size(g.nodes[n]["marginal"], top) for n in partners],
                   c=[colours.get(g.nodes[n]["region"], "#cccccc") for n in partners],
                   edgecolors="white", linewidths=1.2, zorder=4, gid="partners")
    for n in partners:
        x, y = xy[n]
        r = math.hypot(x, y) or 1.0
        ux, uy = x / r, y / r
        off = 0.11 + 0.0035 * math.sqrt(_node_size(g.nodes[n]["marginal"], top))
        ha = "left" if ux > 0.3 else "right" if ux < -0.3 else "center"
        va = "bottom" if uy > 0.3 else "top" if uy < -0.3 else "center"
        ax.text(x + off * ux, y + off * uy, f"{_short(g.nodes[n]['name'], 18)}\n{n}", ha=ha, va=va,
                fontsize=7, zorder=6, linespacing=0.95,
                bbox=dict(boxstyle="round,pad=0.12", facecolor="white", edgecolor="none", alpha=0.7))


def _legends(fig: Figure, base: Scenario, union: pd.DataFrame, colours: dict[str, str], top: float) -> None:
    """Regions and edge kinds in one legend row block, node sizes in a row of their own below it."""
    from matplotlib.lines import Line2D

    focal_ring = colours.get(base.focal.region, FOCAL_COLOUR)
    shown_regions = sorted({str(r) for r in union["region"]} | ({base.focal.region} if base.focal.region else set()))
    handles = [Line2D([], [], marker="h", linestyle="none", markersize=13, markerfacecolor=FOCAL_COLOUR,
                      markeredgecolor=focal_ring, markeredgewidth=2,
                      label=f"focal: {base.focal.name}" if base.focal.name else "focal cluster")]
    handles += [Line2D([], [], marker="o", linestyle="none", markersize=9, markerfacecolor=colours[r],
                       markeredgecolor="white", label=r) for r in shown_regions if r in colours]
    handles += [Line2D([], [], color=TIE_COLOUR, linewidth=0.9, label="alliance"),
                Line2D([], [], color=REDUNDANT_COLOUR, linewidth=1.3, linestyle=(0, (4, 2.5)),
                       label=f"redundant (share >= {base.scoring.overlap_threshold:g} of the smaller one's knowledge)"),
                Line2D([], [], color=CONFLICT_COLOUR, linewidth=2.4, label="rivalry / conflict")]
    height = fig.get_figheight()
    # node sizes get a legend row of their own: big sample markers would push the other rows apart
    sizes = [Line2D([], [], marker="o", linestyle="none", markerfacecolor="#cccccc", markeredgecolor="white",
                    markersize=math.sqrt(_node_size(m, top)), label=f"{m:.2g}") for m in (top / 4, top / 2, top)
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
