"""志愿者 and 志愿辅导: volunteers (who do not log in) with their art. 62 record query, and the
tutoring sessions they give the residents.

A volunteer may be registered before the query is answered; they cannot be scheduled with
children — named on a tutoring session or an activity — unless the query is clear and was made
at most RECORD_CHECK_VALID_MONTHS months before the session's day (app.kit.record_check: 409
`record_check_failed`, naming the field and the volunteer).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.errors import ValidationFailed
from app.institution import common
from app.institution import repository as repo
from app.institution.common import Errors, Outcome
from app.institution.errors import VolunteerNotFound
from app.institution.schemas import (
    TutoringIn,
    TutoringOut,
    TutoringQuery,
    VolunteerIn,
    VolunteerOut,
    VolunteerPatch,
)
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.etag import check_if_match
from app.kit.pagination import Page, page_of
from app.kit.record_check import (
    RecordCheck,
    check_fields,
    refusal,
    reject_future,
    require_clear,
)
from app.kit.records import out_of
from app.models import TutoringSession, Volunteer


def volunteer_out(v: Volunteer, ctx: RequestContext) -> VolunteerOut:
    checked = check_fields(v, ctx.today, ctx.settings.record_check_valid_months)
    return out_of(VolunteerOut, v, **checked)


async def create_volunteer(
    session: AsyncSession, ctx: RequestContext, body: VolunteerIn
) -> VolunteerOut:
    """Register a volunteer (with the record query when it has been answered)."""
    if body.record_check is not None:
        reject_future(body.record_check, ctx.today)
    check = body.record_check.columns() if body.record_check else {}
    volunteer = Volunteer(
        id=uuid.uuid4(),
        **body.model_dump(exclude={"record_check"}),
        created_by=ctx.actor.name,
        district_code=ctx.actor.district_code or ctx.settings.district_code,
        **check,
    )
    session.add(volunteer)
    await session.flush()
    await session.refresh(volunteer, ["created_at", "updated_at"])
    audit.record(
        session,
        ctx,
        "volunteer.create",
        "volunteer",
        volunteer.id,
        {"organisation": body.organisation, "record_check": _check_audit(body.record_check)},
    )
    return volunteer_out(volunteer, ctx)


def _check_audit(check: RecordCheck | None) -> dict[str, Any] | None:
    return None if check is None else check.model_dump(mode="json")


async def get_volunteer(
    session: AsyncSession, ctx: RequestContext, volunteer_id: uuid.UUID, *, lock: bool = False
) -> Volunteer:
    volunteer = await repo.volunteer(session, ctx.actor, volunteer_id, lock=lock)
    if volunteer is None:
        raise VolunteerNotFound()
    return volunteer


async def update_volunteer(
    session: AsyncSession,
    ctx: RequestContext,
    volunteer_id: uuid.UUID,
    body: VolunteerPatch,
    if_match: str | None,
) -> VolunteerOut:
    """Change a volunteer's details or record a renewed query (If-Match: the ETag read)."""
    volunteer = await get_volunteer(session, ctx, volunteer_id, lock=True)
    check_if_match(if_match, volunteer.version)
    fields = body.model_dump(exclude_unset=True, exclude={"record_check"})
    if body.record_check is not None:
        reject_future(body.record_check, ctx.today)
        fields |= body.record_check.columns()
    changed = [name for name, value in fields.items() if getattr(volunteer, name) != value]
    for name in changed:
        setattr(volunteer, name, fields[name])
    if changed:
        await session.flush()
        await session.refresh(volunteer, ["updated_at"])
    audit.record(
        session,
        ctx,
        "volunteer.update",
        "volunteer",
        volunteer.id,
        {"fields": changed, "record_check": _check_audit(body.record_check)},
    )
    return volunteer_out(volunteer, ctx)


async def list_volunteers(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    organisation: str | None,
    limit: int,
    cursor: str | None,
) -> Page[VolunteerOut]:
    stmt, keys = repo.volunteers_stmt(ctx.actor, organisation), [Volunteer.created_at, Volunteer.id]
    return await page_of(session, stmt, keys, limit, cursor, lambda v: volunteer_out(v, ctx))


async def require_schedulable(
    session: AsyncSession, ctx: RequestContext, ids: Sequence[uuid.UUID], day: date
) -> None:
    """Every volunteer named exists (422 naming `volunteer_ids.i`) and may work with children on
    `day` (409 `record_check_failed` naming `volunteer_ids.i` and the volunteer)."""
    found = await repo.volunteers(session, ctx.actor, ids)
    missing: Errors = [
        (f"volunteer_ids.{i}", "志愿者不存在", "No such volunteer")
        for i, vid in enumerate(ids)
        if vid not in found
    ]
    if missing:
        raise ValidationFailed(errors=missing)
    for i, vid in enumerate(ids):
        require_clear(
            RecordCheck.from_columns(found[vid]),
            day,
            ctx.settings.record_check_valid_months,
            field=f"volunteer_ids.{i}",
            person_id=str(vid),
        )


async def count_not_schedulable(
    session: AsyncSession, principal: Principal, today: date, valid_months: int
) -> int:
    """Volunteers whose record check does not let them work with children today."""
    return sum(
        1
        for row in await repo.all_volunteer_checks(session, principal)
        if refusal(RecordCheck.from_columns(row), today, valid_months) is not None
    )


def tutoring_out(row: TutoringSession) -> TutoringOut:
    return TutoringOut.model_validate(row, from_attributes=True)


async def judge_scheduled(
    session: AsyncSession,
    ctx: RequestContext,
    held_on: date,
    child_ids: Sequence[uuid.UUID],
    volunteer_ids: Sequence[uuid.UUID],
) -> None:
    """A session of volunteers with residents: not in the future, residents only (422), every
    volunteer cleared by the record check on the day (409)."""
    errors: Errors = []
    common.not_future(held_on, ctx, "held_on", errors)
    await common.residents(session, ctx, child_ids, "child_ids", errors)
    if errors:
        raise ValidationFailed(errors=errors)
    await require_schedulable(session, ctx, volunteer_ids, held_on)


async def create_tutoring(
    session: AsyncSession, ctx: RequestContext, body: TutoringIn
) -> tuple[Outcome, TutoringOut]:
    """Record volunteers' tutoring of residents; each volunteer's record check must allow it."""

    async def prepare() -> dict[str, Any]:
        await judge_scheduled(session, ctx, body.held_on, body.child_ids, body.volunteer_ids)
        return body.model_dump() | {"recorded_by": ctx.actor.id}

    outcome, row = await common.create_once(
        session,
        ctx,
        TutoringSession,
        body,
        prepare=prepare,
        action="tutoring_session.create",
        detail=lambda r: {"volunteers": len(r.volunteer_ids), "children": len(r.child_ids)},
    )
    return outcome, tutoring_out(row)


async def list_tutoring(
    session: AsyncSession, ctx: RequestContext, query: TutoringQuery
) -> Page[TutoringOut]:
    stmt = repo.tutoring_stmt(
        ctx.actor, query.child_id, query.volunteer_id, common.month_of(query.month)
    )
    keys = [TutoringSession.held_on, TutoringSession.id]
    return await common.listed(
        session, ctx, stmt, keys, query, action="tutoring_session.list", out=tutoring_out
    )
