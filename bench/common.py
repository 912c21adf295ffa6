"""What every benchmark needs: percentiles, a free port, CPU seconds per process."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from pathlib import Path


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stat(pid: int) -> list[str] | None:
    try:
        # Fields after the command name, which may itself hold spaces and parentheses.
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU seconds used so far by the processes `pids` (0 for those gone)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def postgres_cpu_seconds(data_dir: Path) -> float:
    """CPU seconds used so far by a PostgreSQL server's processes (postmaster and children,
    the live ones: a backend that has exited no longer counts)."""
    try:
        postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    pids = [postmaster]
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            fields = _stat(int(proc.name))
            if fields is not None and int(fields[1]) == postmaster:
                pids.append(int(proc.name))
    return cpu_seconds(pids)
