"""Periodic escalation of the centre's missed deadlines (越期升级), like the incidents'."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.protection import deadlines
from app.worker.registry import JobContext, periodic

log = logging.getLogger("app.protection")


@periodic("protection.escalate", every_seconds=60)
async def escalate(session: AsyncSession, payload: dict[str, Any], ctx: JobContext) -> None:
    escalated = await deadlines.escalate(session, ctx.settings, ctx.clock.now())
    if escalated:
        log.warning("protection deadlines escalated", extra={"intakes": len(escalated)})
