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
from app.models import Visit

SuspicionHandler = Callable[[AsyncSession, Visit], Awaitable[None]]
# The incidents domain appends its handler here; each runs in the visit's transaction.
SUSPICION_HANDLERS: list[SuspicionHandler] = []


async def on_suspected_infringement(session: AsyncSession, visit: Visit) -> None:
    """Called once, when a visit with suspected infringement is stored."""
    audit.record(
        session,
        "visit.suspected_infringement",
        "visit",
        visit.id,
        {"child_id": str(visit.child_id), "visited_at": visit.visited_at.isoformat()},
    )
    for handler in SUSPICION_HANDLERS:
        await handler(session, visit)
