"""This package's name and version, written once (pyproject.toml reads the version from here).

`OWN_SOLVER_VERSION` is the `solver_version` of every solver that is this package's own code
(`auto`, `heuristic`, `bnb`, `bruteforce`): one meaning everywhere, in results, `--json` and the
results store. A third-party solver reports its own version (HiGHS 1.16.0, SCIP 9.1, ...);
the HiGHS that ran inside `auto` is named in the `mip` stage (`highs_version`).
"""

PACKAGE = "alliance-portfolio"
__version__ = "0.1.0"
OWN_SOLVER_VERSION = f"{PACKAGE} {__version__}"
