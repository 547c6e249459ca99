"""The branch and bound beyond the classic QKP, side by side with HiGHS: which exact stage `auto` should use.

    python benchmarks/timing/kernel_reach.py                              # n = 60, 100; seeds 1-2; 20 s
    python benchmarks/timing/kernel_reach.py --n 100 200 --seeds 1 2 3 --time-limit 60 --csv out.csv

Families, each a generated QKP (density 50) with one kind of constraint added (`all`: every kind):

* `conflicts`: n/4 random conflict pairs and three groups of four;
* `rows`: two more knapsack rows (random weights 1-50, limits 30% of their totals);
* `size`: a size limit of n/5 items;
* `signed`: 30% of the pair values and 10% of the gains negative.

Per instance, in one worker process, one thread: `auto` (exact stage: the branch and bound, which now takes
these), `auto` with `formulation="standard"` (exact stage: HiGHS on the standard linearization, as before the
kernel took them) and `bnb` (the branch and bound from a short search). Time to optimality or the gap at
the limit; nodes. `--search-first 0.5 0.7` adds `auto@0.5`, `auto@0.7`: `auto` with that share of the time
for the branch and bound before HiGHS (`SHARES["search first"]` in optimizer/core/deadline.py).
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

from benchmarks.timing.grid import run_grid  # noqa: E402 - after the path set-up

FAMILIES = ("conflicts", "rows", "size", "signed", "all")
CONFIGS = {"auto": {}, "auto+highs": {"formulation": "standard"}, "bnb": {"solver": "bnb"}}


def variant(n: int, seed: int, family: str):  # noqa: ANN201 - a SelectionProblem (imported in the worker)
    """Generated QKP `generate_qkp(n, 50, seed)` with the family's constraints added (deterministic)."""
    import numpy as np

    from instances import generate_qkp

    base = generate_qkp(n, 50, seed)
    rng = np.random.default_rng(1000 * seed + n)
    changes: dict = {}
    kinds = FAMILIES[:-1] if family == "all" else (family,)
    if "conflicts" in kinds:
        pairs = rng.choice(n, size=(n // 4, 2))
        changes["conflicts"] = pairs[pairs[:, 0] != pairs[:, 1]]
        changes["groups"] = tuple(rng.permutation(n)[:12].reshape(3, 4))
    if "rows" in kinds:
        extra = rng.integers(1, 51, (2, n)).astype(float)
        changes.update(A=np.vstack([base.A, extra]), b=np.r_[base.b, np.floor(0.3 * extra.sum(axis=1))],
                       row_names=None)
    if "size" in kinds:
        changes["size_max"] = n // 5
    if "signed" in kinds:
        q = base.pair_q.copy()
        q[rng.random(q.size) < 0.3] *= -1
        c = base.c.copy()
        c[rng.random(n) < 0.1] *= -1
        changes.update(pair_q=q, c=c)
    return base.replace(**changes, name=f"qkp_{n}_50_{seed}_{family}")


def _cell(n: int, seed: int, family: str, time_limit: float, shares: tuple[float, ...] = ()) -> list[dict]:
    from optimizer import solve
    from optimizer.core.deadline import SHARES

    problem = variant(n, seed, family)
    rows = []
    default = SHARES["search first"]
    configs = [(name, options, default) for name, options in CONFIGS.items()]
    configs += [(f"auto@{share:g}", {}, share) for share in shares]
    for config, options, share in configs:
        SHARES["search first"] = share       # this worker's copy of the table, put back below
        t0 = time.perf_counter()
        try:
            result = solve(problem, time_limit=time_limit, threads=1, **options)
        finally:
            SHARES["search first"] = default
        stages = [stage.stage for stage in result.stages if "skipped" not in stage.info]
        rows.append({"instance": problem.name, "family": family, "n": n, "config": config,
                     "status": result.termination.value, "objective": result.objective, "bound": result.bound,
                     "seconds": round(time.perf_counter() - t0, 2), "nodes": result.nodes,
                     "exact_stage": next((s for s in ("branch-and-bound", "mip") if s in stages), "-")})
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the grid and print the table (and the shifted geometric mean of the time per family and config)."""
    import numpy as np
    import pandas as pd

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[60, 100])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--families", nargs="+", choices=FAMILIES, default=list(FAMILIES))
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--search-first", type=float, nargs="*", default=[])
    parser.add_argument("--csv", type=Path)
    args = parser.parse_args(argv)
    cells = [(n, s, f, args.time_limit, tuple(args.search_first)) for n in args.n for s in args.seeds
             for f in args.families]
    table = run_grid(_cell, cells, args.jobs, "instance")
    sgm = table.groupby(["family", "config"])["seconds"].apply(lambda s: float(np.exp(np.log(s + 10).mean()) - 10))
    proven = table.assign(ok=table["status"] == "optimal").groupby(["family", "config"])["ok"].sum()
    print("\nshifted geometric mean of seconds (shift 10) and instances proven, per family and config:")
    print(pd.DataFrame({"sgm_s": sgm.round(2), "proven": proven, "of": table.groupby(["family", "config"]).size()})
          .to_string())
    if args.csv:
        from optimizer.core.files import write_text

        write_text(args.csv, table.to_csv(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
