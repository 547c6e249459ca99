"""Figures for people: compared scenarios and efficient frontiers as PNG files.

    plot_comparison(cmp, "out/cmp.png")    # out/cmp_metrics.png, out/cmp_network.png
    plot_comparison(cmp, "out")            # out/metrics.png, out/network.png
    plot_frontier(fr, "out")               # out/frontier.png
    plot_what_it_takes(table, "out")       # out/what_it_takes.png
    plot_robustness(rob, "out")            # out/robustness.png

One module per figure kind (`metrics`, `network`, `frontier`, `takes`, `robust`); `canvas` holds what they share.
matplotlib (the `plots` extra) is imported inside the functions and used through
``Figure`` + the Agg canvas only: no pyplot, no global backend switch, no GUI and no
figure left open. networkx holds each portfolio graph; it is drawn with plain
matplotlib artists because networkx's drawing helpers import pyplot.
"""

from optimizer.reports.figures.canvas import region_colours
from optimizer.reports.figures.comparison import comparison_figures, plot_comparison
from optimizer.reports.figures.frontier import frontier_figure, plot_frontier
from optimizer.reports.figures.robust import plot_robustness, robust_figure
from optimizer.reports.figures.takes import plot_what_it_takes, takes_figure

__all__ = ["comparison_figures", "frontier_figure", "plot_comparison", "plot_frontier", "plot_robustness",
           "plot_what_it_takes", "region_colours", "robust_figure", "takes_figure"]
