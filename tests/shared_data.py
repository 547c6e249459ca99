"""Where the read-only ../shared folder is, if this checkout has one beside it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
QKP_STANDARD = SHARED / "instances" / "qkp-standard"


def require_qkp_standard() -> Path:
    """The standard QKP folder, or skip the test with the reason."""
    if not (QKP_STANDARD / "optima.csv").exists():
        pytest.skip(f"{QKP_STANDARD} is absent (a fresh clone has no ../shared); these tests need the "
                    f"standard QKP instances beside the repository")
    return QKP_STANDARD


def optima() -> dict[str, float]:
    """Published optimum per instance name, from optima.csv (empty without ../shared)."""
    f = QKP_STANDARD / "optima.csv"
    if not f.exists():
        return {}
    with f.open() as fh:
        return {row["instance"]: float(row["optimum"]) for row in csv.DictReader(fh)}


def standard_instances(n: int) -> list[str]:
    """Names of the standard instances with n items listed in optima.csv."""
    return sorted(k for k in optima() if k.startswith(f"jeu_{n}_"))
