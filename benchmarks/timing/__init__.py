"""Timing scripts: one measurement each, run as `python benchmarks/timing/<name>.py` (see benchmarks/README.md)."""
