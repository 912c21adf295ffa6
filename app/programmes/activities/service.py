"""社区未成年人活动: the activities of a village's minors' venue — the day, the kind, the ledger
children who took part and a count of the others — recorded from the phone once by their
client id; and the children in difficulty who took part in no activity this year."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.jurisdiction import area_clause
from app.children.access import readable
from app.children.errors import ChildNotFound
from app.errors import ValidationFailed
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.idempotency import body_hash
from app.kit.pagination import Page, paginate
from app.kit.records import out_of
from app.models import Area, Child, CommunityActivity
from app.programmes.activities import repository as repo
from app.programmes.activities.errors import ActivityConflict
from app.programmes.activities.schemas import ActivityCreate, ActivityOut, ChildWithoutActivity
from app.programmes.pages import page_rows

FieldErrors = list[tuple[str, str, str]]


def activity_out(row: CommunityActivity) -> ActivityOut:
    return out_of(
        ActivityOut,
        row,
        child_ids=list(row.child_ids),
        ledger_children=len(row.child_ids),
        participants=len(row.child_ids) + row.others,
    )


async def _check(session: AsyncSession, ctx: RequestContext, body: ActivityCreate) -> Area:
    errors: FieldErrors = []
    village = await repo.village_in(session, body.village_code, area_clause(ctx.actor, Area.code))
    if village is None:
        errors.append(
            (
                "village_code",
                "村（社区）不存在或不在您的辖区内",
                "No such village in your jurisdiction",
            )
        )
    if body.held_on > ctx.today:
        errors.append(("held_on", "活动日期不能晚于今天", "held_on is in the future"))
    elif body.held_on.year < ctx.today.year - 1:
        errors.append(("held_on", "只能登记今年或去年的活动", "Only this year's or last year's"))
    known = await repo.readable_ids(session, body.child_ids, readable(ctx.actor))
    seen: set[uuid.UUID] = set()
    for i, cid in enumerate(body.child_ids):
        if cid in seen:
            errors.append((f"child_ids[{i}]", "儿童重复", "The child is listed twice"))
        elif cid not in known:
            errors.append(ChildNotFound.field_error(f"child_ids[{i}]"))
        seen.add(cid)
    if not body.child_ids and body.others == 0:
        errors.append(("others", "活动须至少有一名儿童参加", "Nobody took part"))
    if errors or village is None:
        raise ValidationFailed(errors=errors)
    return village


async def record_activity(
    session: AsyncSession, ctx: RequestContext, body: ActivityCreate
) -> tuple[ActivityOut, bool]:
    """Record an activity once by its client id: (the activity, whether it was created now).
    The same id and body again answer the activity recorded; another body is a 409."""
    digest = body_hash(body.model_dump(mode="json"))
    existing = await repo.get_activity(session, body.id)
    if existing is None:
        village = await _check(session, ctx, body)
        created = await repo.insert_activity(
            session,
            {
                "id": body.id,
                "village_code": village.code,
                "town_code": village.parent_code,
                "held_on": body.held_on,
                "kind": body.kind,
                "title": body.title,
                "child_ids": body.child_ids,
                "others": body.others,
                "note": body.note,
                "body_hash": digest,
                "created_at": ctx.now,
                "created_by": ctx.actor.name,
            },
        )
        existing = await repo.get_activity(session, body.id)
        assert existing is not None
        if created:
            audit.record(
                session,
                ctx,
                "activity.create",
                "community_activity",
                body.id,
                {
                    "village_code": village.code,
                    "held_on": body.held_on.isoformat(),
                    "child_ids": [str(c) for c in body.child_ids],
                    "others": body.others,
                },
            )
            return activity_out(existing), True
    mine = await repo.village_in(session, existing.village_code, area_clause(ctx.actor, Area.code))
    if existing.body_hash != digest or mine is None:
        raise ActivityConflict(
            "该编号的活动已登记，内容不同",
            "An activity with this id is recorded with other content",
            errors=[("id", "编号已被另一活动使用", "The id belongs to another activity")],
        )
    return activity_out(existing), False


async def list_activities(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    year: int | None,
    village_code: str | None,
    kind: str | None,
    limit: int,
    cursor: str | None,
) -> Page[ActivityOut]:
    """The activities of the venues of the caller's area."""
    stmt = repo.activities_stmt(
        area_clause(ctx.actor, CommunityActivity.village_code),
        year=year,
        village_code=village_code,
        kind=kind,
    )
    rows, nxt = await paginate(
        session,
        stmt,
        [CommunityActivity.held_on, CommunityActivity.id],
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[activity_out(r) for r in rows], next_cursor=nxt)


async def without_activity(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    year: int | None,
    area_code: str | None,
    limit: int,
    cursor: str | None,
) -> Page[ChildWithoutActivity]:
    """The children in difficulty of the caller's jurisdiction (dispersed, active) who took
    part in no activity of `year` (this year by default)."""
    path = None
    if area_code is not None:
        path = await repo.area_path(session, area_code)
        district = ctx.actor.district_code
        if path is None or district is None or district not in path.split("/"):
            # another district's area does not exist for the caller (as an unknown code)
            raise ValidationFailed(errors=[("area_code", "区划不存在", "No such area")])
    stmt = repo.without_activity_stmt(readable(ctx.actor), year or ctx.today.year, path)
    rows, nxt = await page_rows(session, stmt, Child.id, "id", limit, cursor)
    items = [out_of(ChildWithoutActivity, r, child_id=r.id, town_code=r.parent_code) for r in rows]
    ids = [str(c.child_id) for c in items]
    audit.record(
        session, ctx, "activity.children_without", "child", None, {"count": len(ids), "ids": ids}
    )
    return Page(items=items, next_cursor=nxt)
