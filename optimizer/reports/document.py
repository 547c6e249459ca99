"""A report as a list of blocks, written as Markdown and as self-contained HTML.

    blocks = [("h1", "Title"), ("p", "text"), ("ul", ["a", "b"]), ("table", df), ("img", path)]
    write_document(blocks, out, "Title")        # out/report.md, out/report.html

``report.md`` links the figures beside it; ``report.html`` embeds them (base64 data URIs, inline
CSS), so it can be mailed on its own. Text is escaped for each format; files go through
optimizer.core.files.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from optimizer.core.files import write_text
from optimizer.reports.markdown import markdown_table

#: (kind, content): h1/h2/h3/p with text, ul with a list of texts, table with a DataFrame, img with a path
Block = tuple[str, Any]


def draw_figures(draw: Callable[[], Iterable[Path]], out: Path) -> list[Path] | str:
    """Draw figures; the paths inside `out`, or why there are none (matplotlib missing)."""
    try:
        paths = list(draw())
    except RuntimeError as exc:     # optimizer.reports.figures: matplotlib (the `plots` extra) is not installed
        return str(exc)
    root = out.resolve()
    return [Path(p) for p in paths if Path(p).resolve().is_relative_to(root)]


def write_document(blocks: list[Block], out: Path, title: str) -> Path:
    """Write the blocks as out/report.md (figures linked) and out/report.html (self-contained); the .md path."""
    md = out / "report.md"
    write_text(md, _markdown(blocks, out))
    write_text(out / "report.html", _html(blocks, out, title))
    return md


def _markdown(blocks: Iterable[tuple[str, Any]], out: Path) -> str:
    parts = []
    for kind, content in blocks:
        if kind in ("h1", "h2", "h3"):
            parts.append("#" * int(kind[1]) + " " + _md_text(content))
        elif kind == "p":
            parts.append(_md_text(content))
        elif kind == "ul":
            parts.append("\n".join(f"- {_md_text(item)}" for item in content))
        elif kind == "table":
            parts.append(markdown_table(content))
        elif kind == "img":
            rel = Path(content).resolve().relative_to(out.resolve()).as_posix()
            parts.append(f"![{Path(content).stem.replace('_', ' ')}]({rel.replace(' ', '%20')})")
    return "\n\n".join(parts) + "\n"


def _md_text(text: str) -> str:
    """Plain text for Markdown: characters that would start markup are escaped."""
    out = str(text)
    for ch in ("\\", "*", "`", "<", "[", "]"):
        out = out.replace(ch, "\\" + ch)
    return out.replace("\n", " ")


_CSS = """body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:70rem;margin:2rem auto;
padding:0 1rem;color:#222;line-height:1.45}h1,h2,h3{line-height:1.2}h2{margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;
text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}img{max-width:100%;
margin:1rem 0;border:1px solid #eee}li{margin:.3rem 0}"""


def _html(blocks: Iterable[tuple[str, Any]], out: Path, title: str) -> str:
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>"]
    for kind, content in blocks:
        if kind in ("h1", "h2", "h3", "p"):
            parts.append(f"<{kind}>{html.escape(str(content))}</{kind}>")
        elif kind == "ul":
            parts.append("<ul>" + "".join(f"<li>{html.escape(str(i))}</li>" for i in content) + "</ul>")
        elif kind == "table":
            parts.append(content.to_html(na_rep="", border=0, escape=True))
        elif kind == "img":
            data = base64.b64encode(Path(content).read_bytes()).decode("ascii")
            alt = html.escape(Path(content).stem.replace("_", " "))
            parts.append(f"<img alt=\"{alt}\" src=\"data:image/png;base64,{data}\">")
    parts.append("</body>\n</html>\n")
    return "\n".join(parts)
