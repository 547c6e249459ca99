"""The one Markdown table writer: comparison and frontier reports, and benchmark reports."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def markdown_table(df: pd.DataFrame, index: bool = True, fmt: Callable[[Any], str] = str) -> str:
    """A DataFrame as a GitHub-flavoured Markdown table (pandas' to_markdown needs tabulate, which we do
    not ship). Cells are written by `fmt` (a missing value is blank); '|', '\\' and line breaks are
    escaped, so a cell never breaks the table; numeric columns are right-aligned."""
    def cell(v: Any) -> str:
        text = "" if _missing(v) else fmt(v)
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")

    def numeric(column: pd.Series) -> bool:
        return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)

    head = ([cell(df.index.name or "")] if index else []) + [cell(str(c)) for c in df.columns]
    align = ([" --- "] if index else []) + [" ---: " if numeric(df[c]) else " --- " for c in df.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
    for label, row in zip(df.index, df.itertuples(index=False)):
        cells = ([cell(label)] if index else []) + [cell(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
