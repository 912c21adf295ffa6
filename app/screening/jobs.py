"""Background jobs of the screening domain: running imports, recounting statistics daily."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.clock import local_today
from app.models import ScreeningStatsState
from app.screening.imports import merge, runner
from app.screening.imports.prepare import DEFAULT_CHUNK_ROWS
from app.worker import registry


@registry.handler("screening.import", max_running=2)
async def run_import(
    session: AsyncSession, payload: dict[str, Any], ctx: registry.JobContext
) -> None:
    """Run or resume one import (see `runner` for how a restart is survived)."""
    await runner.run_import(
        session,
        uuid.UUID(payload["import_id"]),
        settings=ctx.settings,
        clock=ctx.clock,
        job_id=ctx.job_id,
        attempt=ctx.attempt,
        chunk_rows=int(payload.get("chunk_rows", DEFAULT_CHUNK_ROWS)),
    )


@registry.periodic("screening.refresh_stats", every_seconds=600)
async def refresh_stats(
    session: AsyncSession, payload: dict[str, Any], ctx: registry.JobContext
) -> None:
    """Recount the statistics when the day (and so the children's ages) has changed."""
    today = local_today(ctx.clock)
    as_of = (
        await session.execute(select(ScreeningStatsState.as_of).where(ScreeningStatsState.id == 1))
    ).scalar_one_or_none()
    if as_of != today:
        await merge.refresh_stats(session, today)
