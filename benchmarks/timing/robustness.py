"""200 robustness samples of the bundled 60-candidate example: one process, two processes, and a
two-worker dask LocalCluster, side by side, then the robust portfolio over the samples.

    python benchmarks/timing/robustness.py [--bundle examples/alliance-60] [--samples 200]
                                           [--backends 1 2 dask] [--time-limit 60]

Each sample is solved on its own (threads=1); the inclusion table is the same whatever the
backend (checked here), only the wall time differs. The robust portfolio (one exact model over
every sample, formulations/sampled.py) is timed once, with the size of its model.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:                      # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from formulations import sampled  # noqa: E402
from instances import read_scenario  # noqa: E402
from optimizer.analysis.robust import DEFAULT_TAIL, robust_portfolio, robustness  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", default=str(ROOT / "examples" / "alliance-60"))
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--backends", nargs="+", default=["1", "2", "dask"],
                        help="1, 2, ... (local processes) and/or dask (a LocalCluster of 2 workers)")
    args = parser.parse_args()
    scenario = read_scenario(args.bundle)
    tables = {}
    for backend in args.backends:
        jobs, dask = (2, "local") if backend == "dask" else (int(backend), None)
        t0 = time.perf_counter()
        rob = robustness(scenario, samples=args.samples, seed=args.seed, robust=False, jobs=jobs, dask=dask,
                         time_limit=args.time_limit, threads=1)
        seconds = time.perf_counter() - t0
        tables[backend] = rob.inclusion[["id", "frequency"]]
        proven = int(rob.samples["proven"].sum())
        print(f"{backend:>5}: {args.samples} samples, {proven} proven, {seconds:.1f} s "
              f"({seconds / args.samples:.2f} s per sample)", flush=True)
    first = next(iter(tables.values()))
    for backend, table in tables.items():
        assert first.equals(table), f"{backend} gives other inclusion frequencies"
    tables_drawn = scenario.uncertainty.sample(scenario.candidates, scenario.estimated_columns, args.samples,
                                               args.seed)
    problems = [scenario.replace(candidates=t, uncertainty=None).compile().problem for t in tables_drawn]
    model = sampled.build(problems, DEFAULT_TAIL)
    t0 = time.perf_counter()
    best = robust_portfolio(scenario, tables_drawn, DEFAULT_TAIL, time_limit=args.time_limit)
    seconds = time.perf_counter() - t0
    print(f"robust portfolio over {args.samples} samples (tail {DEFAULT_TAIL:.0%}): {best.termination.value}, "
          f"{seconds:.1f} s with compiling ({best.seconds:.1f} s in HiGHS); model {model.num_col} columns, "
          f"{model.num_row} rows, {model.num_nz} nonzeros; tail mean {best.value:.4f}", flush=True)
    print(rob.summary())


if __name__ == "__main__":
    main()
