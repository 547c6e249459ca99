"""The files of a scenario bundle (a folder; the layout is in docs/scenario-format.md)."""

SCENARIO_FILE = "scenario.toml"
CANDIDATES_FILE = "candidates.csv"
PAIRS_FILE = "pairs.csv"
UNCERTAINTY_FILE = "uncertainty.csv"
