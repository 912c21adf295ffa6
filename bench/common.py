"""What every benchmark needs: percentiles, a free port, CPU seconds per process."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx


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


def children_of(pid: int) -> list[int]:
    """The live child processes of `pid` (e.g. uvicorn's workers under its supervisor)."""
    out = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            fields = _stat(int(proc.name))
            if fields is not None and int(fields[1]) == pid:
                out.append(int(proc.name))
    return out


def postgres_cpu_seconds(data_dir: Path) -> float:
    """CPU seconds used so far by a PostgreSQL server's processes (postmaster and children,
    the live ones: a backend that has exited no longer counts)."""
    try:
        postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return cpu_seconds([postmaster, *children_of(postmaster)])


@dataclass(frozen=True)
class Answer:
    status_code: int
    content: bytes  # decompressed

    def json(self) -> Any:
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode()


class LightClient:
    """The load generator's HTTP client (aiohttp, keep-alive): on this 2-core machine the
    benchmark's own client competes with the service for the cores, and httpx spends about
    2.4 ms of CPU per call where aiohttp spends a fraction of that."""

    def __init__(
        self, base: str, *, connections: int, timeout: float = 60, keepalive: float = 2.0
    ) -> None:
        # Idle connections expire on our side before uvicorn's 5 s keep-alive closes them: a
        # request must never go out on a connection the server is closing.
        self._session = aiohttp.ClientSession(
            base_url=base,
            connector=aiohttp.TCPConnector(limit=connections, keepalive_timeout=keepalive),
            timeout=aiohttp.ClientTimeout(total=timeout),
        )

    async def get(
        self,
        path: str,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        async with self._session.get(path, params=params, headers=headers) as r:
            return Answer(r.status, await r.read())

    async def post(
        self, path: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> Answer:
        async with self._session.post(path, json=json, headers=headers) as r:
            return Answer(r.status, await r.read())

    async def aclose(self) -> None:
        await self._session.close()

    async def __aenter__(self) -> LightClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()


async def wait_ready(base: str, path: str = "/readyz") -> None:
    """Poll `base + path` until it answers 200 (the server is starting)."""
    async with httpx.AsyncClient(base_url=base) as c:
        for _ in range(300):
            try:
                if (await c.get(path)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{base} never became ready")
