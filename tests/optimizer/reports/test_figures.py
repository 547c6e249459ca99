"""Figures of compare() and frontier(): files written where asked, real images, one network
panel per scenario, consistent region colours, and no crash on an infeasible scenario."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from matplotlib.image import imread  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

from optimizer.analysis.compare import Comparison  # noqa: E402
from optimizer.domain.scoring import Scoring  # noqa: E402
from optimizer.reports.figures import (  # noqa: E402
    comparison_figures,
    frontier_figure,
    plot_comparison,
    plot_frontier,
    region_colours,
)
from optimizer.reports.figures.network import portfolio_graph, sector_layout  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "alliance-60"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def base(example):
    return example


@pytest.fixture(scope="module")
def comparison(example_comparison):
    return example_comparison


@pytest.fixture(scope="module")
def budget_frontier(example_budget_frontier):
    return example_budget_frontier


@pytest.fixture(scope="module")
def figures(comparison):
    return comparison_figures(comparison)


def assert_real_png(path: Path) -> None:
    """A PNG file of real content: magic bytes, a sensible size, pixels that vary."""
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, path
    assert len(data) > 20_000, f"{path} is only {len(data)} bytes"
    rgb = imread(path)[..., :3]
    assert rgb.std() > 0.05
    pixels = (rgb * 255).round().astype(np.uint32).reshape(-1, 3)
    # one integer per colour: np.unique on a flat array is far faster than on rows
    colours, counts = np.unique(pixels @ np.array([1 << 16, 1 << 8, 1], dtype=np.uint32), return_counts=True)
    assert counts.max() / counts.sum() < 0.96, "the image is mostly one colour"
    assert len(colours) > 100


# ----------------------------------------------------------------- comparison files
def test_a_file_name_prefixes_the_comparison_figures(comparison, tmp_path):
    paths = plot_comparison(comparison, tmp_path / "new" / "cmp.png")
    assert paths == [tmp_path / "new" / "cmp_metrics.png", tmp_path / "new" / "cmp_network.png"]
    for p in paths:
        assert_real_png(p)


def test_a_folder_gets_metrics_and_network_png(comparison, tmp_path):
    paths = plot_comparison(comparison, tmp_path / "a" / "b")
    assert paths == [tmp_path / "a" / "b" / "metrics.png", tmp_path / "a" / "b" / "network.png"]
    for p in paths:
        assert_real_png(p)


# ----------------------------------------------------------------- network figure
def test_network_figure_has_a_panel_per_scenario_titled_with_its_outcome(comparison, figures):
    fig = figures["network"]
    assert len(fig.axes) >= len(comparison.names)
    titles = {ax.get_title(): ax for ax in fig.axes}
    for name in comparison.names:
        title = next(t for t in titles if t.startswith(name + "\n"))
        res = comparison.results[name]
        if res.has_solution:
            assert "objective" in title and res.termination.value in title
            assert f"{len(res.report.partners())} partners" in title
        else:
            assert "infeasible" in title


def _partner_nodes(fig) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(panel title, node positions, node colours) of each panel's partner nodes."""
    out = []
    for ax in fig.axes:
        for coll in ax.collections:
            if coll.get_gid() == "partners":
                out.append((ax.get_title(), np.asarray(coll.get_offsets()), coll.get_facecolors()[:, :3]))
    return out


def test_a_partner_keeps_its_place_and_region_colour_in_every_panel(comparison, figures, base):
    from matplotlib.colors import to_rgb

    panels = _partner_nodes(figures["network"])
    solved = [n for n in comparison.names if comparison.results[n].has_solution]
    assert len(panels) == len(solved)  # the infeasible panel has no partner nodes
    colours = {r: np.array(to_rgb(c)) for r, c in region_colours(base.candidates["region"]).items()}
    by_place: dict[tuple[float, float], np.ndarray] = {}
    for title, offsets, faces in panels:
        name = title.split("\n")[0]
        assert len(offsets) == len(comparison.results[name].report.partners())
        for xy, face in zip(offsets, faces):
            assert any(np.allclose(face, c, atol=0.01) for c in colours.values()), face
            key = (round(float(xy[0]), 6), round(float(xy[1]), 6))
            if key in by_place:  # the same place in another panel: the same partner, the same colour
                assert np.allclose(by_place[key], face)
            by_place[key] = face
    chosen_everywhere = set.intersection(*(set(comparison.results[n].report.partners()["id"]) for n in solved))
    assert chosen_everywhere and len(by_place) < sum(len(o) for _, o, _ in panels)


def test_region_legend_names_the_regions_of_chosen_partners(comparison, figures):
    legend = figures["network"].legends[0]
    labels = {t.get_text() for t in legend.get_texts()}
    for name in comparison.names:
        if comparison.results[name].has_solution:
            assert set(comparison.results[name].report.partners()["region"]) <= labels
    assert any("redundant" in t for t in labels) and any("conflict" in t for t in labels)


def test_infeasible_panel_says_so_and_draws_only_the_focal_node(figures):
    ax = next(a for a in figures["network"].axes if a.get_title().startswith("impossible"))
    assert "infeasible" in ax.get_title()
    assert not any(c.get_gid() == "partners" for c in ax.collections)
    assert any(c.get_gid() == "focal" for c in ax.collections)


def test_metrics_figure_labels_the_infeasible_scenario_and_has_five_panels(comparison, figures):
    fig = figures["metrics"]
    assert len(fig.axes) == 5
    for ax in fig.axes:
        texts = [t.get_text() for t in ax.texts]
        assert "infeasible" in texts, ax.get_title()
        assert [t.get_text() for t in ax.get_xticklabels()] == comparison.names
    legend = {t.get_text() for t in fig.axes[0].get_legend().get_texts()}
    assert {"objective", "diversity", "redundancy"} <= legend


def test_sector_layout_groups_partners_by_region_around_the_focal_node():
    partners = pd.DataFrame({"id": ["a", "b", "c", "d", "e"], "name": list("ABCDE"),
                             "region": ["north", "south", "north", "east", "south"]})
    pos, sectors = sector_layout(partners)
    assert set(pos) == set(partners["id"]) and set(sectors) == {"east", "north", "south"}
    for pid, region in zip(partners["id"], partners["region"]):
        x, y = pos[pid]
        angle = np.degrees(np.arctan2(y, x))
        lo, hi = sectors[region]
        assert any(lo - 1e-9 <= a <= hi + 1e-9 for a in (angle, angle - 360, angle + 360)), (pid, angle, lo, hi)
        assert 0.5 < np.hypot(x, y) <= 1.0 + 1e-9
    assert sector_layout(partners.iloc[::-1]) == (pos, sectors)  # order of rows does not move anyone
    assert sector_layout(partners.iloc[:0]) == ({}, {})


def test_portfolio_graph_edges_follow_overlap_threshold_and_rivalry(base):
    rivals = base.pairs[pd.to_numeric(base.pairs["rivalry"]) > 0].iloc[0]
    chosen = base.candidates[base.candidates["id"].isin([rivals["a"], rivals["b"]])][["id", "name", "region"]]
    chosen = chosen.assign(id=chosen["id"].astype(str), marginal=1.0)
    g = portfolio_graph(base, chosen)
    assert g.edges[str(rivals["a"]), str(rivals["b"])]["kind"] == "conflict"
    assert {d["kind"] for u, v, d in g.edges(data=True) if "__focal__" in (u, v)} == {"alliance"}
    # no pair table and an overlap threshold nobody exceeds: only the alliances remain
    calm = base.replace(pairs=None, scoring=Scoring(overlap_threshold=100.0))
    assert {d["kind"] for _, _, d in portfolio_graph(calm, chosen).edges(data=True)} == {"alliance"}
    eager = base.replace(pairs=None, scoring=Scoring(overlap_threshold=0.0))
    assert g.number_of_edges() == 3 and portfolio_graph(eager, chosen).number_of_edges() == 3


def test_rivalry_between_chosen_partners_is_drawn_in_red(comparison, base):
    """The base portfolio with a rivalry added between two of its partners (no new solve)."""
    from matplotlib.colors import to_rgb

    ids = comparison.results[base.name].report.partners()["id"].astype(str).tolist()[:2]
    pairs = base.pairs.copy()
    key = pairs["a"].astype(str).isin(ids) & pairs["b"].astype(str).isin(ids)
    pairs = pairs[~key]
    pairs = pd.concat([pairs, pd.DataFrame([{"a": ids[0], "b": ids[1], "rivalry": 0.5, "conflict": False,
                                             "synergy": 0.0, "tie": 0.0}])], ignore_index=True)
    rival = base.replace(pairs=pairs)
    fig = comparison_figures(Comparison({"rivals": rival}, {"rivals": comparison.results[base.name]}))["network"]
    red = [p for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)
           and np.allclose(p.get_edgecolor()[:3], to_rgb("#d62728"))]
    assert len(red) == 1


# ----------------------------------------------------------------- region colours
def test_region_colours_are_deterministic_and_distinct():
    regions = ["Europe", "South Asia", "East Asia", "Europe", "North America", "Latin America"]
    colours = region_colours(regions)
    assert set(colours) == set(regions)
    assert colours == region_colours(reversed(regions)) == region_colours(sorted(set(regions)))
    assert len(set(colours.values())) == len(colours)
    many = region_colours(f"region {k}" for k in range(40))
    assert len(set(many.values())) == 40
    assert all(len(c) == 7 and c.startswith("#") for c in many.values())


# ----------------------------------------------------------------- frontier
def test_frontier_png_in_a_folder_or_at_a_file_name(budget_frontier, tmp_path):
    folder = plot_frontier(budget_frontier, tmp_path / "out")
    assert folder == tmp_path / "out" / "frontier.png"
    named = plot_frontier(budget_frontier, tmp_path / "x" / "budget.png")
    assert named == tmp_path / "x" / "budget.png"
    for p in (folder, named):
        assert_real_png(p)


def test_frontier_figure_marks_changes_and_draws_the_trade_off(budget_frontier):
    fig = frontier_figure(budget_frontier)
    assert len(fig.axes) == 2  # gain and cost are in the table
    table = budget_frontier.table
    notes = [t.get_text() for t in fig.axes[0].texts]
    assert len(notes) == int(table["changed"].sum())
    for added in table.loc[table["changed"], "added"]:
        for pid in filter(None, (s.strip() for s in added.split(","))):
            assert any("+" + pid in n for n in notes)
    labels = " ".join(t.get_text() for t in fig.axes[1].texts)
    assert f"{table['value'].iloc[0]:.4g}" in labels


def test_frontier_shows_unproven_and_missing_points_without_crashing(budget_frontier, tmp_path):
    table = budget_frontier.table.copy().astype({"objective": object, "gain": object, "cost": object})
    table.loc[1, ["optimal", "termination", "bound", "gap"]] = [False, "time_limit", 9.0, 0.12]
    table.loc[2, ["optimal", "termination", "objective", "bound", "gap", "gain", "cost"]] = \
        [False, "time_limit", None, 9.5, None, None, None]
    table.loc[3, "added"] = ", ".join(f"C{k:03d}" for k in range(1, 9))
    table.loc[3, "changed"] = True
    fr = dataclasses.replace(budget_frontier, table=table)
    fig = frontier_figure(fr)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("gap 12.0%") for t in texts)
    assert any("no portfolio" in t for t in texts)
    assert any("(+4 more)" in t for t in texts)  # long lists are cut short
    legend = {t.get_text() for t in fig.axes[0].get_legend().get_texts()}
    assert {"objective (not proven optimal)", "bound", "no portfolio"} <= legend
    assert_real_png(plot_frontier(fr, tmp_path / "odd.png"))
    # without gain and cost columns: the objective panel alone
    assert len(frontier_figure(dataclasses.replace(fr, table=table.drop(columns=["gain", "cost"]))).axes) == 1


# ----------------------------------------------------------------- matplotlib use
def test_figures_never_import_pyplot(comparison, budget_frontier):
    if "matplotlib.pyplot" in sys.modules:
        pytest.skip("pyplot was imported by something else in this session")
    comparison_figures(comparison)
    frontier_figure(budget_frontier)
    assert "matplotlib.pyplot" not in sys.modules


def test_missing_matplotlib_says_what_to_install(comparison, budget_frontier, monkeypatch, tmp_path):
    for mod in ("matplotlib", "matplotlib.figure", "matplotlib.backends", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, mod, None)
    with pytest.raises(RuntimeError, match="pip install matplotlib"):
        plot_comparison(comparison, tmp_path)
    with pytest.raises(RuntimeError, match="pip install matplotlib"):
        plot_frontier(budget_frontier, tmp_path)
    assert not any(tmp_path.iterdir())


def test_a_comparison_with_no_portfolio_at_all_still_draws(comparison, tmp_path):
    only = Comparison({"impossible": comparison.scenarios["impossible"]},
                      {"impossible": comparison.results["impossible"]})
    figs = comparison_figures(only)
    assert figs["network"].axes[0].get_title() == "impossible\ninfeasible"
    assert [p.name for p in plot_comparison(only, tmp_path / "none.png")] == ["none_metrics.png", "none_network.png"]


def test_what_it_takes_figure_ranks_both_kinds_and_hatches_unproven(tmp_path):
    import pandas as pd

    from optimizer.reports.figures import plot_what_it_takes, takes_figure

    table = pd.DataFrame({"id": ["C1", "C2", "C3", "C4"], "name": ["A", "B", "C", "D"],
                          "status": ["left out", "left out", "chosen", "left out"],
                          "threshold": [2.0, 0.5, 1.0, float("nan")], "proven": [True, False, True, False]})
    fig = takes_figure(table)
    left, right = fig.axes[:2]
    labels = [t.get_text() for t in left.get_yticklabels()]
    assert labels == ["A (C1)", "B (C2)"]                 # closest to entering on top (the last tick), no NaN row
    bars = left.patches
    assert sorted(round(b.get_width(), 6) for b in bars) == [0.5, 2.0]
    assert any(b.get_hatch() == "//" for b in bars)      # B's threshold is not proven
    assert [t.get_text() for t in right.get_yticklabels()] == ["C (C3)"]
    path = plot_what_it_takes(table, tmp_path)
    assert path.name == "what_it_takes.png" and path.read_bytes()[:8] == PNG_MAGIC
