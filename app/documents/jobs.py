"""Background work of the document store: the retention purge."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.documents import service
from app.documents.storage import storage_for
from app.kit.clock import local_today
from app.worker.registry import JobContext, periodic


@periodic("documents.purge_expired", every_seconds=24 * 3600)
async def purge_expired(session: AsyncSession, payload: dict[str, Any], ctx: JobContext) -> None:
    """Documents of children revoked, cases closed and intakes discharged more than
    DOCUMENTS_RETENTION_YEARS ago are deleted (objects and rows), each purge in the audit log."""
    store = storage_for(ctx.settings)
    today = local_today(ctx.clock)
    years = ctx.settings.documents_retention_years
    while await service.purge_expired(session, store, today, years) > 0:
        pass
