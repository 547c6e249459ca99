"""Build and solve seconds per formulation and solver on the shared QKP instances.

    python benchmarks/formulation_times.py [--dir ../shared/instances/qkp-standard] [--n 100]
        [--combos highs/standard,highs/glover] [--time-limit 120] [--jobs 2] [--csv out.csv]

Each (instance, solver, formulation) cell runs in its own process with one
solver thread; the table reports build and solve seconds separately, the
termination, and whether the value matches the published optimum.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "instances" / "qkp-standard"


def _cell(path: str, solver: str, formulation: str, time_limit: float) -> dict:
    from instances import read_qkp
    from optimizer import solve

    problem = read_qkp(path)
    t0 = time.perf_counter()
    r = solve(problem, solver=solver, formulation=formulation, time_limit=time_limit, threads=1)
    return {"instance": Path(path).stem, "n": problem.n, "pairs": problem.n_pairs, "solver": solver,
            "formulation": r.formulation, "build_s": round(r.build_seconds, 4), "solve_s": round(r.solve_seconds, 3),
            "wall_s": round(time.perf_counter() - t0, 3), "termination": r.termination.value,
            "objective": r.objective, "bound": r.bound, "nodes": r.nodes}


def _optima(directory: Path) -> dict[str, float]:
    f = directory / "optima.csv"
    if not f.exists():
        return {}
    with f.open() as fh:
        return {row["instance"]: float(row["optimum"]) for row in csv.DictReader(fh)}


def shifted_geomean(values: list[float], shift: float = 10.0) -> float:
    """Shifted geometric mean, the usual summary of solver times (shift 10 s)."""
    return math.exp(sum(math.log(v + shift) for v in values) / len(values)) - shift


def main(argv: list[str] | None = None) -> int:
    """Run the grid and print one row per cell plus a summary per solver/formulation."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--n", type=int, nargs="*", default=[100])
    ap.add_argument("--combos", default="highs/standard,highs/glover",
                    help="comma-separated solver/formulation pairs, e.g. highs/standard,pyomo:scip_direct/miqp")
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="only the first K instances (0: all)")
    ap.add_argument("--csv", type=Path, default=None)
    args = ap.parse_args(argv)
    if not args.dir.is_dir():
        print(f"instance directory {args.dir} not found (pass --dir)", file=sys.stderr)
        return 2
    # files named <prefix>_<n>_<density>_<k>.txt: the shared jeu_* ones, or generated qkp_* ones
    files = sorted(p for p in args.dir.glob("*_*_*_*.txt") if int(p.stem.split("_")[1]) in args.n)
    files.sort(key=lambda p: tuple(int(t) for t in p.stem.split("_")[1:]))
    if args.limit:
        files = files[: args.limit]
    combos = [c.rsplit("/", 1) for c in args.combos.split(",")]
    optima = _optima(args.dir)
    rows = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(_cell, str(f), s, fm, args.time_limit) for f in files for s, fm in combos]
        for fut in as_completed(futures):
            row = fut.result()
            opt = optima.get(row["instance"])
            row["optimum"] = opt
            row["correct"] = None if opt is None or row["objective"] is None else abs(row["objective"] - opt) < 0.5
            rows.append(row)
            print(f"{row['instance']:<16} {row['solver']:<18} {row['formulation']:<9} build {row['build_s']:>8.4f} s "
                  f"solve {row['solve_s']:>8.2f} s  {row['termination']:<10} obj {row['objective']} opt {opt}",
                  flush=True)
    print("\nsummary (shifted geometric mean, shift 10 s, time-limit hits counted at the limit)")
    for s, fm in combos:
        sub = [r for r in rows if r["solver"] == s and (r["formulation"] == fm or fm == "auto")]
        if not sub:
            continue
        times = [r["solve_s"] + r["build_s"] if r["termination"] == "optimal" else args.time_limit for r in sub]
        solved = sum(r["termination"] == "optimal" for r in sub)
        wrong = sum(r["correct"] is False and r["termination"] == "optimal" for r in sub)
        print(f"  {s}/{fm}: {solved}/{len(sub)} optimal, wrong {wrong}, sgm {shifted_geomean(times):.2f} s, "
              f"max {max(times):.2f} s, mean build {sum(r['build_s'] for r in sub) / len(sub):.4f} s")
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        with args.csv.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(sorted(rows, key=lambda r: (r["instance"], r["solver"], r["formulation"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
