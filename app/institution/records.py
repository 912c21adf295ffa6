"""照护记录 and 集体活动: the care given to each resident in the four domains, and the
outings, classes and festival visits they took part in. Each is created once by client id."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ValidationFailed
from app.institution import common
from app.institution import repository as repo
from app.institution.common import Errors, Outcome
from app.institution.schemas import (
    KINDS_BY_DOMAIN,
    TIMED_KINDS,
    ActivityIn,
    ActivityOut,
    CareRecordIn,
    CareRecordOut,
)
from app.institution.volunteers import require_schedulable
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.pagination import Page, paginate
from app.models import CareRecord, InstituteActivity


def record_out(row: CareRecord) -> CareRecordOut:
    return CareRecordOut.model_validate(row, from_attributes=True)


async def create_care_record(
    session: AsyncSession, ctx: RequestContext, body: CareRecordIn
) -> tuple[Outcome, CareRecordOut]:
    """Record care given to a resident: the kind must belong to the domain; a rehabilitation
    session gives its minutes; the day is not in the future."""
    body_hash = common.fingerprint(body)
    if (existing := await common.stored(session, CareRecord, body.id, body_hash)) is not None:
        return "duplicate", record_out(existing)
    errors: Errors = []
    if body.kind not in KINDS_BY_DOMAIN[body.domain]:
        errors.append(
            (
                "kind",
                f"记录类型 {body.kind} 不属于 {body.domain} 领域",
                f"The kind {body.kind} does not belong to the {body.domain} domain",
            )
        )
    if body.kind in TIMED_KINDS and body.minutes is None:
        errors.append(("minutes", "康复训练须填写时长（分钟）", "Give the session's minutes"))
    common.not_future(body.recorded_on, ctx, "recorded_on", errors)
    await common.residents(session, [body.child_id], "child_id", errors)
    if errors:
        raise ValidationFailed(errors=errors)
    outcome, row = await common.insert(
        session,
        CareRecord,
        body.model_dump()
        | {"staff_id": ctx.actor.id, "staff_name": ctx.actor.name, "body_hash": body_hash},
    )
    if outcome == "created":
        audit.record(
            session,
            ctx,
            "care_record.create",
            "care_record",
            row.id,
            {"child_id": str(row.child_id), "domain": row.domain, "kind": row.kind},
        )
    return outcome, record_out(row)


async def list_care_records(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    child_id: uuid.UUID | None,
    domain: str | None,
    month: date | None,
    limit: int,
    cursor: str | None,
) -> Page[CareRecordOut]:
    """Care records by day, per child and per domain."""
    rows, nxt = await paginate(
        session,
        repo.care_records_stmt(child_id, domain, common.month_span(month)),
        [CareRecord.recorded_on, CareRecord.id],
        limit=limit,
        cursor=cursor,
    )
    audit.record(
        session,
        ctx,
        "care_record.list",
        "care_record",
        None,
        {"count": len(rows), "child_id": None if child_id is None else str(child_id)},
    )
    return Page(items=[record_out(r) for r in rows], next_cursor=nxt)


def activity_out(row: InstituteActivity) -> ActivityOut:
    return ActivityOut.model_validate(row, from_attributes=True)


async def create_activity(
    session: AsyncSession, ctx: RequestContext, body: ActivityIn
) -> tuple[Outcome, ActivityOut]:
    """Record an outing, a class or a festival visit with the residents who took part; the
    volunteers named must hold a clear, recent record check (art. 62) on the day."""
    body_hash = common.fingerprint(body)
    if (
        existing := await common.stored(session, InstituteActivity, body.id, body_hash)
    ) is not None:
        return "duplicate", activity_out(existing)
    errors: Errors = []
    common.not_future(body.held_on, ctx, "held_on", errors)
    await common.residents(session, body.child_ids, "child_ids", errors)
    if errors:
        raise ValidationFailed(errors=errors)
    await require_schedulable(session, ctx, body.volunteer_ids, body.held_on)
    outcome, row = await common.insert(
        session,
        InstituteActivity,
        body.model_dump() | {"recorded_by": ctx.actor.id, "body_hash": body_hash},
    )
    if outcome == "created":
        audit.record(
            session,
            ctx,
            "activity.create",
            "activity",
            row.id,
            {"kind": row.kind, "children": len(row.child_ids)},
        )
    return outcome, activity_out(row)


async def list_activities(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    child_id: uuid.UUID | None,
    kind: str | None,
    month: date | None,
    limit: int,
    cursor: str | None,
) -> Page[ActivityOut]:
    rows, nxt = await paginate(
        session,
        repo.activities_stmt(child_id, kind, common.month_span(month)),
        [InstituteActivity.held_on, InstituteActivity.id],
        limit=limit,
        cursor=cursor,
    )
    audit.record(session, ctx, "activity.list", "activity", None, {"count": len(rows)})
    return Page(items=[activity_out(r) for r in rows], next_cursor=nxt)
