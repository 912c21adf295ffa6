"""The job runner: claim with SKIP LOCKED, run in a transaction, retry with backoff and jitter."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
import traceback
from collections import Counter
from typing import Any

from sqlalchemy import ARRAY, BigInteger, String, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import dbfault, tracing
from app.config import Settings
from app.kit import audit
from app.kit.clock import Clock
from app.observability import Metrics
from app.wiring import wire_jobs
from app.worker import queue_metrics, registry
from app.worker.queue import enqueue

log = logging.getLogger("app.worker")

# A claimed job's lease: renewed every LEASE_SECONDS / 3 while the job is in hand (`_renew`),
# so a job whose worker died (kill -9, a lost node) is visible and claimed again within
# LEASE_SECONDS instead of minutes, and a long import keeps its lease as long as it runs.
LEASE_SECONDS = registry.LEASE_SECONDS
NOTIFY_CHANNEL = "jobs_ready"

_CLAIM = text(
    """
    UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = :worker,
                    locked_until = now() + make_interval(secs => :lease)
    WHERE id IN (
        SELECT id FROM jobs
        WHERE ((status = 'queued' AND run_at <= now())
               OR (status = 'running' AND locked_until < now()))
          AND NOT (kind = ANY(:full))
        ORDER BY run_at, id
        LIMIT :n
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id, kind, payload, attempts, max_attempts, run_at
    """
).bindparams(bindparam("full", type_=ARRAY(String)))

# Claimed beyond a kind's limit: back to the queue as if never claimed.
_RELEASE = text(
    "UPDATE jobs SET status = 'queued', attempts = attempts - 1, locked_by = NULL, "
    "locked_until = NULL WHERE id = ANY(:ids)"
).bindparams(bindparam("ids", type_=ARRAY(BigInteger)))

# The leases of the jobs this worker has in hand, extended (only while still ours and running).
_RENEW = text(
    "UPDATE jobs SET locked_until = now() + make_interval(secs => :lease) "
    "WHERE id = ANY(:ids) AND locked_by = :worker AND status = 'running'"
).bindparams(bindparam("ids", type_=ARRAY(BigInteger)))

Claimed = tuple[int, str, dict[str, Any], int, int]


def backoff_seconds(attempt: int, *, base: float = 2.0, cap: float = 3600.0) -> float:
    """Exponential backoff with full jitter."""
    return random.uniform(0, min(cap, base * (2 ** (attempt - 1))))


class Worker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        clock: Clock,
        metrics: Metrics | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.clock = clock
        self.metrics = metrics
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._next_periodic: dict[str, float] = {}
        self._running: Counter[str] = Counter()  # jobs in hand, by kind
        self._in_hand: set[int] = set()  # their ids (their leases are renewed)
        # The loop's heartbeat (time.monotonic() of its last turn) and whether its last claim
        # reached the database: read by the probes (app/worker/probes.py), from another thread.
        self.beat_at: float | None = None
        self.database_ok = False
        self.lease_seconds = LEASE_SECONDS
        wire_jobs()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def beat(self) -> None:
        self.beat_at = time.monotonic()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    async def run(self) -> None:
        """Up to `worker_concurrency` jobs side by side (a long import or a slow partner's
        webhook never holds up a report's delivery), claimed in batches as slots free up: one
        claiming statement for many jobs, and no idle loops racing each other to claim."""
        concurrency = self.settings.worker_concurrency
        log.info("worker started", extra={"worker": self.worker_id, "concurrency": concurrency})
        listener = asyncio.create_task(self._listen(), name="worker-listen")
        renewer = asyncio.create_task(self._renew_leases(), name="worker-renew")
        gauges = asyncio.create_task(self._queue_metrics(), name="worker-queue-metrics")
        running: set[asyncio.Task[None]] = set()
        try:
            while not self._stop.is_set():
                self.beat()
                free = concurrency - len(running)
                if free == 0:
                    # Bounded: the loop beats even while every slot runs a long job.
                    await asyncio.wait(
                        running,
                        timeout=self.settings.worker_poll_seconds,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    continue
                # Cleared before claiming: a job committed while we claim wakes us at once.
                self._wake.clear()
                try:
                    await self.schedule_periodic()
                    jobs = await self._claim(free)
                    self.database_ok = True
                except Exception as exc:
                    if dbfault.is_database_unavailable(exc):
                        self.database_ok = False
                    log.exception("worker loop error")
                    jobs = []
                for job in jobs:
                    task = asyncio.create_task(self._run_claimed(job), name=f"job-{job[0]}")
                    running.add(task)
                    task.add_done_callback(running.discard)
                if len(jobs) < free:  # the queue is empty for now
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.settings.worker_poll_seconds)
        finally:
            # Jobs in hand finish (the lifespan bounds the wait with GRACEFUL_SHUTDOWN_SECONDS).
            if running:
                await asyncio.gather(*running, return_exceptions=True)
            for task in (listener, renewer, gauges):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        log.info("worker stopped", extra={"worker": self.worker_id})

    async def _listen(self) -> None:
        """LISTEN jobs_ready (a trigger on `jobs` notifies at commit): a worker in another
        process than the one that queued a job wakes at once instead of at its next poll.
        Polling stays the safety net (and the only way through PgBouncer's transaction mode,
        which does not carry LISTEN)."""
        if self.settings.database_pgbouncer:
            return
        engine = self.sessionmaker.kw["bind"]

        def wake(*_: object) -> None:
            self._wake.set()

        while not self._stop.is_set():
            lost = asyncio.Event()

            def gone(*_: object, lost: asyncio.Event = lost) -> None:
                lost.set()

            try:
                async with engine.connect() as conn:
                    raw = (await conn.get_raw_connection()).driver_connection
                    assert raw is not None
                    await raw.add_listener(NOTIFY_CHANNEL, wake)
                    raw.add_termination_listener(gone)
                    try:
                        await lost.wait()
                    finally:
                        if not raw.is_closed():
                            await raw.remove_listener(NOTIFY_CHANNEL, wake)
            except Exception:
                log.warning("worker LISTEN connection lost; polling until it is back")
            await asyncio.sleep(self.settings.worker_poll_seconds)

    async def _queue_metrics(self) -> None:
        """The queues' gauges (app/worker/queue_metrics.py), every QUEUE_METRICS_SECONDS."""
        if self.metrics is None:
            return
        while not self._stop.is_set():
            try:
                async with self.sessionmaker() as session:
                    await queue_metrics.refresh(session, self.metrics)
            except Exception:  # the database away: the gauges keep their last values
                log.warning("could not read the queues for their metrics", exc_info=True)
            await asyncio.sleep(queue_metrics.QUEUE_METRICS_SECONDS)

    async def _renew_leases(self) -> None:
        """Every lease_seconds / 3: extend the leases of the jobs in hand (their heartbeat)."""
        while not self._stop.is_set():
            await asyncio.sleep(self.lease_seconds / 3)
            if self._in_hand:
                try:
                    await self.renew_leases()
                except Exception:  # the database away: the next turn tries again
                    log.warning("could not renew the leases of the jobs in hand", exc_info=True)

    async def renew_leases(self) -> None:
        async with self.sessionmaker() as session:
            await session.execute(
                _RENEW,
                {
                    "ids": sorted(self._in_hand),
                    "worker": self.worker_id,
                    "lease": self.lease_seconds,
                },
            )
            await session.commit()

    async def schedule_periodic(self) -> None:
        now = time.time()
        due = [k for k, every in registry.PERIODIC.items() if self._next_periodic.get(k, 0) <= now]
        if not due:
            return
        async with self.sessionmaker() as session:
            for kind in due:
                every = registry.PERIODIC[kind]
                slot = int(now // every)
                await enqueue(
                    session, kind, {}, dedupe_key=f"periodic:{kind}:{slot}", max_attempts=1
                )
                self._next_periodic[kind] = (slot + 1) * every
            await session.commit()

    async def run_once(self) -> bool:
        """Claim and run one job. False when there was none."""
        jobs = await self._claim(1)
        for job in jobs:
            await self._run_claimed(job)
        return bool(jobs)

    async def _claim(self, n: int) -> list[Claimed]:
        """Lease up to `n` ready jobs (oldest first), in a transaction of their own, none of a
        kind already at its limit (`registry.LIMITS`)."""
        limits = registry.LIMITS
        full = [kind for kind, cap in limits.items() if self._running[kind] >= cap]
        async with self.sessionmaker() as session:
            rows = (
                await session.execute(
                    _CLAIM,
                    {"worker": self.worker_id, "lease": self.lease_seconds, "n": n, "full": full},
                )
            ).all()
            rows = sorted(rows, key=lambda r: (r.run_at, r.id))
            room = {kind: cap - self._running[kind] for kind, cap in limits.items()}
            kept, excess = [], []
            for r in rows:
                if r.kind in room:
                    room[r.kind] -= 1
                    if room[r.kind] < 0:
                        excess.append(r.id)
                        continue
                kept.append(r)
            if excess:
                await session.execute(_RELEASE, {"ids": excess})
            await session.commit()
        for r in kept:
            self._running[r.kind] += 1
            self._in_hand.add(r.id)
        return [(r.id, r.kind, r.payload, r.attempts, r.max_attempts) for r in kept]

    async def _run_claimed(self, job: Claimed) -> None:
        try:
            await self._run(job)
        finally:
            self._running[job[1]] -= 1
            self._in_hand.discard(job[0])

    async def _run(self, job: Claimed) -> None:
        job_id, kind, payload, attempt, max_attempts = job
        fn = registry.HANDLERS.get(kind)
        ctx = registry.JobContext(job_id, attempt, self.settings, self.clock, self.worker_id)
        try:
            if fn is None:
                raise LookupError(f"no handler for job kind {kind!r}")
            job_span = tracing.span(
                f"job {kind}",
                kind="consumer",
                **{"job.id": job_id, "job.kind": kind, "job.attempt": attempt},
            )
            with job_span:
                async with self.sessionmaker() as session:
                    await fn(session, dict(payload), ctx)
                    await session.execute(
                        text(
                            "UPDATE jobs SET status='done', finished_at=now(), locked_until=NULL "
                            "WHERE id=:id"
                        ),
                        {"id": job_id},
                    )
                    await audit.flush(session)
                    await session.commit()
            self._count(kind, "done")
        except Exception as exc:
            try:
                await self._failed(job_id, kind, attempt, max_attempts, exc)
            except Exception:  # the database is away: the lease expires, the job runs again
                log.exception("could not record a job's failure", extra={"job_id": job_id})

    async def _failed(
        self, job_id: int, kind: str, attempt: int, max_attempts: int, exc: Exception
    ) -> None:
        # The database away is no fault of the job: retried, never marked failed for it.
        final = attempt >= max_attempts and not dbfault.is_database_unavailable(exc)
        delay = backoff_seconds(attempt)
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
        log.warning(
            "job failed",
            extra={
                "job_id": job_id,
                "kind": kind,
                "attempt": attempt,
                "final": final,
                "error": error,
            },
        )
        async with self.sessionmaker() as session:
            await session.execute(
                text(
                    "UPDATE jobs SET status = :status, last_error = :error, locked_until = NULL, "
                    "run_at = now() + make_interval(secs => :delay), "
                    "finished_at = CASE WHEN :final THEN now() END WHERE id = :id"
                ),
                {
                    "status": "failed" if final else "queued",
                    "error": error,
                    "delay": delay,
                    "final": final,
                    "id": job_id,
                },
            )
            await session.commit()
        self._count(kind, "failed" if final else "retry")

    def _count(self, kind: str, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.jobs.labels(kind, outcome).inc()

    async def drain(self, *, max_jobs: int = 1000) -> int:
        """Run ready jobs until none is left (tests and one-off runs)."""
        n = 0
        while n < max_jobs and await self.run_once():
            n += 1
        return n
