"""What it takes for every candidate of the bundled 60-candidate example, one process and two side by side.

    python benchmarks/timing/what_it_takes.py [--bundle examples/alliance-60] [--time-limit 60]

One solve per candidate (a left-out one forced in, a chosen one excluded) plus the base solve;
the table is the same whatever `jobs` is (checked here), only the wall time differs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:                      # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from instances import read_scenario  # noqa: E402
from optimizer.analysis.sensitivity import what_it_takes  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", default=str(ROOT / "examples" / "alliance-60"))
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    scenario = read_scenario(args.bundle)
    tables = {}
    for jobs in args.jobs:
        t0 = time.perf_counter()
        tables[jobs] = what_it_takes(scenario, jobs=jobs, time_limit=args.time_limit, threads=1)
        seconds = time.perf_counter() - t0
        t = tables[jobs]
        print(f"jobs={jobs}: {len(t)} candidates, {int(t['proven'].sum())} thresholds proven, {seconds:.1f} s "
              f"({seconds / len(t):.2f} s per candidate)", flush=True)
    first = tables[args.jobs[0]][["id", "threshold"]]
    for jobs, t in tables.items():
        assert first.equals(t[["id", "threshold"]]) or (first["threshold"] - t["threshold"]).abs().max() < 1e-6, jobs


if __name__ == "__main__":
    main()
