"""A visit with `suspected_infringement` opens a draft mandatory report the director completes.

Registered on the visits domain's hook; it runs in the visit's own transaction (and, in a
batch, inside the visit's savepoint), so a visit and its draft exist together or not at all.
An incomplete draft older than an hour is escalated by the incidents' periodic job.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.incidents import service
from app.models import Visit
from app.visits.hooks import SUSPICION_HANDLERS


async def open_draft_for_visit(session: AsyncSession, visit: Visit) -> None:
    request = session.info.get("request")
    if request is None:  # not from an API call (demo data, scripts): nothing to report as
        return
    principal = request.state.principal
    state = request.app.state
    ctx = service.Ctx(keyring=state.keyring, settings=state.settings, now=state.clock.now())
    incident = await service.create_draft_for_visit(
        session,
        principal,
        visit_id=visit.id,
        child_id=visit.child_id,
        note=visit.notes,
        ctx=ctx,
    )
    visit.incident_id = incident.id


if open_draft_for_visit not in SUSPICION_HANDLERS:
    SUSPICION_HANDLERS.append(open_draft_for_visit)
