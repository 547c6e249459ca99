"""Test configuration: make tests/ importable for the small shared helpers."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
