"""The breakpoints start on large QKPs, side by side with the tabu search alone and the default solve.

    python benchmarks/timing/breakpoints.py                       # sparse n = 10,000, seeds 1-3, budgets 2/5/10%
    python benchmarks/timing/breakpoints.py --kind dense --n 1000 2000 --densities 25 50 75 100 --seeds 1
    python benchmarks/timing/breakpoints.py --short 10 --long 60 --jobs 2 --csv out.csv

Per instance, in one worker process (one thread), one after the other:

* `breakpoints`: optimizer.algorithms.breakpoints alone (value, its bound, cuts, seconds);
* `tabu`: the tabu search alone from its greedy start for `--short` seconds (the heuristic
  stage as it was before the breakpoints);
* `auto short` / `auto long`: solve(problem, time_limit=...), the default pipeline.

The reference value of an instance is the best any of its runs found; the table gives
each run's shortfall from it and the default runs' gap to their own bound. With
`--cut-timing`, one minimum cut of the first instance is also timed with networkx's
`minimum_cut` (the pure-Python alternative to PyMaxflow).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:                       # run as a script from anywhere
    sys.path.insert(0, str(ROOT))


def _make(kind: str, n: int, param: float, seed: int):
    from instances import generate_collaboration_qkp, generate_qkp

    return generate_qkp(n, param, seed) if kind == "dense" else generate_collaboration_qkp(n, seed, budget_share=param)


def _cell(kind: str, n: int, param: float, seed: int, short: float, long: float) -> dict:
    """Every run on one instance, in this worker."""
    from optimizer import solve
    from optimizer.algorithms.breakpoints import applies, breakpoint_start
    from optimizer.algorithms.tabu import tabu_search

    problem = _make(kind, n, param, seed)
    row: dict = {"instance": problem.name, "n": problem.n, "pairs": problem.n_pairs}
    why_not = applies(problem)
    cut = breakpoint_start(problem) if why_not is None else None
    if cut is not None:
        row.update(bp_value=cut.objective, bp_bound=cut.bound, bp_cuts=cut.cuts, bp_s=round(cut.seconds, 3))
    else:                      # above MAX_PAIRS one cut takes seconds: auto does not run them either
        row.update(bp_value=float("nan"), bp_bound=float("nan"), bp_cuts=0, bp_s=0.0)
    tabu = tabu_search(problem, time_limit=short, seed=0)
    row.update(tabu_value=tabu.objective, tabu_s=round(tabu.seconds, 2))
    for label, limit in (("short", short), ("long", long)):
        t0 = time.perf_counter()
        r = solve(problem, time_limit=limit, threads=1)
        row.update({f"auto_{label}_value": r.objective, f"auto_{label}_bound": r.bound,
                    f"auto_{label}_status": r.termination.value, f"auto_{label}_s": round(time.perf_counter() - t0, 2)})
    return row


def _cut_timing(kind: str, n: int, param: float, seed: int) -> str:
    """One cut with PyMaxflow and with networkx, at the price of the budget's bracket."""
    import networkx as nx
    import numpy as np

    from optimizer.algorithms.breakpoints import _Items

    items = _Items(_make(kind, n, param, seed))
    price = float(np.median(items.c + items.half_degree) / max(np.median(items.w), 1e-9))
    t0 = time.perf_counter()
    ours = items.cut(price)
    t_ours = time.perf_counter() - t0
    d = items.c - price * items.w + items.half_degree
    graph = nx.DiGraph()
    graph.add_edges_from(("s", k, {"capacity": d[k]}) for k in np.flatnonzero(d > 0))
    graph.add_edges_from((k, "t", {"capacity": -d[k]}) for k in np.flatnonzero(d < 0))
    graph.add_edges_from((a, b, {"capacity": q / 2}) for a, b, q in zip(items.i, items.j, items.q, strict=True))
    graph.add_edges_from((b, a, {"capacity": q / 2}) for a, b, q in zip(items.i, items.j, items.q, strict=True))
    t0 = time.perf_counter()
    _, (side, _) = nx.minimum_cut(graph, "s", "t")
    t_nx = time.perf_counter() - t0
    theirs = np.zeros(items.m, bool)
    theirs[[k for k in side if k != "s"]] = True

    def worth(s: np.ndarray) -> float:
        return items.value(s) - price * float(items.w[s].sum())

    return (f"one cut at n = {items.m}: PyMaxflow {t_ours:.4f} s, networkx {t_nx:.2f} s "
            f"(same optimum: {abs(worth(ours) - worth(theirs)) < 1e-6 * max(1.0, abs(worth(ours)))})")


def main(argv: list[str] | None = None) -> int:
    """Run the grid and print the table."""
    import pandas as pd

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kind", choices=["sparse", "dense"], default="sparse")
    ap.add_argument("--n", type=int, nargs="+", default=[10_000])
    ap.add_argument("--budgets", type=float, nargs="+", default=[0.02, 0.05, 0.1], help="sparse: budget shares")
    ap.add_argument("--densities", type=float, nargs="+", default=[25, 50, 75, 100], help="dense: densities")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--short", type=float, default=10.0, help="seconds of the tabu and the default short run")
    ap.add_argument("--long", type=float, default=60.0, help="seconds of the default long run")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cut-timing", action="store_true", help="also time one cut with networkx")
    ap.add_argument("--csv", type=Path, default=None)
    args = ap.parse_args(argv)
    params = args.budgets if args.kind == "sparse" else args.densities
    cells = [(args.kind, n, p, s) for n in args.n for p in params for s in args.seeds]
    if args.cut_timing:
        print(_cut_timing(*cells[0]), flush=True)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(_cell, *c, args.short, args.long) for c in cells]
        rows = []
        for fut in futures:
            rows.append(fut.result())
            print(rows[-1]["instance"], "done", flush=True)
    table = pd.DataFrame(rows)
    values = [c for c in table.columns if c.endswith("_value")]
    table["reference"] = table[values].max(axis=1)
    for c in values:
        table[c.replace("_value", "_short%")] = 100 * (table["reference"] - table[c]) / table["reference"].abs()
    for label in ("short", "long"):
        table[f"auto_{label}_gap%"] = 100 * (table[f"auto_{label}_bound"] - table[f"auto_{label}_value"]) \
            / table[f"auto_{label}_value"].abs()
    show = ["instance", "pairs", "bp_cuts", "bp_s", "bp_short%", "tabu_short%", "auto_short_short%",
            "auto_short_gap%", "auto_short_status", "auto_long_short%", "auto_long_gap%", "auto_long_status",
            "auto_long_s"]
    with pd.option_context("display.width", 250, "display.max_columns", 30, "display.float_format", "{:.4f}".format):
        print(table[show].to_string(index=False))
        print("\nmean shortfall from the best value (%):", table[[c for c in table.columns
                                                                  if c.endswith("_short%")]].mean().round(4).to_dict())
        print(f"proven optimal: auto {args.short:g} s {int((table.auto_short_status == 'optimal').sum())}"
              f"/{len(table)}, auto {args.long:g} s {int((table.auto_long_status == 'optimal').sum())}/{len(table)}")
    if args.csv:
        from optimizer.core.files import write_text

        write_text(args.csv, table.to_csv(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
