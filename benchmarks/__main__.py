"""`python -m benchmarks ...` is the same as `alliance ...`."""

import sys

from benchmarks.cli import main

sys.exit(main())
