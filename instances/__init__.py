"""Data in: readers and writers of instance files, and generators."""

from instances.alliance import generate_alliance
from instances.bundle import read_scenario, write_scenario
from instances.comparison import ComparisonSpec, read_comparison
from instances.errors import BundleWriteError, InstanceFormatError
from instances.generate import generate_collaboration_qkp, generate_qkp
from instances.qkp import read_qkp, write_edge_list, write_qkp

__all__ = ["BundleWriteError", "ComparisonSpec", "InstanceFormatError", "generate_alliance", "generate_collaboration_qkp", "generate_qkp", "read_comparison", "read_qkp", "read_scenario",
           "write_edge_list", "write_qkp", "write_scenario"]
