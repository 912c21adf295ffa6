"""Background work of the children's ledger: queue institute orphans who came of age."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.children import continued
from app.children import repository as repo
from app.kit.clock import local_today
from app.worker.registry import JobContext, periodic


@periodic("children.adult_placement_queue", every_seconds=6 * 3600)
async def queue_come_of_age(
    session: AsyncSession, payload: dict[str, Any], ctx: JobContext
) -> None:
    """成年孤儿安置: every institute orphan who has turned 18 enters the placement queue."""
    await repo.enqueue_come_of_age(session, local_today(ctx.clock))


@periodic("children.continued_schooling", every_seconds=6 * 3600)
async def settle_continued_schooling(
    session: AsyncSession, payload: dict[str, Any], ctx: JobContext
) -> None:
    """年满18周岁仍在校: children who turned 18 in full-time schooling enter continued_schooling;
    those whose schooling ended (or who left it) are revoked as aged_out (see continued.py)."""
    await continued.settle_all(session, ctx.clock.now())
