"""Keeps the dashboard's pre-aggregated sections fresh (运营看板预汇总).

Every minute: the district's current month is computed for each cached section (so the first
visitor of the day does not wait), and every cached row read in the last hour and older than
45 s is recomputed. A request only computes a cached section itself when the row is missing or
older than the section's `max_age_seconds` (the worker is down).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard import repository as repo
from app.dashboard.sections import REGISTRY, active_sections
from app.dashboard.service import refresh_section, scope_for_refresh
from app.kit.clock import local_today
from app.worker.registry import JobContext, periodic

log = logging.getLogger("app.dashboard")

REFRESH_SECONDS = 60
BATCH = 50


@periodic("dashboard.refresh", every_seconds=REFRESH_SECONDS)
async def refresh(session: AsyncSession, payload: dict[str, Any], ctx: JobContext) -> None:
    now = ctx.clock.now()
    today = local_today(ctx.clock)
    month = today.replace(day=1)
    done: set[tuple[str, str, Any]] = set()
    district = await repo.district(session)
    if district is not None:
        scope = scope_for_refresh(
            (district.code, district.name, district.level, district.path), month, now, today
        )
        for spec in active_sections(scope):
            if spec.cache_seconds > 0:
                await refresh_section(session, spec, scope)
                done.add((spec.name, district.code, month))
    stale = await repo.stale_rows(
        session, now - timedelta(seconds=45), now - timedelta(hours=1), BATCH
    )
    for name, code, row_month, area_name, level, path in stale:
        cached = REGISTRY.get(name)
        if cached is None or (name, code, row_month) in done:
            continue
        scope = scope_for_refresh((code, area_name, level, path), row_month, now, today)
        await refresh_section(session, cached, scope)
    log.debug("dashboard sections refreshed", extra={"rows": len(stale) + len(done)})
