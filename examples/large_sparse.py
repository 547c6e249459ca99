"""A large sparse QKP (a collaboration network of 10,000 items): heuristic portfolio and its bound.

    python examples/large_sparse.py [N] [SECONDS]

Writes the instance in the edge-list format with three budgets, reads it back
with the middle budget chosen, and runs the heuristic solver: the breakpoints of
the budget price (minimum cuts) for a start and a bound, then tabu search; no MIP
model (about 40,000 pairs at n = 10,000).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from instances import generate_collaboration_qkp, read_qkp, write_edge_list
from optimizer import solve


def main(n: int = 10_000, seconds: float = 10.0) -> None:
    """Generate, write, read back and solve; print what each step gives."""
    problem = generate_collaboration_qkp(n, seed=1, budget_share=0.05)
    total_weight = problem.A.sum()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{problem.name}.txt"
        write_edge_list(problem, path, budgets=[0.02 * total_weight, problem.b[0], 0.10 * total_weight])
        problem = read_qkp(path, budget=1)
    print(problem.summary())
    result = solve(problem, solver="heuristic", time_limit=seconds, seed=0)
    print(f"heuristic ({seconds:g} s): {result.termination.value}, objective {result.objective:.10g}, "
          f"bound {result.bound:.10g}, gap {result.gap:.3%}, {len(result.selected)} items chosen")
    print(result.log)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(int(args[0]) if args else 10_000, float(args[1]) if len(args) > 1 else 10.0)
