"""A Scenario as bundle texts: scenario.toml through tomli_w, tables as CSV that read back bit for bit."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd
import tomli_w

from optimizer.domain.scenario import Scenario
from optimizer.domain.scoring import Scoring

SCORING_KEYS = tuple(f.name for f in dataclasses.fields(Scoring))


def _number_out(v: Any) -> int | float:
    """A plain Python number for tomli_w (which does not know numpy scalars)."""
    if isinstance(v, (bool, np.bool_)):
        raise TypeError(f"expected a number, found the boolean {v!r}")
    if isinstance(v, (int, np.integer)):
        return int(v)
    return float(v)


def settings_text(s: Scenario) -> str:
    f, st, p, pol = s.focal, s.strategy, s.peers, s.policy
    sections: list[dict[str, Any]] = [
        {"name": str(s.name)},
        {"focal": {"name": str(f.name), "region": str(f.region), "country": str(f.country),
                   "diffusion": float(f.diffusion), "tech_change": float(f.tech_change),
                   **({} if f.endowment is None else {"endowment": _number_out(f.endowment)}),
                   "profile": {str(d): float(v) for d, v in f.profile.items()}}},
        {"limits": {str(r): _number_out(v) for r, v in s.limits.items()}},
        {"strategy": {"reputation_weight": float(st.reputation_weight), "breadth": float(st.breadth),
                      **({} if st.reputation_bar is None else {"reputation_bar": _number_out(st.reputation_bar)}),
                      "domain_weights": {str(d): float(v) for d, v in st.domain_weights.items()}}},
        {"peers": {"size_min": int(p.size_min),
                   **({} if p.size_max is None else {"size_max": int(p.size_max)}),
                   "foreign_share_min": float(p.foreign_share_min),
                   "foreign_share_max": float(p.foreign_share_max)}},
        {"policy": {"subsidies": {str(k): float(v) for k, v in pol.subsidies.items()},
                    "bonus": {str(k): float(v) for k, v in pol.bonus.items()}}},
        {"constraints": {"mandatory": [str(c) for c in s.mandatory], "excluded": [str(c) for c in s.excluded],
                         "required_domains": [str(d) for d in s.required_domains],
                         "region_caps": {str(r): int(v) for r, v in s.region_caps.items()}}},
    ]
    chunks = ["# Alliance portfolio scenario; the format is described in docs/scenario-format.md\n"]
    chunks += [tomli_w.dumps(sec) for sec in sections]
    # tomli_w writes short arrays of tables inline; people expect one [[levels]] block per level
    for lv in s.levels:
        block = "[[levels]]\n" + tomli_w.dumps({"name": str(lv.name), "gain": float(lv.gain),
                                                "strong": bool(lv.strong)})
        if lv.use:
            block += "\n[levels.use]\n" + tomli_w.dumps({str(r): float(v) for r, v in lv.use.items()})
        chunks.append(block)
    if s.foreign_value is not None:
        chunks.append(tomli_w.dumps({"foreign_value": {
            "breakpoints": [float(v) for v in s.foreign_value.breakpoints],
            "values": [float(v) for v in s.foreign_value.values],
            **({"over": "share"} if s.foreign_value.over == "share" else {})}}))
    if s.uncertainty is not None and s.uncertainty.relative:
        chunks.append(tomli_w.dumps({"uncertainty": {str(k): float(v) for k, v in s.uncertainty.relative.items()}}))
    chunks.append(tomli_w.dumps({"scoring": {k: float(getattr(s.scoring, k)) for k in SCORING_KEYS}}))
    return "\n".join(chunks)


def _quote(text: str) -> str:
    # Quote what a CSV reader would split or a spreadsheet would trim; csv.writer does not quote a lone
    # '\r' when the line ends are '\n', so quoting is done here.
    if any(ch in text for ch in ',"\r\n') or text != text.strip():
        return '"' + text.replace('"', '""') + '"'
    return text


def _is_missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, (float, np.floating)) and math.isnan(v))


def _cell_out(v: Any) -> str:
    if _is_missing(v):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))       # shortest text that reads back to the same double
    return str(v)


def table_text(df: pd.DataFrame) -> str:
    lines = [",".join(_quote(str(c)) for c in df.columns)]
    columns = [df.iloc[:, k].tolist() for k in range(df.shape[1])]
    for row in zip(*columns):
        lines.append(",".join(_quote(_cell_out(v)) for v in row))
    return "\n".join(lines) + "\n"
