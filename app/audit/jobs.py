"""Background job of the audit log: the periodic checkpoint of the chain's head."""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit import audit_checkpoint
from app.observability import current_metrics
from app.worker import registry

log = logging.getLogger("app.audit")


@registry.periodic("audit.checkpoint", every_seconds=300)
async def checkpoint(
    session: AsyncSession, payload: dict[str, Any], ctx: registry.JobContext
) -> None:
    """Check the entries since the last checkpoint and checkpoint the head (outside the database).

    A chain that does not hold is never checkpointed: the job fails (the alert
    AuditCheckpointFailed fires) and `python -m app.manage verify-audit` names the entry.
    """
    metrics = current_metrics()
    where = audit_checkpoint.target_for(ctx.settings)
    directory = audit_checkpoint.describe(where)
    try:
        conn = await session.connection()
        written = await audit_checkpoint.take(conn, where, now=ctx.clock.now())
    except Exception:
        metrics.audit_checkpoints.labels("failed").inc()
        log.exception("audit checkpoint failed", extra={"dir": directory})
        raise
    metrics.audit_checkpoints.labels("written" if written else "unchanged").inc()
    metrics.audit_checkpoint_success.set(time.time())
    if written is not None:
        log.info(
            "audit checkpoint written",
            extra={"entry_id": written.entry_id, "entries": written.entries, "dir": directory},
        )
