"""Data in: readers and writers of instance files, and generators.

Re-exported lazily, so that `import instances.qkp` (a QKP reader that needs only the
canonical problem) does not load the scenario readers and pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from optimizer.core.exports import lazy_exports

_EXPORTS: dict[str, str] = {
    "AllianceSpec": "instances.alliance", "generate_alliance": "instances.alliance", "load": "instances.readers",
    "read_scenario": "instances.bundle", "write_scenario": "instances.bundle",
    "ComparisonSpec": "instances.comparison", "read_comparison": "instances.comparison",
    "BundleWriteError": "instances.errors", "InstanceFormatError": "instances.errors", "SpecError": "instances.errors",
    "parse_spec": "instances.specs", "generate": "instances.specs",
    "generate_collaboration_qkp": "instances.generate", "generate_qkp": "instances.generate",
    "read_qkp": "instances.qkp", "write_edge_list": "instances.qkp", "write_qkp": "instances.qkp",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


if TYPE_CHECKING:
    from instances.alliance import AllianceSpec, generate_alliance
    from instances.bundle import read_scenario, write_scenario
    from instances.comparison import ComparisonSpec, read_comparison
    from instances.errors import BundleWriteError, InstanceFormatError, SpecError
    from instances.generate import generate_collaboration_qkp, generate_qkp
    from instances.qkp import read_qkp, write_edge_list, write_qkp
    from instances.readers import load
    from instances.specs import generate, parse_spec
