"""The four strategy variants of the bundled example, shared by the example scripts.

Each is a `Scenario.variant` of the base scenario (examples/alliance-60, SYNTHETIC data):
the base is never changed. `explain` prints what a variant changed in the portfolio
and in the objective, and why.
"""

from __future__ import annotations

import sys
from pathlib import Path

from instances import read_scenario
from optimizer import Comparison, Scenario, compare
from optimizer.reports.comparison_report import describe_term_changes, scale_sentence

BUNDLE = Path(__file__).resolve().parent / "alliance-60"


def load_base(argv: list[str] | None = None) -> Scenario:
    """The bundle named on the command line, or the bundled example."""
    argv = sys.argv[1:] if argv is None else argv
    return read_scenario(argv[0] if argv else BUNDLE)


def young_cluster(base: Scenario) -> Scenario:
    """A young cluster seeking reputation: few, strong, visible partners (depth over breadth). Reputation is
    a goal of quality: partners above 0.7 (the top quarter of the list) earn points, those below cost points."""
    return base.variant("young cluster, reputation", reputation_weight=2.0, reputation_bar=0.7, breadth=0.1,
                        size_max=4)


def established_cluster(base: Scenario) -> Scenario:
    """An established cluster seeking knowledge breadth: many weak ties, reputation irrelevant."""
    return base.variant("established cluster, breadth", breadth=1.0, reputation_weight=0.0, size_min=6, size_max=12)


def fast_changing_industry(base: Scenario) -> Scenario:
    """A fast-changing industry: new knowledge is worth more (tau = 1.5), so diversity pays."""
    return base.variant("fast-changing industry", tech_change=1.5)


def regional_subsidy(base: Scenario, region: str = "Latin America", share: float = 0.8) -> Scenario:
    """A policy programme pays `share` of the budget cost of partners from `region`."""
    return base.variant(f"subsidy {region}", subsidies={f"region:{region}": share})


STRATEGIES = (young_cluster, established_cluster, fast_changing_industry, regional_subsidy)


def explain(cmp: Comparison, base: str, variant: str) -> str:
    """What the variant changed against the base: partners in and out, and the objective terms that moved,
    each split into what the partners made and what the strategy's weights made (Comparison.decompose),
    so that a strategy that only rescales the objective is not read as a better portfolio."""
    lines = [f"{variant} vs {base}:"]
    rb, rv = cmp.results[base], cmp.results[variant]
    if not rv.has_solution:
        return "\n".join(lines + [f"  {rv.termination}: {rv.message}"])
    lines.append(f"  objective {rb.objective:.4f} -> {rv.objective:.4f}")
    diff = cmp.diff(base, variant)
    for row in diff.itertuples():
        lines.append(f"  {row.change:<8} {row.name} ({row.region}), contribution {row.contribution:+.4f}")
    if diff.empty:
        lines.append("  same partners")
    lines += [f"  Note: {note}" for note in rv.report.compiled.notes]   # targets the scenario raised, ...
    scale = scale_sentence(cmp, base, variant)
    if scale:
        lines.append(f"  {scale}")
    moved = describe_term_changes(cmp.decompose(base, variant))
    if moved:
        lines.append(f"  objective terms that moved: {moved}")
    return "\n".join(lines)


def run_one(make_variant) -> Comparison:
    """Solve the base and one strategy variant; print the variant's report and the explanation."""
    base = load_base()
    variant = make_variant(base)
    cmp = compare([base, variant], time_limit=60)
    print(cmp.results[variant.name].report.to_text())
    print()
    print(explain(cmp, base.name, variant.name))
    return cmp
