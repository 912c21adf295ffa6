"""Benchmarks: each module runs as `python -m bench.<name> [--small]` and prints a report.

They measure capacity, so when a benchmark runs as a program the per-client rate limit (which
would answer a single benchmark client's burst with 429s) is off for it and for the servers it
starts. Importing a bench module (the tests use the file generator) changes nothing.
"""

import os
import sys

if sys.argv[:1] == ["-m"]:  # `python -m bench.<name>`: set while the package is imported
    os.environ.setdefault("RATE_LIMIT_ENABLED", "0")
