"""Exact solves of generated alliance scenarios: the outer approximation against the MIP stage and HiGHS on rlt.

    python benchmarks/timing/alliance_exact.py                                  # n = 60, 100, 150; 10 s
    python benchmarks/timing/alliance_exact.py --n 300 --seeds 1 2 3 4 5 --time-limit 60 --csv out.csv

Scenarios `generate_alliance(n, seed=s)` without engagement levels, and with levels and every constraint kind
(benchmarks/timing/concave_bound.py's EVERY_KIND) for the same seeds. Per scenario, in one worker process, one
thread, side by side:

* `auto`: the default solve (heuristic, bounds with the semidefinite one, then the outer approximation on
  the concave part);
* `auto-sdp`: `auto` as on a machine without SCS (no semidefinite bound stage);
* `auto+glover`: `auto` with `formulation="glover"`: its exact stage is the MIP on Glover's model, the
  stage `auto` ran on scenarios before the outer approximation;
* `highs+rlt`: HiGHS alone on the RLT model;
* `scip+miqp` (only when asked for, `--configs ... scip+miqp`): SCIP on the quadratic objective.

Gaps are (bound - best value any configuration found) / best value, in percent.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:                       # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from benchmarks.timing.concave_bound import EVERY_KIND  # noqa: E402 - after the path set-up
from benchmarks.timing.grid import run_grid  # noqa: E402

CONFIGS = {"auto": {}, "auto+glover": {"formulation": "glover"}, "highs+rlt": {"solver": "highs", "formulation": "rlt"},
           # `auto` as it runs where SCS is not installed: no semidefinite bound stage
           "auto-sdp": {"without": "scs"},
           # SCIP on the quadratic objective: pyscipopt, in the `solvers` extra (`pip install -e .[solvers]`)
           "scip+miqp": {"solver": "pyomo:scip_direct", "formulation": "miqp"}}
DEFAULT_CONFIGS = ("auto", "auto-sdp", "auto+glover", "highs+rlt")


def _solve_as(config: str, problem, time_limit: float):  # noqa: ANN001, ANN202 - imported in the worker
    """`solve` with the configuration's options; `without` hides a package, as on a machine without it."""
    from optimizer import solve

    options = dict(CONFIGS[config])
    hidden = options.pop("without", None)
    saved = sys.modules.get(hidden) if hidden else None
    if hidden:
        sys.modules[hidden] = None  # type: ignore[assignment]   # `import` now raises ImportError
    try:
        return solve(problem, time_limit=time_limit, threads=1, **options)
    finally:
        if hidden:
            if saved is None:
                del sys.modules[hidden]
            else:
                sys.modules[hidden] = saved


def _cell(n: int, seed: int, levels: bool, time_limit: float, configs: tuple[str, ...]) -> list[dict]:
    from instances import generate_alliance

    problem = generate_alliance(n, seed=seed, **(EVERY_KIND if levels else {})).compile().problem
    name = f"alliance_{n}_{seed}" + ("_levels" if levels else "")
    rows = []
    for config in configs:
        t0 = time.perf_counter()
        result = _solve_as(config, problem, time_limit)
        rows.append({"scenario": name, "n": n, "levels": levels, "items": problem.n, "config": config,
                     "status": result.termination.value, "objective": result.objective, "bound": result.bound,
                     "seconds": round(time.perf_counter() - t0, 2),
                     "mips": next((s["mips"] for s in result.stages if s.stage == "outer approximation"), None),
                     "sdp_s": next((round(s.seconds, 2) for s in result.stages if s.stage == "semidefinite bound"),
                                   None)})
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the grid; print each run, then per size and config the proven count and the worst gap."""

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[60, 100, 150])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(DEFAULT_CONFIGS))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--csv", type=Path)
    args = parser.parse_args(argv)
    from optimizer import available_solvers

    ready = {row.solver: (bool(row.available), str(row.detail)) for row in available_solvers().itertuples()}
    for config in args.configs:                     # before any run: say which configuration cannot run, and why
        solver = str(CONFIGS[config].get("solver", "auto"))
        ok, why = ready.get(solver, (False, "not a solver this engine knows"))
        if not ok:
            parser.error(f"configuration {config!r} needs solver {solver!r}: {why}")
    cells = [(n, s, lv, args.time_limit, tuple(args.configs)) for n in args.n for lv in (False, True)
             for s in args.seeds]
    table = run_grid(_cell, cells, args.jobs, "scenario")
    summary = table.assign(proven=table["status"] == "optimal").groupby(["n", "levels", "config"]).agg(
        proven=("proven", "sum"), runs=("proven", "size"), max_s=("seconds", "max"), max_gap=("gap_%", "max"))
    print("\nper size, with or without levels, and config:")
    print(summary.to_string())
    if args.csv:
        from optimizer.core.files import write_text

        write_text(args.csv, table.to_csv(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
