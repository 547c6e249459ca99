"""Compare the four strategies on the bundled example and write a report for the board.

    python examples/compare_strategies.py [BUNDLE] [--out FOLDER]

Solves the bundled example (SYNTHETIC, examples/alliance-60) as it is and as a young
cluster seeking reputation, an established cluster seeking breadth, a fast-changing
industry and a regional policy subsidy; prints the comparison table and what each
strategy changed, and writes CSV tables, figures and a Markdown/HTML report to
FOLDER (default: examples/strategies-report). The same comparison from the command
line: `alliance compare examples/strategies.toml`.
"""

import argparse
from pathlib import Path

from strategies import STRATEGIES, explain, load_base

from optimizer import compare
from optimizer.reports.comparison_report import format_comparison, write_comparison_report

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("bundle", nargs="?", default=None)
ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "strategies-report")
args = ap.parse_args()

base = load_base([args.bundle] if args.bundle else [])
scenarios = [base] + [make(base) for make in STRATEGIES]
cmp = compare(scenarios, jobs=2, time_limit=60)
print(format_comparison(cmp))
print()
for sc in scenarios[1:]:
    print(explain(cmp, base.name, sc.name))
path = write_comparison_report(cmp, args.out, title=f"Alliance strategies for {base.focal.name}")
print(f"\nreport written to {path} (and {path.with_suffix('.html').name} beside it, with the figures)")
