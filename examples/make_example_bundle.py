"""Regenerate the bundled example scenario (synthetic data, deterministic).

    python examples/make_example_bundle.py
"""

from pathlib import Path

from instances import generate_alliance, write_scenario

scenario = generate_alliance(60, seed=7)
target = Path(__file__).parent / "alliance-60"
write_scenario(scenario, target, overwrite=True)
print(f"wrote {target} ({len(scenario.candidates)} synthetic candidates)")
