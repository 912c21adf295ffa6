"""Benchmarks: each module runs as `python -m bench.<name> [--small]` and prints a report.

They measure capacity, so the per-client rate limit (which would answer a single benchmark
client's burst with 429s) is off for them and for the servers they start.
"""

import os

os.environ.setdefault("RATE_LIMIT_ENABLED", "0")
