"""Regenerate the bundled example scenario (synthetic data, deterministic).

    python examples/make_example_bundle.py
"""

from pathlib import Path

from instances import generate_alliance, write_scenario

# named for what it is in a comparison: the case every strategy is set against
scenario = generate_alliance(60, seed=7).replace(name="base case")
target = Path(__file__).parent / "alliance-60"
write_scenario(scenario, target, overwrite=True)
print(f"wrote {target} ({len(scenario.candidates)} synthetic candidates)")
