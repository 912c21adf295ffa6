"""A visit with `suspected_infringement` opens a draft mandatory report the director completes.

Registered on the visits domain's hook by `app.wiring.wire()` (create_app); it runs in the visit's own transaction (and, in a
batch, inside the visit's savepoint), so a visit and its draft exist together or not at all.
The context is explicit: a visit recorded by a job (`RequestContext.for_job(principal=...)`)
opens its draft as a request does. Only work of the system itself (no acting principal: demo
data, scripts) opens none, as there is no reporter.
An incomplete draft older than an hour is escalated by the incidents' periodic job.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.incidents import service
from app.kit.context import RequestContext
from app.models import Visit


async def open_draft_for_visit(session: AsyncSession, ctx: RequestContext, visit: Visit) -> None:
    if ctx.principal is None:  # the system itself: no reporter to open the draft as
        return
    incident = await service.create_draft_for_visit(
        session, ctx, visit_id=visit.id, child_id=visit.child_id, note=visit.notes
    )
    visit.incident_id = incident.id
