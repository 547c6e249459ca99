"""The resource guard's memory estimate next to the peak memory a solve really takes.

    python benchmarks/timing/memory_estimates.py [--time-limit 5] [--csv out.csv]

Each case builds and solves (briefly) in a fresh process and reports that
process's peak resident memory beside `optimizer.engine.resources.estimate_mb`.
The guard should over-estimate (ratio estimate / peak >= 1) without being absurd.
"""

from __future__ import annotations

import argparse
import resource
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

CASES = [
    ("qkp:n=300,density=50,seed=1", "highs", "standard"),
    ("qkp:n=1000,density=100,seed=1", "highs", "standard"),
    ("qkp:n=1000,density=100,seed=1", "highs", "rlt"),
    ("qkp:n=1000,density=100,seed=1", "highs", "glover"),
    ("qkp:n=2000,density=50,seed=1", "highs", "standard"),
    ("qkp:n=300,density=50,seed=1", "pyomo:highs", "standard"),
    ("qkp:n=500,density=100,seed=1", "pyomo:highs", "standard"),
]


def _case(spec: str, solver: str, formulation: str, time_limit: float) -> dict:
    from instances.readers import load as load_problem
    from optimizer import solve
    from optimizer.engine.resources import estimate_mb, model_size

    problem = load_problem(spec)
    estimate = estimate_mb(problem, formulation, solver)
    r = solve(problem, solver=solver, formulation=formulation, time_limit=time_limit, threads=1,
              memory_limit=1e9)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {"instance": spec, "solver": solver, "formulation": formulation,
            "nonzeros": model_size(problem, formulation).nonzeros, "estimate_mb": round(estimate),
            "peak_mb": round(peak), "ratio": round(estimate / peak, 2), "termination": r.termination.value}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=5.0)
    ap.add_argument("--csv", type=Path, default=None)
    args = ap.parse_args(argv)
    rows = []
    with ProcessPoolExecutor(max_workers=1, max_tasks_per_child=1) as pool:
        for case in CASES:
            row = pool.submit(_case, *case, args.time_limit).result()
            rows.append(row)
            print(f"{row['instance']:<32} {row['solver']:<12} {row['formulation']:<9} nz {row['nonzeros']:>10,} "
                  f"estimate {row['estimate_mb']:>6} MB  peak {row['peak_mb']:>6} MB  ratio {row['ratio']:.2f}",
                  flush=True)
    if args.csv:
        from optimizer.core.files import write_text

        write_text(args.csv, pd.DataFrame(rows).to_csv(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
