"""困难跟进: each difficulty found on a visit, for the child's town (and the district) to solve.

open → in_progress → resolved (with what was done) | referred (to whom). Any other move is
refused (409). A follow-up is overdue when still open or in progress after its due date
(the arrival date in Beijing + FOLLOW_UP_DUE_DAYS). Town supervisors act on their town's,
district staff on every one (and alone on those of the institute's children).
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.roles import Role
from app.errors import ValidationFailed
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.pagination import Page, page_of
from app.kit.records import known
from app.models import FollowUp
from app.visits import repository as repo
from app.visits.errors import FollowUpNotFound, TransitionRefused
from app.visits.schemas import FollowUpOut, FollowUpTransition

MOVES: dict[str, frozenset[str]] = {
    "open": frozenset({"in_progress"}),
    "in_progress": frozenset({"resolved", "referred"}),
    "resolved": frozenset(),
    "referred": frozenset(),
}
OPEN = ("open", "in_progress")


def to_out(f: FollowUp, today: date) -> FollowUpOut:
    return FollowUpOut.model_validate(
        {
            "id": f.id,
            "visit_id": f.visit_id,
            "child_id": f.child_id,
            "town_code": f.town_code,
            "kind": f.kind,
            "text": f.text,
            "status": f.status,
            "due_on": f.due_on,
            "overdue": f.status in OPEN and f.due_on < today,
            "resolution": f.resolution,
            "referred_to": f.referred_to,
            "history": f.history,
            "version": f.version,
            "created_at": f.created_at,
            "updated_at": f.updated_at,
        }
    )


async def list_follow_ups(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    status: str | None,
    overdue: bool | None,
    area_code: str | None,
    child_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> Page[FollowUpOut]:
    """The follow-ups in the caller's jurisdiction, the soonest due first."""
    stmt = repo.follow_ups_stmt(
        ctx.actor,
        status=status,
        overdue=overdue,
        today=ctx.today,
        area_code=area_code,
        child_id=child_id,
    )
    keys = [FollowUp.due_on, FollowUp.id]
    return await page_of(session, stmt, keys, limit, cursor, lambda f: to_out(f, ctx.today))


async def transition(
    session: AsyncSession,
    ctx: RequestContext,
    follow_up_id: uuid.UUID,
    body: FollowUpTransition,
) -> FollowUp:
    """Move a follow-up along its path; the row is locked, so two moves never interleave."""
    principal = ctx.actor
    f = known(await repo.follow_up_for_update(session, principal, follow_up_id), FollowUpNotFound)
    if principal.role == Role.TOWN_SUPERVISOR and f.town_code != principal.area_code:
        raise FollowUpNotFound()
    if body.to not in MOVES[f.status]:
        raise TransitionRefused(
            f"跟进事项不能从 {f.status} 转为 {body.to}",
            f"A follow-up cannot move from {f.status} to {body.to}",
            extra={"from": f.status, "to": body.to, "allowed": sorted(MOVES[f.status])},
        )
    if body.to == "resolved" and not (body.resolution or "").strip():
        raise ValidationFailed(
            errors=[("resolution", "办结须说明处理情况", "Say what was done to resolve it")]
        )
    if body.to == "referred" and not (body.referred_to or "").strip():
        raise ValidationFailed(
            errors=[("referred_to", "转介须说明转介对象", "Say whom it was referred to")]
        )
    before = f.status
    f.status = body.to
    if body.to == "resolved":
        f.resolution = body.resolution
    if body.to == "referred":
        f.referred_to = body.referred_to
    f.history = [
        *f.history,
        {
            "from": before,
            "to": body.to,
            "at": ctx.now.isoformat(),
            "by": principal.name,
            "note": body.note,
        },
    ]
    await session.flush()
    await session.refresh(f)
    audit.record(
        session,
        ctx,
        "follow_up.transition",
        "follow_up",
        f.id,
        {"from": before, "to": body.to},
    )
    return f
