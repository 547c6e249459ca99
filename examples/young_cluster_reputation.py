"""A young cluster seeking reputation: few, strong, visible partners (depth over breadth).

    python examples/young_cluster_reputation.py [BUNDLE]

Solves the bundled example (SYNTHETIC, examples/alliance-60) as it is and with this
strategy, prints the strategy's portfolio report and what changed and why.
"""

from strategies import run_one, young_cluster

if __name__ == "__main__":
    run_one(young_cluster)
