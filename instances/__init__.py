"""Data in: readers and writers of instance files, and generators."""

from instances.errors import InstanceFormatError
from instances.generate import generate_qkp
from instances.qkp import read_qkp, write_qkp

__all__ = ["InstanceFormatError", "generate_qkp", "read_qkp", "write_qkp"]
