"""A comparison's figures: the metrics and network figures written side by side."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.reports.figures.canvas import output_paths, save
from optimizer.reports.figures.metrics import metrics_figure
from optimizer.reports.figures.network import network_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from optimizer.analysis.compare import Comparison


def comparison_figures(cmp: Comparison) -> dict[str, Figure]:
    """The comparison's figures by kind ('metrics', 'network'), not yet saved."""
    return {"metrics": metrics_figure(cmp), "network": network_figure(cmp)}


def plot_comparison(cmp: Comparison, path: Path) -> list[Path]:
    """Write the metrics and network figures of a comparison as PNG files.

    `path` with a suffix (`out/cmp.png`) gives out/cmp_metrics.png and out/cmp_network.png;
    a folder (`out`) gives out/metrics.png and out/network.png. Returns the written paths.
    """
    figures = comparison_figures(cmp)
    paths = output_paths(Path(path), figures)
    return [save(fig, paths[kind]) for kind, fig in figures.items()]
