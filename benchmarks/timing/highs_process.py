"""What running HiGHS in a child process costs, side by side with HiGHS in this process.

    python benchmarks/timing/highs_process.py [--repeat 5] [--csv out.csv]

Since issue 12 every HiGHS solve runs in a child process (optimizer/solvers/highs_child.py) so
that a run past its limit can be killed. The alternative measured here is what the adapter
did before: the same arrays loaded into a `highspy.Highs` of this process and run there. Each
case builds the model once, then times `repeat` solves each way (one thread, same seed) and
reports the median wall time of a solve, including loading the model. The child's numbers
include starting the process when no spare was ready (the first solve) and sending the arrays.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

CASES = [
    # (label, generator arguments, formulation, time limit)
    ("qkp n=30 50% rlt (tiny: overhead dominates)", (30, 50, 2), "rlt", None),
    ("qkp n=60 50% rlt", (60, 50, 1), "rlt", None),
    ("qkp n=100 25% standard", (100, 25, 1), "standard", None),
    ("qkp n=1000 100% standard, 1 s (model transfer: 500k columns)", (1000, 100, 1), "standard", 1.0),
]


def in_process(model, options) -> float:
    """The pre-issue-12 path: load the arrays into a Highs of this process and run it."""
    import highspy

    t0 = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    if options.time_limit is not None:
        h.setOptionValue("time_limit", options.time_limit)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = model.num_col, model.num_row
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = model.col_cost, model.col_lower, model.col_upper
    lp.row_lower_, lp.row_upper_, lp.offset_ = model.row_lower, model.row_upper, float(model.offset)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = model.num_col, model.num_row
    lp.a_matrix_.start_ = model.row_start.astype(np.int32)
    lp.a_matrix_.index_ = model.row_index.astype(np.int32)
    lp.a_matrix_.value_ = model.row_value
    h.passModel(lp)
    ints = np.flatnonzero(model.integrality).astype(np.int32)
    h.changeColsIntegrality(ints.size, ints, np.ones(ints.size, dtype=np.uint8))
    h.run()
    return time.perf_counter() - t0


def in_child(model, options) -> float:
    """The adapter's path today: optimizer.solvers.highs.run_in_child."""
    from optimizer.solvers.highs import run_in_child

    t0 = time.perf_counter()
    run_in_child(model, options)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    """Run every case and print the table."""
    import formulations
    from instances import generate_qkp
    from optimizer.solvers.base import SolveOptions

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--csv", type=Path, default=None)
    args = ap.parse_args(argv)
    rows = []
    for label, gen, formulation, limit in CASES:
        model = formulations.build(formulation, generate_qkp(*gen))
        options = SolveOptions(time_limit=limit, threads=1, mip_gap=0.0)
        times = {"in process": [], "child process": []}
        for _ in range(args.repeat):  # alternate, so a busy moment of the machine hits both
            times["in process"].append(in_process(model, options))
            times["child process"].append(in_child(model, options))
        a, b = statistics.median(times["in process"]), statistics.median(times["child process"])
        rows.append({"case": label, "columns": model.num_col, "nonzeros": model.num_nz,
                     "in process s": round(a, 3), "child process s": round(b, 3), "overhead s": round(b - a, 3)})
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    if args.csv:
        from optimizer.core.files import write_text

        write_text(args.csv, table.to_csv(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
