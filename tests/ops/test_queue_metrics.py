"""The queues are visible (issue 27, gap 5): depth and oldest-job age per kind, the webhook
outbox's backlog, interrupted imports, overdue referrals, process and build-info metrics."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import create_sessionmaker
from app.migrate import upgrade
from app.observability import Metrics
from app.wiring import wire_jobs
from app.worker import queue_metrics
from app.worker.queue import enqueue


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(generate_latest(metrics.registry).decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def test_queue_gauges(scratch_engine: AsyncEngine) -> None:
    await upgrade(scratch_engine)
    sessionmaker = create_sessionmaker(scratch_engine)
    async with sessionmaker() as s:
        for _ in range(3):
            await enqueue(s, "ops.metrics_probe", {})
        await enqueue(s, "ops.other", {})
        await s.commit()
    async with scratch_engine.begin() as c:
        await c.execute(
            text(
                "UPDATE jobs SET run_at = now() - interval '120 seconds' "
                "WHERE kind = 'ops.metrics_probe'"
            )
        )
        await c.execute(text("UPDATE jobs SET status = 'done' WHERE kind = 'ops.other'"))
    wire_jobs()  # as the worker does
    metrics = Metrics()
    async with sessionmaker() as s:
        await queue_metrics.refresh(s, metrics)
    got = samples(metrics)
    assert got[("jobs_queue_depth", (("kind", "ops.metrics_probe"),))] == 3
    assert got[("jobs_oldest_age_seconds", (("kind", "ops.metrics_probe"),))] >= 120
    # A registered kind with nothing queued reads 0 (alerts see it before its first job).
    assert got[("jobs_queue_depth", (("kind", "screening.import"),))] == 0
    assert ("jobs_queue_depth", (("kind", "ops.other"),)) not in got  # done: not queued
    assert got[("webhook_outbox_backlog", ())] == 0
    assert got[("screening_imports_interrupted", ())] == 0
    assert got[("referrals_unacknowledged_overdue", ())] == 0
    assert got[("process_cpu_seconds_total", ())] > 0
    build = [k for k in got if k[0] == "app_build_info"]
    assert len(build) == 1
    assert dict(build[0][1])["version"]
