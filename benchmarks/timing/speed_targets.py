"""Speed targets of the engine at scale: heuristic quality against long runs, and model build cost.

    python benchmarks/timing/speed_targets.py heuristic [--n 1000 2000] [--densities 25 50 75 100] [--seeds 1]
        [--time-limit 10] [--reference-seconds 600] [--reference-seeds 2] [--jobs 2] [--csv out.csv]
    python benchmarks/timing/speed_targets.py sparse [--n 10000] [--budgets 0.02 0.05 0.1] [--seeds 1]
        [--time-limit 10] [--reference-seconds 600] [--jobs 2] [--csv out.csv]
    python benchmarks/timing/speed_targets.py alliance [--n 300] [--levels 0 1] [--seeds 1]
        [--time-limit 10] [--reference-seconds 600] [--jobs 2] [--csv out.csv]
    python benchmarks/timing/speed_targets.py build [--n 2000] [--density 100] [--formulations standard rlt]
        [--pyomo] [--csv out.csv]

`heuristic`, `sparse` and `alliance` (generated scenarios, without and with engagement levels and
every constraint kind) run solve(solver="heuristic") with the short limit and
then long runs (other seeds, `--reference-seconds` each); the reference value
of an instance is the best any run found, and the table gives each short run's
shortfall from it in percent. `build` times formulations.build (and, with
--pyomo, building the same model as a Pyomo ConcreteModel) in a fresh process
each and reports the peak resident memory of that process.

Exact-solve targets (standard instances, generated n = 300) use the harness:
`alliance bench run --instances ... --solvers auto,highs --formulations auto,standard`.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import pandas as pd


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kilobytes on Linux


def _make(kind: str, n: int, density_or_share: float, seed: int):
    from instances import generate_collaboration_qkp, generate_qkp

    if kind == "dense":
        return generate_qkp(n, density_or_share, seed)
    if kind == "alliance":
        from benchmarks.timing.concave_bound import EVERY_KIND
        from instances import generate_alliance

        levels = bool(density_or_share)
        scenario = generate_alliance(n, seed=seed, **(EVERY_KIND if levels else {}))
        return scenario.compile().problem.replace(name=f"alliance_{n}_{seed}" + ("_levels" if levels else ""))
    return generate_collaboration_qkp(n, seed, budget_share=density_or_share)


def _heuristic_cell(kind: str, n: int, param: float, seed: int, run_seed: int, time_limit: float,
                    solver: str = "heuristic") -> dict:
    from optimizer import solve

    problem = _make(kind, n, param, seed)
    t0 = time.perf_counter()
    r = solve(problem, solver=solver, time_limit=time_limit, seed=run_seed, threads=1)
    return {"instance": problem.name, "n": problem.n, "pairs": problem.n_pairs, "run_seed": run_seed,
            "solver": solver,
            "time_limit": time_limit, "wall_s": round(time.perf_counter() - t0, 2), "objective": r.objective,
            "bound": r.bound, "termination": r.termination.value}


def _run_heuristics(cells: list[tuple], short: float, long: float, ref_seeds: int, jobs: int,
                    solver: str = "heuristic") -> list[dict]:
    """The short runs with `solver`, the long ones (the references) with the heuristic."""
    jobs_list = [(c, 0, short, solver) for c in cells] + [(c, s, long, "heuristic") for c in cells
                                                         for s in range(1, ref_seeds + 1)]
    rows = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_heuristic_cell, *c, s, t, name) for c, s, t, name in jobs_list]
        for fut in as_completed(futures):
            row = fut.result()
            rows.append(row)
            print(f"{row['instance']:<26} seed {row['run_seed']} limit {row['time_limit']:>6.0f} s  "
                  f"wall {row['wall_s']:>7.1f} s"
                  f"  objective {row['objective']:.10g}  bound {row['bound']:.10g}", flush=True)
    best: dict[str, float] = {}
    for row in rows:
        best[row["instance"]] = max(best.get(row["instance"], -float("inf")), row["objective"])
    for row in rows:
        row["reference"] = best[row["instance"]]
        row["shortfall_pct"] = 100.0 * (row["reference"] - row["objective"]) / max(abs(row["reference"]), 1.0)
    return rows


def _report_heuristics(rows: list[dict], short: float) -> None:
    sub = [r for r in rows if r["time_limit"] == short]
    print(f"\nshort runs ({short:g} s) against the best value of all runs:")
    for r in sorted(sub, key=lambda r: r["instance"]):
        print(f"  {r['instance']:<26} {r['objective']:.10g} vs {r['reference']:.10g}: {r['shortfall_pct']:.4f}% short")
    mean = sum(r["shortfall_pct"] for r in sub) / len(sub)
    print(f"  mean shortfall {mean:.4f}% over {len(sub)} instances, max {max(r['shortfall_pct'] for r in sub):.4f}%")


def _write_csv(rows: list[dict], path: Path | None) -> None:
    if path and rows:
        path.parent.mkdir(parents=True, exist_ok=True)
        from optimizer.core.files import write_text

        write_text(path, pd.DataFrame(rows).to_csv(index=False))


def _build_cell(n: int, density: float, formulation: str, pyomo: bool) -> dict:
    import formulations
    from instances import generate_qkp

    problem = generate_qkp(n, density, 1)
    base = _peak_mb()
    t0 = time.perf_counter()
    model = formulations.build(formulation, problem)
    build_s = time.perf_counter() - t0
    row = {"n": n, "pairs": problem.n_pairs, "formulation": formulation, "columns": model.num_col,
           "rows": model.num_row, "nonzeros": int(model.row_index.size), "build_s": round(build_s, 3),
           "peak_mb": round(_peak_mb(), 1), "peak_above_instance_mb": round(_peak_mb() - base, 1)}
    if pyomo:
        from optimizer.solvers.pyomo import Adapter

        t0 = time.perf_counter()
        Adapter.build_pyomo(model)
        row["pyomo_build_s"] = round(time.perf_counter() - t0, 2)
        row["pyomo_peak_mb"] = round(_peak_mb(), 1)
    return row


def main(argv: list[str] | None = None) -> int:
    """Run one of the target measurements and print its table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    h = sub.add_parser("heuristic", help="generated dense QKPs, heuristic short runs against long runs")
    h.add_argument("--n", type=int, nargs="+", default=[1000, 2000])
    h.add_argument("--densities", type=float, nargs="+", default=[25, 50, 75, 100])
    s = sub.add_parser("sparse", help="a large sparse collaboration-shaped QKP, several budgets")
    s.add_argument("--n", type=int, nargs="+", default=[10_000])
    s.add_argument("--budgets", type=float, nargs="+", default=[0.02, 0.05, 0.1])
    a = sub.add_parser("alliance", help="generated alliance scenarios, heuristic short runs against long runs")
    a.add_argument("--n", type=int, nargs="+", default=[300])
    a.add_argument("--levels", type=int, nargs="+", choices=[0, 1], default=[0, 1],
                   help="0: without engagement levels; 1: with levels and every constraint kind")
    for p in (h, s, a):
        p.add_argument("--seeds", type=int, nargs="+", default=[1])
        p.add_argument("--time-limit", type=float, default=10.0)
        p.add_argument("--reference-seconds", type=float, default=600.0)
        p.add_argument("--reference-seeds", type=int, default=1)
        p.add_argument("--jobs", type=int, default=2)
        p.add_argument("--csv", type=Path, default=None)
        p.add_argument("--solver", default="heuristic",
                       help="of the short runs (`auto`: the default solve); the long runs are the heuristic's")
    b = sub.add_parser("build", help="model build seconds and memory, arrays against Pyomo")
    b.add_argument("--n", type=int, nargs="+", default=[2000])
    b.add_argument("--density", type=float, default=100.0)
    b.add_argument("--formulations", nargs="+", default=["standard", "rlt"])
    b.add_argument("--pyomo", action="store_true", help="also build the Pyomo model (slow, memory hungry)")
    b.add_argument("--csv", type=Path, default=None)
    args = ap.parse_args(argv)

    if args.what in ("heuristic", "sparse", "alliance"):
        if args.what == "heuristic":
            cells = [("dense", n, d, seed) for n in args.n for d in args.densities for seed in args.seeds]
        elif args.what == "alliance":
            cells = [("alliance", n, levels, seed) for n in args.n for levels in args.levels for seed in args.seeds]
        else:
            cells = [("sparse", n, share, seed) for n in args.n for share in args.budgets for seed in args.seeds]
        rows = _run_heuristics(cells, args.time_limit, args.reference_seconds, args.reference_seeds, args.jobs,
                               args.solver)
        _report_heuristics(rows, args.time_limit)
        _write_csv(rows, args.csv)
        return 0
    rows = []
    fresh = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=fresh, max_tasks_per_child=1) as pool:  # peak memory per process
        for n in args.n:
            for f in args.formulations:
                row = pool.submit(_build_cell, n, args.density, f, args.pyomo).result()
                rows.append(row)
                print("  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    _write_csv(rows, args.csv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
