"""Regenerate the bundled example scenario (synthetic data, deterministic).

    python examples/make_example_bundle.py
"""

from pathlib import Path

from instances import generate_alliance, write_scenario
from optimizer.domain.uncertainty import Uncertainty

# named for what it is in a comparison: the case every strategy is set against
# how far the estimates may be off, for `alliance robust`: knowledge levels +-10%, reputations +-20%,
# endowments +-25%, budget costs +-10%
uncertainty = Uncertainty(relative={"k_*": 0.1, "reputation": 0.2, "endowment": 0.25, "use_budget": 0.1})
scenario = generate_alliance(60, seed=7).replace(name="base case", uncertainty=uncertainty)
target = Path(__file__).parent / "alliance-60"
write_scenario(scenario, target, overwrite=True)
print(f"wrote {target} ({len(scenario.candidates)} synthetic candidates)")
