"""Background work of the phone sync: prune the change log."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.sync import repository as repo
from app.worker.registry import JobContext, periodic

log = logging.getLogger("app.sync")


@periodic("sync.prune_changes", every_seconds=6 * 3600)
async def prune_changes(session: AsyncSession, payload: dict[str, Any], ctx: JobContext) -> None:
    """Forget the changes older than SYNC_CHANGES_RETENTION_DAYS (phones behind that start over)."""
    now = ctx.clock.now()
    days = ctx.settings.sync_changes_retention_days
    pruned = await repo.prune_changes(session, now - timedelta(days=days), now)
    if pruned:
        log.info("sync change log pruned", extra={"rows": pruned, "older_than_days": days})
