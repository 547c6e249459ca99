"""Run a grid of cells in worker processes and tabulate configurations side by side (the timing scripts' loop)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def run_grid(cell: Callable[..., list[dict]], cells: Sequence[tuple], jobs: int, key: str) -> pd.DataFrame:
    """`cell(*args)` for every args in `cells`, `jobs` at a time, each returning one row per configuration
    (with `key`, "config", "status", "seconds", "objective" and "bound"); a line per finished cell. The table
    gets "gap_%": (bound - best value any configuration found for the same `key`) / best, in percent."""
    import pandas as pd

    rows: list[dict] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for done, found in enumerate(pool.map(cell, *zip(*cells)), 1):
            rows.extend(found)
            print(f"[{done}/{len(cells)}] {found[0][key]}: "
                  + ", ".join(f"{r['config']} {r['status']} {r['seconds']} s" for r in found), flush=True)
    table = pd.DataFrame(rows)
    best = table.groupby(key)["objective"].transform("max")
    table["gap_%"] = (100 * (table["bound"] - best) / best.abs().clip(lower=1e-9)).round(3)
    pd.set_option("display.width", 200)
    print(table.drop(columns=["bound"]).to_string(index=False))
    return table
