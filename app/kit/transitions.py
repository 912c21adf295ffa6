"""The last step of a state change: sign it, write it, audit it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit import audit
from app.kit.context import RequestContext


async def signed(
    session: AsyncSession,
    ctx: RequestContext,
    row: Any,
    step: str,
    action: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Sign the step `step` of `row` (`{step}_at` now, `{step}_by` the caller's name), write
    it, and audit it as `action`, on the resource type `action` begins with
    (`"placement_plan.approve"` audits the `placement_plan` of `row.id`):

        await signed(session, ctx, plan, "approved", "placement_plan.approve", detail)
    """
    setattr(row, f"{step}_at", ctx.now)
    setattr(row, f"{step}_by", ctx.actor.name)
    await session.flush()
    audit.record(session, ctx, action, action.partition(".")[0], row.id, detail)
