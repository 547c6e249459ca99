"""An established cluster seeking knowledge breadth: many weak ties, reputation irrelevant.

    python examples/established_cluster_breadth.py [BUNDLE]

Solves the bundled example (SYNTHETIC, examples/alliance-60) as it is and with this
strategy, prints the strategy's portfolio report and what changed and why.
"""

from strategies import established_cluster, run_one

if __name__ == "__main__":
    run_one(established_cluster)
