"""What the page shows of a result or a comparison, as plain data: tables as records, texts,
figures as data URIs. The page (page.py) puts them into components; tests read them directly."""

from __future__ import annotations

import base64
from typing import Any

import pandas as pd

from optimizer.analysis.compare import Comparison
from optimizer.core.result import Result
from optimizer.domain.report import proof_sentence
from optimizer.reports.comparison_report import describe_term_changes, format_comparison

#: the columns of the partner table on the page
PARTNER_COLUMNS = ("id", "name", "level", "region", "foreign", "gain", "marginal", "brings", "kept by")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-ready records (numbers rounded for reading, text as text)."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(4)
    return out.astype(object).where(out.notna(), None).to_dict("records")


def result_view(result: Result, figure: bool = True) -> dict[str, Any]:
    """A solve's answer for the page: status line, proof sentence, partners, metrics, objective terms,
    and the network figure of the portfolio (a PNG data URI; '' without matplotlib)."""
    view: dict[str, Any] = {"status": result.termination.value, "objective": result.objective,
                            "bound": result.bound, "gap": result.gap, "proof": proof_sentence(result),
                            "message": result.message, "partners": [], "metrics": [], "terms": [], "figure": ""}
    if not result.has_solution or result.report is None:
        return view
    report = result.report
    partners = report.partners()
    view["partners"] = _records(partners[[c for c in PARTNER_COLUMNS if c in partners.columns]])
    view["metrics"] = _records(report.metrics().rename("value").rename_axis("metric").reset_index()
                               .assign(value=lambda t: t["value"].astype(str)))
    view["terms"] = _records(report.breakdown().rename("points").rename_axis("term").reset_index())
    if figure:
        view["figure"] = network_uri(result)
    return view


def network_uri(result: Result) -> str:
    """The network figure of one solved scenario as a PNG data URI ('' when figures cannot be drawn)."""
    try:
        from optimizer.reports.figures.canvas import png_bytes
        from optimizer.reports.figures.network import network_figure
    except ImportError:
        return ""
    scenario = result.report.compiled.scenario
    try:
        fig = network_figure(Comparison({scenario.name: scenario}, {scenario.name: result}))
    except RuntimeError:          # matplotlib is not installed
        return ""
    return "data:image/png;base64," + base64.b64encode(png_bytes(fig)).decode("ascii")


def _figure_uri(draw: Any) -> str:
    """A figure drawn by `draw()` as a PNG data URI ('' without matplotlib)."""
    try:
        from optimizer.reports.figures.canvas import png_bytes

        return "data:image/png;base64," + base64.b64encode(png_bytes(draw())).decode("ascii")
    except (ImportError, RuntimeError):
        return ""


def frontier_view(fr: Any) -> dict[str, Any]:
    """A frontier for the page: its steps (one row per portfolio) and the figure."""
    from optimizer.reports.figures import frontier_figure

    steps = fr.steps()
    return {"kind": "frontier", "title": f"Efficient frontier: {fr.vary}", "records": _records(steps),
            "text": "", "figure": _figure_uri(lambda: frontier_figure(fr))}


def takes_view(table: pd.DataFrame) -> dict[str, Any]:
    """What it takes for the page: the table ranked (closest to changing first) and the chart."""
    from optimizer.reports.figures import takes_figure

    ranked = table.sort_values(["status", "threshold"], ascending=[False, True], na_position="last")
    shown = ranked[["id", "name", "status", "threshold", "proven", "portfolio at threshold", "note"]]
    return {"kind": "takes", "title": "What it takes", "records": _records(shown), "text": "",
            "figure": _figure_uri(lambda: takes_figure(table))}


def robust_view(rob: Any) -> dict[str, Any]:
    """Robustness for the page: the summary, inclusion frequencies and the chart."""
    from optimizer.reports.figures import robust_figure

    inclusion = rob.inclusion[rob.inclusion["frequency"] > 0]
    return {"kind": "robust", "title": "How sure is the recommendation?", "records": _records(inclusion),
            "text": rob.summary(), "figure": _figure_uri(lambda: robust_figure(rob))}


def comparison_view(cmp: Comparison) -> dict[str, Any]:
    """A comparison for the page: the terminal text (cross-evaluated, with what limits each portfolio) and
    the portfolios x scorings matrix."""
    scores = cmp.cross_scores()
    return {"text": format_comparison(cmp), "names": list(cmp.names), "explanations": explanations(cmp),
            "scores": _records(scores.rename_axis("portfolio").reset_index())}


def explanations(cmp: Comparison) -> list[str]:
    """Each variant against the first: partners in and out, and the terms that moved, each split into
    what the partners made and what the weights made."""
    first = cmp.names[0]
    out = []
    for name in cmp.names[1:]:
        if not (cmp.results[first].has_solution and cmp.results[name].has_solution):
            out.append(f"{name} vs {first}: no portfolio to compare ({cmp.results[name].termination.value})")
            continue
        diff = cmp.diff(first, name)
        moves = [f"{row.change} {row.name} ({row.id})" for row in diff.itertuples()] or ["same partners"]
        terms = describe_term_changes(cmp.decompose(first, name))
        out.append(f"{name} vs {first}: " + "; ".join(moves) + (f". Objective terms: {terms}" if terms else ""))
    return out
