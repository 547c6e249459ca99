"""`python -m benchmarks ...` is the same as `alliance ...`; `python -m benchmarks run ...`
is short for `alliance bench run ...` (likewise report and export)."""

import sys

from benchmarks.cli import main

argv = sys.argv[1:]
if argv and argv[0] in ("run", "report", "export"):
    argv = ["bench", *argv]
sys.exit(main(argv))
