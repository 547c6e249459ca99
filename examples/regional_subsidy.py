"""A policy programme pays `share` of the budget cost of partners from `region`.

    python examples/regional_subsidy.py [BUNDLE]

Solves the bundled example (SYNTHETIC, examples/alliance-60) as it is and with this
strategy, prints the strategy's portfolio report and what changed and why.
"""

from strategies import regional_subsidy, run_one

if __name__ == "__main__":
    run_one(regional_subsidy)
