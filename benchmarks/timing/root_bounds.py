"""The root bound the branch and bound uses against Lagrangian decomposition, on standard QKP instances.

Issue 14's remaining item is "a stronger root": where the upper planes (Caprara, Pisinger & Toth) leave a
gap above about 1%, Billionnet & Soutif's Lagrangian decomposition (2004). This script measures what that
bound would give and cost before it goes into the engine: per instance, the branch and bound's root bound
(its plane bound after the root's subgradient steps, and their seconds) beside the decomposition's.

The decomposition: the items are split into clusters of `--cluster` items (greedily, each seeded by the item
with the largest remaining pair values and filled with its strongest partners). Subproblem k keeps cluster k's
items x and a copy y^k of every other item, with the knapsack row; a pair inside the cluster is exact, a pair
(i in k, j in l) is split, a_ij x_i y^k_j + a_ji x_j y^l_i with a_ij + a_ji = q_ij; the copies are tied to the
originals by multipliers lambda^k_j (y^k_j = x_j dualized). A subproblem is solved exactly: each of the
2^cluster assignments of its own items, then a 0-1 knapsack over the copies (dynamic programming over the
capacity; the weights are whole numbers). Both the split and lambda take projected-free subgradient steps
(Polyak, towards the branch and bound's incumbent; the step halves after 10 steps without progress).

    python benchmarks/timing/root_bounds.py jeu_100_25_1 jeu_200_25_6
    python benchmarks/timing/root_bounds.py jeu_200_25_6 --cluster 4 --steps 400 --csv root_bounds.csv

Measured (2026-12-06, one thread): benchmarks/README.md, "A stronger root".
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")      # one thread, before numpy loads

import numpy as np  # noqa: E402
from numba import njit  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:                       # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from instances import generate_qkp, read_qkp  # noqa: E402
from optimizer.algorithms.branch_and_bound import branch_and_bound  # noqa: E402
from optimizer.core.files import write_text  # noqa: E402
from optimizer.core.problem import SelectionProblem  # noqa: E402

STANDARD = ROOT.parent / "shared" / "instances" / "qkp-standard"
COLUMNS = ("instance", "n", "optimum", "plane_bound", "plane_gap_pct", "plane_seconds", "decomposition_bound",
           "decomposition_gap_pct", "decomposition_seconds", "evaluations", "ms_per_evaluation")


@njit(cache=True)
def _knapsack(profit: np.ndarray, weight: np.ndarray, capacity: int, items: np.ndarray,
              take: np.ndarray) -> float:
    """0-1 knapsack over `items` by dynamic programming over the capacity; marks the solution in `take`."""
    best = np.zeros(capacity + 1)
    keep = np.zeros((items.shape[0], capacity + 1), np.bool_)
    for s in range(items.shape[0]):
        t = items[s]
        for r in range(capacity, weight[t] - 1, -1):
            v = best[r - weight[t]] + profit[t]
            if v > best[r]:
                best[r] = v
                keep[s, r] = True
    r = capacity
    for s in range(items.shape[0] - 1, -1, -1):
        if keep[s, r]:
            take[items[s]] = True
            r -= weight[items[s]]
    return best[capacity]


@njit(cache=True)
def _evaluate(instance: tuple, split: np.ndarray, lam: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """The decomposition's bound for `split` and `lam` on `instance` (gains, pair values, weights, capacity,
    clusters, their sizes); each item's value in its own subproblem in `x`, the copies in `y` (K x n)."""
    p, Q, w, capacity, clusters, sizes = instance
    n = p.shape[0]
    lam_sum = lam.sum(axis=0)
    total = 0.0
    profit = np.zeros(n)
    candidates = np.empty(n, np.int64)
    own = np.zeros(n, np.bool_)
    take = np.zeros(n, np.bool_)
    for k in range(clusters.shape[0]):
        members = clusters[k, :sizes[k]]
        own[:] = False
        own[members] = True
        best_value, best_mask = -np.inf, -1
        for mask in range(1 << members.shape[0]):
            used, value = 0, 0.0
            profit[:] = -lam[k]
            for t in range(members.shape[0]):
                if mask >> t & 1:
                    i = members[t]
                    used += w[i]
                    value += p[i] + lam_sum[i] - lam[k, i]
                    for u in range(t + 1, members.shape[0]):
                        if mask >> u & 1:
                            value += Q[i, members[u]]
                    profit += split[i]
            if used > capacity:
                continue
            count = 0
            for j in range(n):
                if not own[j] and profit[j] > 0 and w[j] <= capacity - used:
                    candidates[count] = j
                    count += 1
            take[:] = False
            value += _knapsack(profit, w, capacity - used, candidates[:count], take)
            if value > best_value:      # keep the best assignment's copies for the subgradient
                best_value, best_mask = value, mask
                y[k, :] = take
        total += best_value
        for t in range(members.shape[0]):
            x[members[t]] = best_mask >> t & 1 == 1
    return total


def clusters_of(Q: np.ndarray, size: int) -> list[list[int]]:
    """Greedy clusters: the item with the largest pair values left seeds one, its strongest partners fill it
    (on jeu_100_25_1 1.43% against 1.89% for clusters in index order, 600 steps)."""
    left = np.ones(Q.shape[0], bool)
    out = []
    while left.any():
        rest = np.flatnonzero(left)
        group = [int(rest[np.argmax(Q[np.ix_(rest, rest)].sum(axis=1))])]
        left[group[0]] = False
        while len(group) < size and left.any():
            rest = np.flatnonzero(left)
            j = int(rest[np.argmax(Q[np.ix_(group, rest)].sum(axis=0))])
            group.append(j)
            left[j] = False
        out.append(group)
    return out


def decomposition_bound(problem: SelectionProblem, target: float, *, cluster: int = 4, steps: int = 400,
                        ) -> tuple[float, int]:
    """Billionnet & Soutif's bound for a classic QKP with whole-number weights: (best bound, evaluations).
    `target` (a portfolio's value) steers the Polyak step."""
    n = problem.n
    Q = np.zeros((n, n))
    Q[problem.pair_i, problem.pair_j] = problem.pair_q
    Q += Q.T
    w = problem.A[0].astype(np.int64)
    if not np.array_equal(w, problem.A[0]) or problem.A.shape[0] != 1 or np.any(Q < 0):
        raise ValueError("the decomposition is measured on classic QKPs with whole-number weights")
    groups = clusters_of(Q, cluster)
    clusters = np.zeros((len(groups), cluster), np.int64)
    sizes = np.array([len(g) for g in groups], np.int64)
    owner = np.empty(n, np.int64)
    for k, g in enumerate(groups):
        clusters[k, :len(g)] = g
        owner[g] = k
    cross = owner[:, None] != owner[None, :]
    split = np.where(cross, Q / 2, 0.0)
    lam = np.zeros((len(groups), n))
    x = np.zeros(n, np.bool_)
    y = np.zeros((len(groups), n), np.bool_)
    capacity = int(problem.b[0])
    p = np.asarray(problem.c, float)
    instance = (p, Q, w, capacity, clusters, sizes)
    bound = best = _evaluate(instance, split, lam, x, y)
    best_split, best_lam = split.copy(), lam.copy()
    mu, stalled, evaluations = 2.0, 0, 1
    mine = np.zeros((len(groups), n), bool)
    mine[owner, np.arange(n)] = True
    for _ in range(steps):
        g_lam = np.where(mine, 0.0, x[None, :].astype(float) - y)
        both = (x[:, None] & y[owner, :]).astype(float)          # x_i y^{owner i}_j
        g_split = np.triu(np.where(cross, both - both.T, 0.0))
        norm = float((g_lam ** 2).sum() + (g_split ** 2).sum())
        if norm == 0 or bound - target <= 1e-9:
            break
        step = mu * (bound - target) / norm
        lam -= step * g_lam
        split -= step * (g_split - g_split.T)                     # a_ij + a_ji = q_ij stays
        bound = _evaluate(instance, split, lam, x, y)
        evaluations += 1
        if bound < best - 1e-9:
            best, best_split, best_lam, stalled = bound, split.copy(), lam.copy(), 0
        else:
            stalled += 1
            if stalled >= 10:
                mu, stalled = mu / 2, 0
                split, lam = best_split.copy(), best_lam.copy()
                if mu < 1e-4:
                    break
    return best, evaluations


def measure(name: str, optimum: float, cluster: int, steps: int) -> dict:
    """One row of the table: the plane root bound and the decomposition's, each with its seconds."""
    problem = read_qkp(STANDARD / f"{name}.txt")
    found = branch_and_bound(problem, time_limit=30.0)        # its root, and an incumbent to steer by
    t0 = time.perf_counter()
    bound, evaluations = decomposition_bound(problem, found.objective, cluster=cluster, steps=steps)
    seconds = time.perf_counter() - t0
    return {"instance": name, "n": problem.n, "optimum": optimum, "plane_bound": round(found.root_bound, 1),
            "plane_gap_pct": round(100 * (found.root_bound - optimum) / optimum, 3),
            "plane_seconds": round(found.root_seconds, 3), "decomposition_bound": round(bound, 1),
            "decomposition_gap_pct": round(100 * (bound - optimum) / optimum, 3),
            "decomposition_seconds": round(seconds, 2), "evaluations": evaluations,
            "ms_per_evaluation": round(1000 * seconds / evaluations, 1)}


def main(argv: list[str] | None = None) -> int:
    """Command line: the instances named, one after the other in this process."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instances", nargs="+", help="standard instance names, e.g. jeu_200_25_6")
    ap.add_argument("--cluster", type=int, default=4, help="items per cluster (2^cluster knapsacks each)")
    ap.add_argument("--steps", type=int, default=400, help="subgradient steps at most")
    ap.add_argument("--csv", help="write the table here too")
    args = ap.parse_args(argv)
    optima_file = STANDARD / "optima.csv"
    if not optima_file.is_file():
        print(f"the standard instances are not at {STANDARD} (../shared beside the repository)", file=sys.stderr)
        return 2
    optima = {r["instance"]: float(r["optimum"]) for r in csv.DictReader(optima_file.open())}
    unknown = [name for name in args.instances if name not in optima]
    if unknown:
        print(f"unknown instance(s) {', '.join(unknown)}: names are those of {optima_file}", file=sys.stderr)
        return 2
    decomposition_bound(generate_qkp(12, 50, 1), 0.0, steps=2)      # compile (or load) before timing
    rows = []
    print(" ".join(f"{c:>12}" for c in COLUMNS), flush=True)
    for name in args.instances:
        rows.append(measure(name, optima[name], args.cluster, args.steps))
        print(" ".join(f"{rows[-1][c]!s:>12}" for c in COLUMNS), flush=True)
    if args.csv:
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        write_text(args.csv, text.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
