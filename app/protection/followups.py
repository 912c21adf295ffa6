"""回访: the three monthly visits due to a child returned to a family of the district, for the
village's director. They come to the phone with the sync (app/sync: `protection_visits_due`)
and are recorded here; the director sees nothing else of the centre."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.roles import Role
from app.errors import ValidationFailed
from app.kit import audit
from app.kit.audit_chain import PendingEntry
from app.kit.context import RequestContext
from app.kit.pagination import Page, after, checked_cursor, encode_cursor
from app.kit.records import known, out_of
from app.models import ProtectionFollowUpVisit
from app.protection import repository as repo
from app.protection.errors import AlreadyVisited, FollowUpVisitNotFound
from app.protection.schemas import FollowUpVisitDone, FollowUpVisitOut


def to_out(
    v: ProtectionFollowUpVisit, child_name: str | None, address: str | None, today: date
) -> FollowUpVisitOut:
    overdue = v.visited_on is None and v.due_on < today
    return out_of(
        FollowUpVisitOut, v, overdue=overdue, child_name=child_name, family_address=address
    )


async def list_follow_ups(
    session: AsyncSession, ctx: RequestContext, *, due_only: bool, limit: int, cursor: str | None
) -> Page[FollowUpVisitOut]:
    """The follow-up visits the caller may see, the soonest due first."""
    keys: list[Any] = [ProtectionFollowUpVisit.due_on, ProtectionFollowUpVisit.id]
    stmt = repo.follow_ups_stmt(ctx.actor, due_only=due_only)
    if cursor:
        stmt = stmt.where(after(keys, checked_cursor(cursor, keys)))
    rows = (await session.execute(stmt.order_by(*keys).limit(limit + 1))).all()
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        nxt = encode_cursor([rows[-1][0].due_on, rows[-1][0].id])
    items = [to_out(r[0], r[1], r[2], ctx.today) for r in rows]
    audit.record(
        session, ctx, "protection_follow_up.list", "protection_follow_up", None,
        {"ids": [str(i.id) for i in items]},
    )  # fmt: skip
    return Page(items=items, next_cursor=nxt)


async def record_visit(
    session: AsyncSession, ctx: RequestContext, visit_id: uuid.UUID, body: FollowUpVisitDone
) -> FollowUpVisitOut:
    """The director made the visit: it leaves the list of visits due (once; 409 after)."""
    found = known(
        await repo.follow_up_for_update(session, ctx.actor, visit_id), FollowUpVisitNotFound
    )
    visit, name, address = found
    if visit.visited_on is not None:
        raise AlreadyVisited(extra={"visited_on": visit.visited_on.isoformat()})
    if body.visited_on > ctx.today:
        raise ValidationFailed(errors=[("visited_on", "日期不能晚于今天", "In the future")])
    visit.visited_on = body.visited_on
    visit.visited_by = ctx.actor.name
    visit.note = body.note
    await session.flush()
    audit.record(
        session, ctx, "protection_follow_up.visit", "protection_follow_up", visit.id,
        {"intake_id": str(visit.intake_id), "seq": visit.seq},
    )  # fmt: skip
    return to_out(visit, name, address, ctx.today)


async def due_for_sync(session: AsyncSession, ctx: RequestContext) -> list[FollowUpVisitOut]:
    """The follow-up visits a village director's phone should show (complete on every sync)."""
    principal = ctx.actor
    if principal.role != Role.VILLAGE_DIRECTOR or principal.area_code is None:
        return []
    rows = await repo.due_follow_ups_of_village(session, principal.area_code)
    due = [to_out(v, n, a, ctx.today) for v, n, a in rows]
    if due:
        audit.record(session, ctx, *_sync_audit(due))
    return due


def due_from_json(
    ctx: RequestContext, items: list[dict[str, Any]] | None
) -> list[FollowUpVisitOut]:
    """The same answer as `due_for_sync`, from the visits due as the sync's lean statement reads
    them (`app.sync.repository.quiet`: JSON objects of the record's columns and the intake's
    child name and family address, in the same order); the caller writes `sync_audit_entry`."""
    today = ctx.today
    return [
        FollowUpVisitOut.model_validate(
            item
            | {"overdue": item["visited_on"] is None and date.fromisoformat(item["due_on"]) < today}
        )
        for item in items or ()
    ]


def sync_audit_entry(ctx: RequestContext, due: list[FollowUpVisitOut]) -> PendingEntry:
    """The audit entry of the visits due that a sync sends (they name a child and an address)."""
    return audit.entry(ctx, *_sync_audit(due))


def _sync_audit(due: list[FollowUpVisitOut]) -> tuple[str, str, None, dict[str, Any]]:
    return (
        "protection_follow_up.sync",
        "protection_follow_up",
        None,
        {"ids": [str(v.id) for v in due]},
    )
