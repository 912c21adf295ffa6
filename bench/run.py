"""Run every benchmark in bench/ (`python -m bench.run [--small]`), one process each.

Each benchmark module is `python -m bench.<name> [--small]` and prints its own report. CI runs
them small, to prove they work; the figures worth quoting come from full-size runs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOT_BENCHMARKS = {"__init__", "__main__", "run", "common", "gen_screening"}


def benchmarks() -> list[str]:
    return sorted(
        p.stem
        for p in HERE.glob("*.py")
        if p.stem not in NOT_BENCHMARKS and not p.stem.startswith("_")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--small", action="store_true", help="small sizes (CI)")
    parser.add_argument("names", nargs="*", help="only these benchmarks")
    args = parser.parse_args(argv)
    names = args.names or benchmarks()
    failed = []
    for name in names:
        cmd = [sys.executable, "-m", f"bench.{name}"] + (["--small"] if args.small else [])
        print(f"\n### bench.{name} {'(small)' if args.small else ''}", flush=True)
        start = time.monotonic()
        rc = subprocess.call(cmd, cwd=HERE.parent)
        print(f"### bench.{name}: exit {rc} in {time.monotonic() - start:.1f} s", flush=True)
        if rc != 0:
            failed.append(name)
    if not names:
        print("no benchmarks found")
    if failed:
        print("failed: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
