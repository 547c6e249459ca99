"""Compile, build and solve seconds on generated alliance scenarios.

    python benchmarks/timing/alliance_times.py [--seeds 1 2 3] [--cases a b] [--time-limit 60]
        [--threads 1] [--formulation auto] [--csv out.csv]

Cases: (a) 60 candidates with the default constraints (resource limits, peer
size and foreign-share ranges, hard conflicts); (b) 300 candidates with
engagement levels and every constraint kind (required domains, region caps,
mandatory and excluded partners, a regional subsidy, the foreign-partner
sigmoid). Compile (scenario -> canonical problem) is timed apart from the
solver's build (formulation + loading) and solve. Runs are sequential, so
timings do not compete for cores.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere


from instances import generate_alliance  # noqa: E402
from optimizer import Termination, solve  # noqa: E402
from optimizer.core.files import write_text  # noqa: E402

#: case -> (candidates, generator options)
CASES = {
    "a": (60, {}),
    "b": (300, dict(levels=True, required_domains=2, region_caps=True, n_mandatory=2, n_excluded=5,
                    subsidy=True, foreign_value=True)),
}


def run_case(case: str, seed: int, time_limit: float, threads: int, formulation: str) -> dict:
    """Generate, compile and solve one scenario; one result row."""
    n, options = CASES[case]
    t0 = time.perf_counter()
    scenario = generate_alliance(n, seed=seed, **options)
    generate_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    compiled = scenario.compile()
    compile_s = time.perf_counter() - t0
    p = compiled.problem
    row = {"case": case, "n": n, "seed": seed, "items": p.n, "pairs": p.n_pairs, "rows": p.A.shape[0],
           "groups": len(p.groups), "covers": len(p.covers), "generate_s": round(generate_s, 3),
           "compile_s": round(compile_s, 3), "build_s": None, "solve_s": None, "formulation": formulation,
           "termination": "", "objective": None, "bound": None, "gap": None, "size": None,
           "message": ""}
    r = solve(p, time_limit=time_limit, threads=threads, formulation=formulation)
    size = int(r.x[compiled.partner_items].sum()) if r.x is not None else None
    row.update(build_s=round(r.build_seconds, 3), solve_s=round(r.solve_seconds, 2), formulation=r.formulation,
               termination=r.termination.value, objective=r.objective, bound=r.bound, gap=r.gap, size=size,
               message=r.message if r.termination is not Termination.OPTIMAL else "")
    return row


def _fmt(v: float | None, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def main(argv: list[str] | None = None) -> int:
    """Run the cases for each seed and print one line per run."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--cases", nargs="+", choices=sorted(CASES), default=sorted(CASES))
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--formulation", default="auto")
    ap.add_argument("--csv", type=Path, default=None)
    args = ap.parse_args(argv)

    print(f"{'case':<4} {'n':>4} {'seed':>4} {'items':>5} {'pairs':>7} {'compile s':>9} {'build s':>8} "
          f"{'solve s':>8} {'termination':<12} {'objective':>10} {'bound':>10} {'gap':>8} {'size':>4}  formulation")
    generate_alliance(20, seed=0, **CASES["b"][1]).compile()  # warm-up: first-call import costs are not compile time
    rows = []
    for case in args.cases:
        for seed in args.seeds:
            row = run_case(case, seed, args.time_limit, args.threads, args.formulation)
            rows.append(row)
            print(f"{row['case']:<4} {row['n']:>4} {row['seed']:>4} {row['items']:>5} {row['pairs']:>7} "
                  f"{row['compile_s']:>9.3f} {_fmt(row['build_s'], '8.3f'):>8} {_fmt(row['solve_s'], '8.2f'):>8} "
                  f"{row['termination']:<12} {_fmt(row['objective'], '10.4f'):>10} {_fmt(row['bound'], '10.4f'):>10} "
                  f"{_fmt(row['gap'], '8.2%'):>8} {_fmt(row['size'], 'd'):>4}  {row['formulation']}", flush=True)
            if row["message"]:
                print(f"     {row['message']}", flush=True)
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        write_text(args.csv, pd.DataFrame(rows).to_csv(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
