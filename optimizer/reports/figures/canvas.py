"""What every figure shares: the matplotlib canvas (no pyplot), saving, colours and a scenario's status."""

from __future__ import annotations

import colorsys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optimizer.core.files import replacing
from optimizer.core.result import Termination

if TYPE_CHECKING:  # only for type hints: importing matplotlib here would make it a hard dependency
    from matplotlib.figure import Figure

    from optimizer.analysis.compare import Comparison


#: region colours: colour-blind friendly (Tableau 10 family) without the orange, red and grey
#: that the network figure uses for its edges
_REGION_PALETTE = ("#4e79a7", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#ff9da7",
                   "#bcbd22", "#17becf", "#1f3b73", "#a0cbe8", "#8cd17d")
#: colours for terms the table gives none (optimizer/domain/terms.py holds the others)
EXTRA_COLOURS = ("#edc948", "#17becf", "#1f3b73", "#bcbd22", "#a0cbe8")
RESOURCE_COLOURS = ("#1f3b73", "#4e9f9f", "#c9a227", "#8c6bb1", "#7f7f7f", "#a6761d")
FOCAL_COLOUR = "#222222"
TIE_COLOUR, REDUNDANT_COLOUR, CONFLICT_COLOUR = "#9a9a9a", "#f28e2b", "#d62728"
MUTED = "#777777"
_DPI = 110


def matplotlib_classes() -> tuple[Any, Any]:
    """Figure and FigureCanvasAgg, or a RuntimeError that says what to install."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise RuntimeError("figures need matplotlib: pip install matplotlib "
                           "(or the project's `plots` extra)") from exc
    return Figure, FigureCanvasAgg


def new_figure(width: float, height: float) -> Figure:
    Figure, FigureCanvasAgg = matplotlib_classes()
    fig = Figure(figsize=(width, height), dpi=_DPI)
    FigureCanvasAgg(fig)  # attach the Agg canvas so savefig never looks for a GUI backend
    return fig


def save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as fh:  # a link planted at `path` is replaced, not followed
        fig.savefig(fh, format="png", dpi=_DPI, bbox_inches="tight", pad_inches=0.2)  # slanted labels stay in
    return path


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes, as `save` would write it (for a page that shows it inline)."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, bbox_inches="tight", pad_inches=0.2)
    return buf.getvalue()


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


def output_paths(path: Path, kinds: Iterable[str]) -> dict[str, Path]:
    """`out/cmp.png` -> out/cmp_<kind>.png; a folder `out` -> out/<kind>.png."""
    path = Path(path)
    if path.suffix:
        return {k: path.with_name(f"{path.stem}_{k}{path.suffix}") for k in kinds}
    return {k: path / f"{k}.png" for k in kinds}


def has_portfolio(cmp: Comparison, name: str) -> bool:
    res = cmp.results[name]
    return bool(res.has_solution and res.report is not None)


def status(cmp: Comparison, name: str) -> str:
    """What to show instead of a portfolio: 'infeasible', or the termination and 'no portfolio'."""
    term = cmp.results[name].termination
    if term is Termination.INFEASIBLE:
        return "infeasible"
    return f"{term.value.replace('_', ' ')}: no portfolio"
