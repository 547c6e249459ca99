"""Solve the bundled example scenario and print its portfolio report.

    python examples/portfolio_report.py [BUNDLE]

The bundle (examples/alliance-60/) is SYNTHETIC: 60 candidate partner clusters
made by instances.generate_alliance(60, seed=7) (see make_example_bundle.py).
"""

import sys
from pathlib import Path

from instances import read_scenario
from optimizer import solve

bundle = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "alliance-60"
scenario = read_scenario(bundle)
print(scenario.summary())
result = solve(scenario, time_limit=60)
print(f"\n{result.termination}: objective {result.objective:.4f}, bound {result.bound:.4f}, gap {result.gap:.2%}, "
      f"build {result.build_seconds:.2f} s, solve {result.solve_seconds:.2f} s\n")
print(result.report.to_text())

# why is the most reputable candidate left out?
cand = scenario.candidates
chosen = set(result.report.partners()["id"])
left_out = cand[~cand["id"].isin(chosen)].sort_values("reputation", ascending=False)
if len(left_out):
    print("\nWhy not the most reputable candidate left out?")
    print(" ", result.report.why_not(left_out["id"].iloc[0]))
