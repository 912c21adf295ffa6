"""The job queue: transactional enqueue, claim, retry with backoff, failure, periodic slots."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.db import create_sessionmaker
from app.kit.clock import FixedClock
from app.models import Job
from app.worker import registry
from app.worker.queue import enqueue
from app.worker.runner import Worker, backoff_seconds

SEEN: list[tuple[str, int]] = []
OK_RAN = asyncio.Event()


@registry.handler("test.ok")
async def _ok(session: AsyncSession, payload: dict[str, Any], ctx: registry.JobContext) -> None:
    SEEN.append((payload["tag"], ctx.attempt))
    OK_RAN.set()


@registry.handler("test.flaky")
async def _flaky(session: AsyncSession, payload: dict[str, Any], ctx: registry.JobContext) -> None:
    SEEN.append((payload["tag"], ctx.attempt))
    if ctx.attempt < 2:
        raise RuntimeError("first attempt fails")


@registry.handler("test.broken")
async def _broken(session: AsyncSession, payload: dict[str, Any], ctx: registry.JobContext) -> None:
    raise ValueError("always fails")


@registry.handler("test.db_lost")
async def _db_lost(
    session: AsyncSession, payload: dict[str, Any], ctx: registry.JobContext
) -> None:
    from sqlalchemy import text

    # The database ends this job's connection (as a restart or a failover would).
    await session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))


GATE = asyncio.Event()


@registry.handler("test.gate")
async def _gate(session: AsyncSession, payload: dict[str, Any], ctx: registry.JobContext) -> None:
    SEEN.append((payload["tag"] + ":started", ctx.attempt))
    await GATE.wait()
    SEEN.append((payload["tag"], ctx.attempt))


@pytest.fixture
async def worker(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> AsyncIterator[Worker]:
    async with engine.begin() as conn:
        await conn.execute(delete(Job).where(Job.kind.like("test.%")))
    SEEN.clear()
    yield Worker(create_sessionmaker(engine), settings, clock)
    # A running worker schedules the periodic jobs in the shared database: leave none ready
    # for a later test that expects its own job to be the next one claimed.
    async with engine.begin() as conn:
        await conn.execute(
            delete(Job).where(Job.dedupe_key.like("periodic:%"), Job.status == "queued")
        )


async def _make_due(engine: AsyncEngine, tag: str) -> None:
    from sqlalchemy import text

    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE jobs SET run_at = now() WHERE payload->>'tag' = :t AND status = 'queued'"),
            {"t": tag},
        )


async def test_a_job_exists_only_if_its_transaction_commits(
    engine: AsyncEngine, worker: Worker
) -> None:
    maker = create_sessionmaker(engine)
    tag = uuid.uuid4().hex
    async with maker() as s:
        await enqueue(s, "test.ok", {"tag": tag + "-rolled-back"})
        await s.rollback()
    async with maker() as s:
        await enqueue(s, "test.ok", {"tag": tag})
        await s.commit()
    assert await worker.drain() == 1
    assert [(tag, 1)] == SEEN


async def test_failed_job_is_retried_later_then_succeeds(
    engine: AsyncEngine, worker: Worker
) -> None:
    maker = create_sessionmaker(engine)
    tag = uuid.uuid4().hex
    async with maker() as s:
        await enqueue(s, "test.flaky", {"tag": tag})
        await s.commit()
    await worker.drain()
    async with maker() as s:
        job = (await s.execute(select(Job).where(Job.payload["tag"].astext == tag))).scalar_one()
        assert job.status == "queued"
        assert job.attempts == 1
        assert "first attempt fails" in (job.last_error or "")
    await _make_due(engine, tag)
    await worker.drain()
    async with maker() as s:
        job = (await s.execute(select(Job).where(Job.payload["tag"].astext == tag))).scalar_one()
        assert job.status == "done"
    assert [(tag, 1), (tag, 2)] == SEEN


async def test_job_fails_for_good_after_max_attempts(engine: AsyncEngine, worker: Worker) -> None:
    maker = create_sessionmaker(engine)
    tag = uuid.uuid4().hex
    async with maker() as s:
        await enqueue(s, "test.broken", {"tag": tag}, max_attempts=2)
        await s.commit()
    await worker.drain()
    await _make_due(engine, tag)
    await worker.drain()
    async with maker() as s:
        job = (await s.execute(select(Job).where(Job.payload["tag"].astext == tag))).scalar_one()
    assert job.status == "failed"
    assert job.attempts == 2
    assert "always fails" in (job.last_error or "")


async def test_a_job_the_database_dropped_is_retried_not_failed(
    engine: AsyncEngine, worker: Worker
) -> None:
    """Its last attempt lost to the database going away: queued again, not failed for good."""
    maker = create_sessionmaker(engine)
    tag = uuid.uuid4().hex
    async with maker() as s:
        await enqueue(s, "test.db_lost", {"tag": tag}, max_attempts=1)
        await s.commit()
    await worker.drain()
    async with maker() as s:
        job = (await s.execute(select(Job).where(Job.payload["tag"].astext == tag))).scalar_one()
        await s.execute(delete(Job).where(Job.id == job.id))
        await s.commit()
    assert job.status == "queued"
    assert job.finished_at is None
    assert job.last_error


async def test_two_workers_never_run_the_same_job(
    engine: AsyncEngine, settings: Settings, clock: FixedClock, worker: Worker
) -> None:
    maker = create_sessionmaker(engine)
    tags = [uuid.uuid4().hex for _ in range(30)]
    async with maker() as s:
        for t in tags:
            await enqueue(s, "test.ok", {"tag": t})
        await s.commit()
    other = Worker(maker, settings, clock)
    await asyncio.gather(worker.drain(), other.drain())
    assert sorted(t for t, _ in SEEN) == sorted(tags)


async def test_dedupe_key_enqueues_once(engine: AsyncEngine, worker: Worker) -> None:
    maker = create_sessionmaker(engine)
    key = f"test:{uuid.uuid4().hex}"
    for _ in range(3):
        async with maker() as s:
            await enqueue(s, "test.ok", {"tag": key}, dedupe_key=key)
            await s.commit()
    assert await worker.drain() == 1


def test_backoff_grows_and_is_capped() -> None:
    for attempt in range(1, 30):
        assert 0 <= backoff_seconds(attempt) <= min(3600, 2 * 2 ** (attempt - 1))


async def test_a_job_in_hand_does_not_hold_up_the_next_one(
    engine: AsyncEngine, worker: Worker, settings: Settings, clock: FixedClock
) -> None:
    """With WORKER_CONCURRENCY=2 a quick job runs while a slow one (a partner that hangs) waits."""
    maker = create_sessionmaker(engine)
    slow, quick = uuid.uuid4().hex, uuid.uuid4().hex
    async with maker() as s:
        await enqueue(s, "test.gate", {"tag": slow})
        await enqueue(s, "test.ok", {"tag": quick})
        await s.commit()
    GATE.clear()
    OK_RAN.clear()
    two = Worker(maker, settings.model_copy(update={"worker_concurrency": 2}), clock)
    task = asyncio.create_task(two.run())
    try:
        await asyncio.wait_for(OK_RAN.wait(), 10)
        assert (quick, 1) in SEEN
        assert (slow + ":started", 1) in SEEN
        assert (slow, 1) not in SEEN  # still in hand
    finally:
        two.stop()
        GATE.set()
        await asyncio.wait_for(task, 10)
    assert (slow, 1) in SEEN  # finished, not abandoned, when the worker stopped
    async with maker() as s:
        statuses = (
            await s.execute(select(Job.status).where(Job.payload["tag"].astext.in_([slow, quick])))
        ).scalars()
        assert sorted(statuses) == ["done", "done"]


HEAVY_GATE = asyncio.Event()


@registry.handler("test.heavy", max_running=1)
async def _heavy(session: AsyncSession, payload: dict[str, Any], ctx: registry.JobContext) -> None:
    SEEN.append((payload["tag"] + ":started", ctx.attempt))
    await HEAVY_GATE.wait()
    SEEN.append((payload["tag"], ctx.attempt))


async def test_a_heavy_kind_runs_no_more_than_its_limit_at_once(
    engine: AsyncEngine, worker: Worker, settings: Settings, clock: FixedClock
) -> None:
    """Three imports-like jobs (limit 1) and a light one, four slots: one heavy job in hand, the
    light one runs beside it, the other two wait in the queue unclaimed until the first ends."""
    maker = create_sessionmaker(engine)
    heavy = [uuid.uuid4().hex for _ in range(3)]
    light = uuid.uuid4().hex
    async with maker() as s:
        for tag in heavy:
            await enqueue(s, "test.heavy", {"tag": tag})
        await enqueue(s, "test.ok", {"tag": light})
        await s.commit()
    HEAVY_GATE.clear()
    OK_RAN.clear()
    four = Worker(maker, settings.model_copy(update={"worker_concurrency": 4}), clock)
    task = asyncio.create_task(four.run())

    async def states() -> list[tuple[str, int]]:
        async with maker() as s:
            rows = await s.execute(
                select(Job.status, Job.attempts).where(Job.kind == "test.heavy").order_by(Job.id)
            )
            return [(status, attempts) for status, attempts in rows.tuples()]

    try:
        await asyncio.wait_for(OK_RAN.wait(), 10)
        await asyncio.sleep(1.5)  # three polls: a worker ignoring the limit would claim more
        started = [tag for tag in heavy if (tag + ":started", 1) in SEEN]
        assert len(started) == 1
        assert sorted(await states()) == [("queued", 0), ("queued", 0), ("running", 1)]
        HEAVY_GATE.set()
        for _ in range(100):
            if [s for s, _ in await states()] == ["done"] * 3:
                break
            await asyncio.sleep(0.1)
        assert await states() == [("done", 1)] * 3
        assert sorted(t for t, _ in SEEN if t in heavy) == sorted(heavy)
    finally:
        four.stop()
        HEAVY_GATE.set()
        await asyncio.wait_for(task, 10)


# The test kinds join the handlers app.wiring registers (marking alone registers nothing).
for _handler in (_ok, _flaky, _broken, _db_lost, _gate, _heavy):
    registry.register(_handler)
