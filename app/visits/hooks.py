"""The link from a visit to the mandatory report 强制报告.

A visit with `suspected_infringement: true` must lead to an incident. Until the incidents domain
wires itself here (creating a draft incident and setting `visit.incident_id`), the hook only
records the finding in the audit log; such visits are listed for the district with
GET /api/v1/visits?suspected_infringement=true.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit import audit
from app.kit.context import RequestContext
from app.models import Visit

SuspicionHandler = Callable[[AsyncSession, RequestContext, Visit], Awaitable[None]]
# The incidents domain appends its handler here; each runs in the visit's transaction.
SUSPICION_HANDLERS: list[SuspicionHandler] = []


def register(handler: SuspicionHandler) -> None:
    """Add a handler once (app.wiring connects the incidents domain's at start-up)."""
    if handler not in SUSPICION_HANDLERS:
        SUSPICION_HANDLERS.append(handler)


async def on_suspected_infringement(
    session: AsyncSession, ctx: RequestContext, visit: Visit
) -> None:
    """Called once, when a visit with suspected infringement is stored (by a request or a job:
    `ctx` says who recorded it)."""
    audit.record(
        session,
        ctx,
        "visit.suspected_infringement",
        "visit",
        visit.id,
        {"child_id": str(visit.child_id), "visited_at": visit.visited_at.isoformat()},
    )
    for handler in SUSPICION_HANDLERS:
        await handler(session, ctx, visit)
