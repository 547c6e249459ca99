"""How far past its time limit `solve` returns, on the largest instances we have.

    python benchmarks/timing/time_limits.py [--time-limit 20] [--jobs 1] [--csv out.csv]

Each case runs in a fresh process (instance generated there, not timed) and the
wall time of `solve(..., time_limit=T)` is compared with T. The overrun is what
the README's guarantee is measured from.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

CASES = [
    # (label, instance spec, solver, formulation)
    ("qkp n=300 50% standard (HiGHS ran 329 s on 120 s here once)", "qkp:n=300,density=50,seed=1", "highs", "standard"),
    ("qkp n=1000 100%", "qkp:n=1000,density=100,seed=1", "auto", "auto"),
    ("qkp n=1000 100% rlt", "qkp:n=1000,density=100,seed=1", "highs", "rlt"),
    ("qkp n=2000 50%", "qkp:n=2000,density=50,seed=1", "auto", "auto"),
    ("qkp n=2000 100% heuristic", "qkp:n=2000,density=100,seed=1", "heuristic", "auto"),
    ("collab n=10000", "collab", "auto", "auto"),
    ("alliance 300 candidates, levels", "alliance:n=300,seed=1,levels=true", "auto", "auto"),
    ("alliance 300 candidates, levels, HiGHS", "alliance:n=300,seed=1,levels=true", "highs", "auto"),
]


def _case(label: str, spec: str, solver: str, formulation: str, time_limit: float) -> dict:
    from instances import generate_collaboration_qkp
    from instances.readers import load as load_problem
    from optimizer import Scenario, solve

    problem = generate_collaboration_qkp(10_000, seed=1) if spec == "collab" else load_problem(spec)
    if isinstance(problem, Scenario):
        problem = problem.compile().problem
    t0 = time.perf_counter()
    r = solve(problem, solver=solver, formulation=formulation, time_limit=time_limit, threads=1)
    wall = time.perf_counter() - t0
    return {"case": label, "n": problem.n, "pairs": problem.n_pairs, "solver": solver, "formulation": r.formulation,
            "time_limit": time_limit, "wall_s": round(wall, 2), "overrun_s": round(wall - time_limit, 2),
            "termination": r.termination.value, "message": r.message[:120]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--csv", type=Path, default=None)
    args = ap.parse_args(argv)
    rows = []
    with ProcessPoolExecutor(max_workers=args.jobs, max_tasks_per_child=1) as pool:
        futures = [pool.submit(_case, *c, args.time_limit) for c in CASES]
        for fut in futures:
            row = fut.result()
            rows.append(row)
            print(f"{row['case']:<58} {row['solver']:<9} wall {row['wall_s']:>7.2f} s  "
                  f"overrun {row['overrun_s']:>+6.2f} s  {row['termination']}", flush=True)
    worst = max(r["overrun_s"] for r in rows)
    print(f"largest overrun: {worst:+.2f} s on a {args.time_limit:g} s limit")
    if args.csv:
        from optimizer.core.files import write_text

        write_text(args.csv, pd.DataFrame(rows).to_csv(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
