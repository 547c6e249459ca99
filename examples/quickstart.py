"""Quick start: generate a quadratic knapsack instance, solve it, print the portfolio.

    python examples/quickstart.py
"""

from instances import generate_qkp
from optimizer import solve

problem = generate_qkp(n=60, density=50, seed=1)
print(problem.summary())
result = solve(problem, time_limit=60)
print(result.summary())
print(f"\nchosen items ({len(result.selected)}): {', '.join(result.selected)}")
print(f"objective {result.objective:g}, bound {result.bound:g}, gap {result.gap:.2%}")
