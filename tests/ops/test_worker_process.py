"""`python -m app.worker` (the worker Deployment): SIGTERM finishes the job in hand, then exit 0."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import create_sessionmaker
from app.migrate import upgrade
from app.worker.queue import enqueue
from tests.conftest import ROOT
from tests.ops.jobs_fixture import DONE_ACTION, HANG, SLOW
from tests.ops.service import free_port, service_env

SLOW_STATUSES = "SELECT status FROM jobs WHERE kind = :k ORDER BY id"


def _start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "app.worker"], cwd=ROOT, env=env, stdout=log, stderr=log
        )


async def test_worker_stops_at_a_safe_point(
    scratch_url: str, scratch_engine: AsyncEngine, tmp_path: Path
) -> None:
    await upgrade(scratch_engine)
    async with create_sessionmaker(scratch_engine)() as s:
        for _ in range(4):
            await enqueue(s, SLOW, {"seconds": 4.0})
        await s.commit()
    metrics_port = free_port()
    env = service_env(
        scratch_url,
        0,
        EXTRA_JOB_MODULES="tests.ops.jobs_fixture",
        WORKER_METRICS_PORT=str(metrics_port),
        WORKER_CONCURRENCY="2",
    )
    log_path = tmp_path / "worker.log"
    proc = _start_worker(env, log_path)
    try:
        statuses: list[str] = []
        for _ in range(600):
            async with scratch_engine.connect() as c:
                statuses = list((await c.execute(text(SLOW_STATUSES), {"k": SLOW})).scalars())
            if statuses.count("running") == 2:
                break
            await asyncio.sleep(0.1)
        # Two claim loops: two jobs in hand, the others wait.
        assert statuses == ["running", "running", "queued", "queued"], log_path.read_text()
        async with httpx.AsyncClient(timeout=10) as c:
            body = (await c.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
        assert "# TYPE jobs_total counter" in body
        assert "# TYPE webhook_deliveries_total counter" in body
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert code == 0, log_path.read_text()
    async with scratch_engine.connect() as c:
        statuses = list((await c.execute(text(SLOW_STATUSES), {"k": SLOW})).scalars())
        done = (
            await c.execute(
                text("SELECT count(*) FROM audit_log WHERE action = :a"), {"a": DONE_ACTION}
            )
        ).scalar_one()
    assert statuses == ["done", "done", "queued", "queued"]
    assert done == 2


async def test_a_job_queued_elsewhere_wakes_the_worker_at_once(
    scratch_url: str, scratch_engine: AsyncEngine, tmp_path: Path
) -> None:
    """The API process queues (here: this test), the worker process LISTENs: with polling set to
    a minute, the job still runs within seconds of the commit (the jobs_ready notification)."""
    await upgrade(scratch_engine)
    env = service_env(
        scratch_url, 0, EXTRA_JOB_MODULES="tests.ops.jobs_fixture", WORKER_POLL_SECONDS="60"
    )
    log_path = tmp_path / "worker.log"
    proc = _start_worker(env, log_path)
    try:
        # Wait until it listens, then a little more: its claim loops have found nothing and
        # sleep for a minute. Only the notification can wake them now.
        for _ in range(600):
            async with scratch_engine.connect() as c:
                listening = (
                    await c.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
                        )
                    )
                ).scalar_one()
            if listening:
                break
            await asyncio.sleep(0.1)
        assert listening, log_path.read_text()
        await asyncio.sleep(2)
        async with create_sessionmaker(scratch_engine)() as s:
            await enqueue(s, SLOW, {"seconds": 0})
            await s.commit()
        queued = asyncio.get_running_loop().time()
        statuses: list[str] = []
        while asyncio.get_running_loop().time() - queued < 20:
            async with scratch_engine.connect() as c:
                statuses = list((await c.execute(text(SLOW_STATUSES), {"k": SLOW})).scalars())
            if statuses == ["done"]:
                break
            await asyncio.sleep(0.05)
        took = asyncio.get_running_loop().time() - queued
        assert statuses == ["done"], log_path.read_text()
        assert took < 20, took  # far below the 60 s poll
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(proc.wait, 60)


async def _probe(client: httpx.AsyncClient, url: str) -> int:
    try:
        return (await client.get(url)).status_code
    except httpx.TransportError:
        return 0


async def _until(client: httpx.AsyncClient, url: str, status: int, within: float) -> bool:
    for _ in range(int(within / 0.1)):
        if await _probe(client, url) == status:
            return True
        await asyncio.sleep(0.1)
    return False


async def test_liveness_fails_when_the_loop_hangs(
    scratch_url: str, scratch_engine: AsyncEngine, tmp_path: Path
) -> None:
    """The worker Deployment's probes: /livez fails while the loop is hung, then recovers."""
    await upgrade(scratch_engine)
    port = free_port()
    env = service_env(
        scratch_url,
        0,
        EXTRA_JOB_MODULES="tests.ops.jobs_fixture",
        WORKER_METRICS_PORT=str(port),
        WORKER_LIVENESS_SECONDS="2",
    )
    log_path = tmp_path / "worker.log"
    proc = _start_worker(env, log_path)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=2) as c:
            assert await _until(c, f"{base}/readyz", 200, 60), log_path.read_text()
            assert await _probe(c, f"{base}/livez") == 200
            body = (await c.get(f"{base}/metrics")).text
            assert "# TYPE jobs_total counter" in body
            assert "# TYPE jobs_queue_depth gauge" in body
            assert "app_build_info{" in body
            async with create_sessionmaker(scratch_engine)() as s:
                await enqueue(s, HANG, {"seconds": 8.0})
                await s.commit()
            # The handler blocks the loop: within the liveness window /livez answers 503.
            assert await _until(c, f"{base}/livez", 503, 7), log_path.read_text()
            assert (await c.get(f"{base}/livez")).json()["status"] == "loop_stalled"
            assert await _probe(c, f"{base}/readyz") == 503
            # The loop is back once the handler returns: alive again (no restart needed).
            assert await _until(c, f"{base}/livez", 200, 15), log_path.read_text()
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert code == 0, log_path.read_text()
