"""照护记录 and 集体活动: the care given to each resident in the four domains, and the
outings, classes and festival visits they took part in. Each is created once by client id."""

from __future__ import annotations

from typing import Any

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
    ActivityQuery,
    CareRecordIn,
    CareRecordOut,
    CareRecordQuery,
)
from app.institution.volunteers import judge_scheduled
from app.kit.context import RequestContext
from app.kit.pagination import Page
from app.models import CareRecord, InstituteActivity


def record_out(row: CareRecord) -> CareRecordOut:
    return CareRecordOut.model_validate(row, from_attributes=True)


async def create_care_record(
    session: AsyncSession, ctx: RequestContext, body: CareRecordIn
) -> tuple[Outcome, CareRecordOut]:
    """Record care given to a resident: the kind must belong to the domain; a rehabilitation
    session gives its minutes; the day is not in the future."""

    async def prepare() -> dict[str, Any]:
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
        await common.residents(session, ctx, [body.child_id], "child_id", errors)
        if errors:
            raise ValidationFailed(errors=errors)
        return body.model_dump() | {"staff_id": ctx.actor.id, "staff_name": ctx.actor.name}

    outcome, row = await common.create_once(
        session,
        ctx,
        CareRecord,
        body,
        prepare=prepare,
        action="care_record.create",
        detail=lambda r: {"child_id": str(r.child_id), "domain": r.domain, "kind": r.kind},
    )
    return outcome, record_out(row)


async def list_care_records(
    session: AsyncSession, ctx: RequestContext, query: CareRecordQuery
) -> Page[CareRecordOut]:
    """Care records by day, per child and per domain."""
    stmt = repo.care_records_stmt(
        ctx.actor, query.child_id, query.domain, common.month_of(query.month)
    )
    keys = [CareRecord.recorded_on, CareRecord.id]
    return await common.listed(
        session, ctx, stmt, keys, query, action="care_record.list", out=record_out
    )


def activity_out(row: InstituteActivity) -> ActivityOut:
    return ActivityOut.model_validate(row, from_attributes=True)


async def create_activity(
    session: AsyncSession, ctx: RequestContext, body: ActivityIn
) -> tuple[Outcome, ActivityOut]:
    """Record an outing, a class or a festival visit with the residents who took part; the
    volunteers named must hold a clear, recent record check (art. 62) on the day."""

    async def prepare() -> dict[str, Any]:
        await judge_scheduled(session, ctx, body.held_on, body.child_ids, body.volunteer_ids)
        return body.model_dump() | {"recorded_by": ctx.actor.id}

    outcome, row = await common.create_once(
        session,
        ctx,
        InstituteActivity,
        body,
        prepare=prepare,
        action="activity.create",
        detail=lambda r: {"kind": r.kind, "children": len(r.child_ids)},
    )
    return outcome, activity_out(row)


async def list_activities(
    session: AsyncSession, ctx: RequestContext, query: ActivityQuery
) -> Page[ActivityOut]:
    stmt = repo.activities_stmt(ctx.actor, query.child_id, query.kind, common.month_of(query.month))
    keys = [InstituteActivity.held_on, InstituteActivity.id]
    return await common.listed(
        session, ctx, stmt, keys, query, action="activity.list", out=activity_out
    )
