"""Periodic escalation of unacknowledged referrals and stale drafts (越期升级)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.incidents import service
from app.observability import current_metrics
from app.worker.registry import JobContext, periodic

log = logging.getLogger("app.incidents")


@periodic("incidents.escalate", every_seconds=15)
async def escalate(session: AsyncSession, payload: dict[str, Any], ctx: JobContext) -> None:
    result = await service.escalate(session, ctx.clock.now())
    current_metrics().incident_escalations.inc(len(result.referrals) + len(result.drafts))
    if result.referrals or result.drafts:
        log.warning(
            "incidents escalated",
            extra={"referrals": len(result.referrals), "drafts": len(result.drafts)},
        )
