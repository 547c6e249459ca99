"""The concave relaxation's bound on generated alliance scenarios, side by side with the linear model's bound.

    python benchmarks/timing/concave_bound.py                          # n = 60, 120, 150, 300; seeds 1-2
    python benchmarks/timing/concave_bound.py --n 300 --seeds 1 2 3 --time-limit 60 --csv out.csv

Per scenario (with and without engagement levels; every constraint kind on in the levels ones),
in one worker process, one thread:

* `concave`: optimizer.engine.concave.concave_bound alone, to convergence (value, LP solves, seconds);
* `semidefinite`: optimizer.algorithms.semidefinite.semidefinite_bound alone, for at most `--time-limit`
  seconds (its value is a valid bound wherever it stops; the column is missing without SCS);
* `glover`: HiGHS on Glover's model (the linear model `auto` picks for negative pair terms) for
  `--time-limit` seconds: its bound and portfolio;
* `auto`: the default solve for `--time-limit` seconds (heuristic, Lagrangian and concave bounds,
  then the MIP): objective, bound, status.

Gaps are (bound - best value found by any run) / best value.

Where the relaxation's value comes from (`synergy_*`, `diagonal_excess`): the positive residual pairs
(synergies) as the relaxation counts them (y = min(x_i, x_j) at its point) against their value in `auto`'s
portfolio, and (1/2) sum_i S_ii x_i (1 - x_i), the value the relaxation's point gets from x_i^2 = x_i.
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

EVERY_KIND = {"levels": True, "required_domains": 2, "region_caps": True, "n_mandatory": 1, "n_excluded": 1,
              "subsidy": True}


def _cell(n: int, seed: int, levels: bool, time_limit: float) -> dict:
    from instances import generate_alliance
    from optimizer import solve
    from optimizer.algorithms.semidefinite import semidefinite_bound
    from optimizer.engine.concave import concave_bound

    scenario = generate_alliance(n, seed=seed, **(EVERY_KIND if levels else {}))
    problem = scenario.compile().problem
    row: dict = {"scenario": f"alliance_{n}_{seed}" + ("_levels" if levels else ""), "items": problem.n,
                 "pairs": problem.n_pairs}
    found = concave_bound(problem)
    assert found is not None
    row.update(concave=found.bound, concave_lps=found.iterations, concave_s=round(found.seconds, 2))
    row.update(_value_parts(problem, found.relaxation_x))
    lifted = semidefinite_bound(problem, time_limit=time_limit)
    if lifted is not None:                          # SCS installed
        row.update(semidefinite=lifted.bound, semidefinite_s=round(lifted.seconds, 2))
    glover = solve(problem, solver="highs", formulation="glover", time_limit=time_limit, threads=1)
    row.update(glover_value=glover.objective, glover_bound=glover.bound, glover_status=glover.termination.value)
    t0 = time.perf_counter()
    auto = solve(problem, time_limit=time_limit, threads=1)
    row.update(auto_value=auto.objective, auto_bound=auto.bound, auto_status=auto.termination.value,
               auto_s=round(time.perf_counter() - t0, 1))
    row["synergy_best"] = None if auto.x is None else _value_parts(problem, auto.x.astype(float))["synergy_relaxed"]
    return row


def _value_parts(problem, x):  # noqa: ANN001, ANN202 - a SelectionProblem (imported in the worker), 0 <= x <= 1
    """The positive residual pairs' value as the relaxation counts it at x (min(x_i, x_j); at a 0/1 x the
    product), and the diagonal's excess (1/2) sum_i S_ii x_i (1 - x_i)."""
    import numpy as np

    from optimizer.engine.concave import residual_problem

    S = problem.concave.matrix()
    residual = residual_problem(problem, S)
    positive = residual.pair_q > 0
    i, j = residual.pair_i[positive], residual.pair_j[positive]
    return {"synergy_relaxed": round(float(residual.pair_q[positive] @ np.minimum(x[i], x[j])), 2),
            "diagonal_excess": round(float(0.5 * np.diag(S) @ (x - x * x)), 2)}


def main(argv: list[str] | None = None) -> int:
    """Run the grid and print the table."""
    import pandas as pd

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[60, 120, 150, 300])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--csv", type=Path, default=None)
    args = ap.parse_args(argv)
    cells = [(n, s, lv, args.time_limit) for n in args.n for lv in (False, True) for s in args.seeds]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        rows = []
        for fut in [pool.submit(_cell, *c) for c in cells]:
            rows.append(fut.result())
            print(rows[-1]["scenario"], "done", flush=True)
    t = pd.DataFrame(rows)
    best = t[["glover_value", "auto_value"]].max(axis=1)
    bounds = [col for col in ("concave", "semidefinite", "glover_bound", "auto_bound") if col in t]
    for col in bounds:
        t[col.replace("_bound", "") + "_gap%"] = 100 * (t[col] - best) / best.abs()
    show = ["scenario", "items", "pairs", "concave_lps", "concave_s", "concave_gap%", "semidefinite_s",
            "semidefinite_gap%", "glover_gap%", "glover_status", "auto_gap%", "auto_status", "auto_s",
            "synergy_relaxed", "synergy_best", "diagonal_excess"]
    show = [col for col in show if col in t]
    with pd.option_context("display.width", 250, "display.max_columns", 20, "display.float_format", "{:.2f}".format):
        print(t[show].to_string(index=False))
        print("\nmean gap (%):", t[[c for c in t if c.endswith("_gap%")]].mean().round(2).to_dict())
    if args.csv:
        from optimizer.core.files import write_text

        write_text(args.csv, t.to_csv(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
