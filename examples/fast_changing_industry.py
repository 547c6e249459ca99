"""A fast-changing industry: new knowledge is worth more (tau = 1.5), so diversity pays.

    python examples/fast_changing_industry.py [BUNDLE]

Solves the bundled example (SYNTHETIC, examples/alliance-60) as it is and with this
strategy, prints the strategy's portfolio report and what changed and why.
"""

from strategies import fast_changing_industry, run_one

if __name__ == "__main__":
    run_one(fast_changing_industry)
