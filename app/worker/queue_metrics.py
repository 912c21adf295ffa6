"""The queues as Prometheus gauges, read from the database every QUEUE_METRICS_SECONDS by the
worker loop (the API's in-process worker, or `python -m app.worker`).

- ``jobs_queue_depth{kind}`` — jobs queued or running;
- ``jobs_oldest_age_seconds{kind}`` — how long the oldest due job of the kind has waited
  (0: none waits);
- ``webhook_outbox_backlog`` and ``webhook_outbox_oldest_age_seconds`` — deliveries pending;
- ``screening_imports_interrupted`` — running imports whose heartbeat is stale;
- ``referrals_unacknowledged_overdue`` — referrals still pending past their acknowledgement
  deadline.

Every process that runs a worker exports the same figures: alert on `max()` over them.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.observability import Metrics
from app.worker import registry

QUEUE_METRICS_SECONDS = 15.0

_JOBS = text(
    """
    SELECT kind, count(*) AS depth,
           coalesce(extract(epoch FROM now() - min(run_at) FILTER (
               WHERE status = 'queued' AND run_at <= now())), 0) AS oldest
    FROM jobs WHERE status IN ('queued', 'running') GROUP BY kind
    """
)
_OUTBOX = text(
    """
    SELECT count(*) AS backlog, coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest
    FROM webhook_deliveries WHERE status = 'pending'
    """
)
_IMPORTS = text(
    "SELECT count(*) FROM screening_imports WHERE status = 'running' "
    "AND heartbeat_at < now() - make_interval(secs => :stale)"
)
_REFERRALS = text("SELECT count(*) FROM referrals WHERE status = 'pending' AND ack_due_at < now()")


async def refresh(session: AsyncSession, metrics: Metrics) -> None:
    """Read the queues and set the gauges (kinds without jobs read 0)."""
    from app.screening.imports.runner import STALE_SECONDS

    jobs = {r.kind: (int(r.depth), float(r.oldest)) for r in await session.execute(_JOBS)}
    for kind in set(registry.HANDLERS) | set(jobs):
        depth, oldest = jobs.get(kind, (0, 0.0))
        metrics.jobs_queue_depth.labels(kind).set(depth)
        metrics.jobs_oldest_age.labels(kind).set(oldest)
    outbox = (await session.execute(_OUTBOX)).one()
    metrics.outbox_backlog.set(int(outbox.backlog))
    metrics.outbox_oldest_age.set(float(outbox.oldest))
    interrupted = (await session.execute(_IMPORTS, {"stale": STALE_SECONDS})).scalar_one()
    metrics.imports_interrupted.set(int(interrupted))
    metrics.referrals_overdue.set(int((await session.execute(_REFERRALS)).scalar_one()))
