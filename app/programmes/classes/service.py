"""智慧父母: parents' classes with experts in education, psychology and law (with the district's
关工委), in schools or online; which ledger families attended; the report per town.

Rules (rule we set unless said):
- a class held in a school names its place, an online class its link (issue 24: "place or link");
- a town supervisor records their own town's classes; a district admin any town's, or a
  district-wide class (no town);
- attendance is recorded once the class has been held, by ledger child (the child's parent or
  guardian came), for children of the caller's jurisdiction who were on the ledger on the day;
  a child already recorded stays recorded once; the count of other participants is the
  organisers' (district admin, or the class town's supervisor);
- "ledger families that attended this year" counts each child once (siblings are separate
  ledger records: the ledger has no family key), among the children on the ledger at some time
  in the year; the institute's children are reported apart (town none).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.roles import Role
from app.children.errors import ChildNotFound
from app.errors import Forbidden, ValidationFailed
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.pagination import Page
from app.kit.records import add_audited, known, out_of
from app.kit.stats import ratio
from app.models import ParentClass
from app.programmes.classes import repository as repo
from app.programmes.classes.errors import ClassNotFound, ClassNotHeld
from app.programmes.classes.schemas import (
    AttendanceIn,
    Attendee,
    ClassCreate,
    ClassOut,
    ClassReport,
    TownAttendance,
)

INSTITUTION_ZH = "儿童福利院"


def _organises(principal: Principal, town_code: str | None) -> bool:
    """Whether the caller organises a class of `town_code` (district admins: every class)."""
    if principal.has_role(Role.DISTRICT_ADMIN):
        return True
    return principal.has_role(Role.TOWN_SUPERVISOR) and town_code == principal.area_code


async def _judge_class(session: AsyncSession, ctx: RequestContext, body: ClassCreate) -> str | None:
    """422 naming each bad field; the class's town (a supervisor's own town by default)."""
    errors: list[tuple[str, str, str]] = []
    if body.mode == "school":
        if body.place is None:
            errors.append(("place", "进校课堂须填写地点", "A class in a school needs its place"))
        if body.link is not None:
            errors.append(("link", "仅线上课堂填写链接", "Only an online class has a link"))
    elif body.link is None:
        errors.append(("link", "线上课堂须填写链接", "An online class needs its link"))
    town_code = body.town_code
    if ctx.actor.has_role(Role.TOWN_SUPERVISOR):
        town_code = town_code or ctx.actor.area_code
    if town_code is not None:
        if await repo.town(session, ctx.actor, town_code) is None:
            errors.append(("town_code", "镇街不存在", "No such town"))
        elif not _organises(ctx.actor, town_code):
            errors.append(
                ("town_code", "只能登记本镇街的课堂", "You record your own town's classes only")
            )
    if errors:
        raise ValidationFailed(errors=errors)
    return town_code


async def answer(
    session: AsyncSession, principal: Principal, classes: list[ParentClass]
) -> list[ClassOut]:
    ids = [c.id for c in classes]
    counts = await repo.family_counts(session, ids)
    seen: dict[uuid.UUID, list[Attendee]] = defaultdict(list)
    for class_id, child_id, name, village in await repo.attendees(session, principal, ids):
        seen[class_id].append(Attendee(child_id=child_id, child_name=name, village_code=village))
    return [
        out_of(ClassOut, c, ledger_families=counts.get(c.id, 0), attendees=seen.get(c.id, []))
        for c in classes
    ]


async def create_class(
    session: AsyncSession, ctx: RequestContext, body: ClassCreate
) -> tuple[ClassOut, uuid.UUID]:
    """Record a parents' class (planned or held)."""
    town_code = await _judge_class(session, ctx, body)
    c = ParentClass(
        id=uuid.uuid4(),
        **body.model_dump(exclude={"town_code"}),
        town_code=town_code,
        created_at=ctx.now,
        created_by=ctx.actor.name,
        district_code=ctx.actor.district_code or ctx.settings.district_code,
    )
    detail = {"held_on": str(c.held_on), "town_code": town_code}
    await add_audited(session, ctx, c, "parent_class.create", "parent_class", detail)
    (out,) = await answer(session, ctx.actor, [c])
    return out, c.id


async def get_class(session: AsyncSession, ctx: RequestContext, class_id: uuid.UUID) -> ClassOut:
    c = known(await repo.parent_class(session, ctx.actor, class_id), ClassNotFound)
    (out,) = await answer(session, ctx.actor, [c])
    return out


async def list_classes(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    year: int | None,
    town_code: str | None,
    limit: int,
    cursor: str | None,
) -> Page[ClassOut]:
    classes, next_cursor = await repo.classes_page(
        session, ctx.actor, year=year, town_code=town_code, limit=limit, cursor=cursor
    )
    return Page[ClassOut](items=await answer(session, ctx.actor, classes), next_cursor=next_cursor)


async def record_attendance(
    session: AsyncSession, ctx: RequestContext, class_id: uuid.UUID, body: AttendanceIn
) -> ClassOut:
    """Add the ledger children whose parent or guardian attended (and, for the organisers, the
    count of other participants). All or nothing: one bad child refuses the whole request."""
    c = known(await repo.parent_class(session, ctx.actor, class_id, lock=True), ClassNotFound)
    if body.others_count is not None and not _organises(ctx.actor, c.town_code):
        raise Forbidden(
            "只有课堂的组织者可以登记其他参加人数",
            "Only the class's organisers record the count of other participants",
        )
    if c.held_on > ctx.today:
        raise ClassNotHeld()
    found = await repo.readable_children(session, ctx.actor, body.child_ids)
    errors: list[tuple[str, str, str]] = []
    for i, cid in enumerate(body.child_ids):
        field = f"child_ids.{i}"
        child = found.get(cid)
        if child is None:
            errors.append(ChildNotFound.field_error(field))
        elif child.approved_on > c.held_on or (
            child.revoked_on is not None and child.revoked_on <= c.held_on
        ):
            errors.append(
                (field, "课堂举办当天该儿童不在台账内", "The child was not on the ledger that day")
            )
    if errors:
        raise ValidationFailed(errors=errors)
    unique = list(dict.fromkeys(body.child_ids))
    rows: list[dict[str, Any]] = [
        {"class_id": c.id, "child_id": cid, "recorded_by": ctx.actor.name, "created_at": ctx.now}
        for cid in unique
    ]
    added = await repo.add_attendance(session, rows)
    if body.others_count is not None:
        c.others_count = body.others_count
        await session.flush()
    audit.record(
        session,
        ctx,
        "parent_class.attendance",
        "parent_class",
        c.id,
        {
            "child_ids": [str(x) for x in unique],
            "added": added,
            "others_count": body.others_count,
        },
    )
    (out,) = await answer(session, ctx.actor, [c])
    return out


async def report(session: AsyncSession, ctx: RequestContext, year: int) -> ClassReport:
    """Per town, the ledger families that attended a class this year (town supervisors: their
    town; the district: every town and the institute)."""
    own = None if ctx.actor.is_district else ctx.actor.area_code
    counts = {r.town_code: r for r in await repo.town_attendance(session, year, own)}

    def row(code: str | None, name: str) -> TownAttendance:
        r = counts.get(code)
        total, came = (int(r.ledger_children), int(r.attended)) if r else (0, 0)
        return TownAttendance(
            town_code=code,
            town_name=name,
            ledger_children=total,
            attended=came,
            ratio=ratio(came, total),
        )

    towns = await repo.towns(session, ctx.actor.area_path)
    rows = [row(code, name) for code, name in towns if own is None or code == own]
    if own is None:
        rows.append(row(None, ctx.text(INSTITUTION_ZH, "Welfare institute")))
    classes, others = await repo.year_classes(session, ctx.actor, year, own)
    return ClassReport(year=year, classes=classes, others=others, towns=rows)
