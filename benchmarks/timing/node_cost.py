"""Node cost of the branch and bound: the compiled kernel against the numpy search it replaced (now the test
oracle in tests/optimizer/algorithms/numpy_branch_and_bound.py), side by side.

Both searches run in this one process, one after the other, on the same
instances (one thread: numpy's BLAS is not used by either search), each with a
per-run time limit and no start (each finds its own incumbent). The numba
compilation (or the load from its cache) is timed apart before any run.

    python benchmarks/timing/node_cost.py --sizes 100 200 --densities 25 50 --time-limit 30
    python benchmarks/timing/node_cost.py --standard 4 --csv node_cost.csv
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")      # one thread, before numpy loads
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:                       # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from instances import generate_qkp, read_qkp  # noqa: E402
from optimizer.algorithms import qkp_kernel  # noqa: E402
from optimizer.algorithms.branch_and_bound import branch_and_bound  # noqa: E402
from optimizer.core.files import write_text  # noqa: E402
from optimizer.core.problem import SelectionProblem  # noqa: E402
from tests.optimizer.algorithms.numpy_branch_and_bound import numpy_branch_and_bound  # noqa: E402

STANDARD = ROOT.parent / "shared" / "instances" / "qkp-standard"
COLUMNS = ("status", "nodes", "seconds", "us_per_node", "root_bound", "value")


def warm_up() -> float:
    """Compile the kernel (or load it from numba's cache); returns the seconds it took."""
    t = time.perf_counter()
    branch_and_bound(generate_qkp(12, 50, 1))
    return time.perf_counter() - t


def instances(sizes: list[int], densities: list[int], seed: int, standard: int) -> list[tuple[str, SelectionProblem]]:
    """Generated instances, then the first `standard` files of each n of the standard set (when present)."""
    out = [(f"qkp_{n}_{d}_{seed}", generate_qkp(n, d, seed)) for n in sizes for d in densities]
    if standard and STANDARD.is_dir():
        for n in sizes:
            for d in densities:
                for path in sorted(STANDARD.glob(f"jeu_{n}_{d}_*.txt"))[:standard]:
                    out.append((path.stem, read_qkp(path)))
    return out


def density(problem: SelectionProblem) -> float:
    """Share of the n (n - 1) / 2 pairs with a nonzero value, in percent."""
    n = problem.n
    return 100.0 * int((problem.pair_q != 0).sum()) / max(1, n * (n - 1) // 2)


def run(problem: SelectionProblem, search: str, time_limit: float) -> dict[str, object]:
    """One search on one instance: the table's columns."""
    solve = numpy_branch_and_bound if search == "numpy" else branch_and_bound
    found = solve(problem, time_limit=time_limit)
    return {"status": found.termination.value, "nodes": found.nodes, "seconds": found.seconds,
            "us_per_node": 1e6 * found.seconds / found.nodes if found.nodes else math.nan,
            "root_bound": found.root_bound, "value": found.objective, "note": found.note}


def main(argv: list[str] | None = None) -> int:
    """Run the grid and print the table (and write a CSV when asked)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 300], help="n of the instances")
    parser.add_argument("--densities", type=int, nargs="+", default=[25, 50, 75, 100], help="pair densities in %%")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated instances")
    parser.add_argument("--standard", type=int, default=1,
                        help=f"standard files per size and density from {STANDARD} (0: none; skipped when absent)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per run")
    parser.add_argument("--searches", nargs="+", choices=("numpy", "kernel"), default=["numpy", "kernel"])
    parser.add_argument("--csv", type=Path, help="also write the rows to this CSV file")
    args = parser.parse_args(argv)
    ok, why = qkp_kernel.compiled_available()
    if "kernel" in args.searches and not ok:
        parser.error(f"the compiled kernel cannot run: {why}")
    if ok:
        print(f"numba compile or cache load: {warm_up():.2f} s ({why})", flush=True)
    header = ["instance", "n", "density"] + [f"{s}:{c}" for s in args.searches for c in COLUMNS]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header), flush=True)
    rows = []
    for name, problem in instances(args.sizes, args.densities, args.seed, args.standard):
        row: dict[str, object] = {"instance": name, "n": problem.n, "density": round(density(problem))}
        for search in args.searches:
            for key, value in run(problem, search, args.time_limit).items():
                row[f"{search}:{key}"] = value
        rows.append(row)
        cells = [str(row[h]) if not isinstance(row[h], float) else f"{row[h]:.6g}" for h in header]
        print("| " + " | ".join(cells) + " |", flush=True)
    if args.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else header)
        writer.writeheader()
        writer.writerows(rows)
        write_text(args.csv, buffer.getvalue())     # the one safe writer
    return 0


if __name__ == "__main__":
    sys.exit(main())
