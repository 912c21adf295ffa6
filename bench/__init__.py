"""Benchmarks: each module runs as `python -m bench.<name> [--small]` and prints a report."""
