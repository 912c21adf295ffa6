"""Care programmes with partners: 爱心妈妈 pairings and 智慧父母 parents' classes.

Written against the programmes' tables: `caring_mother_pairings` (`child_id`, `since`, `status`
active|ended, `ended_on`), `caring_mother_contacts` (`pairing_id`, `contacted_on`),
`caring_mother_wishes` (`child_id`), `parent_classes` (`held_on`, `town_code` — none for a
district-wide class, `others_count`) and `parent_class_attendance` (`class_id`, `child_id`). A
pairing or an attendance belongs to the area of its child's village (the institute's children
count for their own district only); a class to its town (a district-wide one to its district).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.dashboard.providers.common import in_scope, institute_of
from app.dashboard.sections import Scope, section
from app.models import (
    CaringMotherContact,
    CaringMotherPairing,
    CaringMotherWish,
    Child,
    ParentClass,
    ParentClassAttendance,
)

P, C, W = CaringMotherPairing, CaringMotherContact, CaringMotherWish


def children_of(scope: Scope) -> ColumnElement[bool]:
    """The scope's children: its villages', and for a district its own institute's (in a city
    another district's institute children are not this district's)."""
    return or_(
        in_scope(scope, Child.village_code, district_includes_null=False), institute_of(scope)
    )


PC, PA = ParentClass, ParentClassAttendance


@section("pairings", order=83)
async def pairings(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    """Pairings active on the month's standing day, begun and ended in the month, contacts in
    the month, and children who wished for a caring mother and still have none."""
    mine = children_of(scope)
    first, last, as_of = scope.month, scope.month_end, scope.as_of
    active_on = and_(P.since <= as_of, or_(P.ended_on.is_(None), P.ended_on > as_of))
    counts = (
        await session.execute(
            select(
                func.count().filter(active_on),
                func.count().filter(P.since.between(first, last)),
                func.count().filter(P.ended_on.between(first, last)),
            )
            .select_from(P)
            .join(Child, Child.id == P.child_id)
            .where(mine)
        )
    ).one()
    contacts = (
        await session.execute(
            select(func.count())
            .select_from(C)
            .join(P, P.id == C.pairing_id)
            .join(Child, Child.id == P.child_id)
            .where(mine, C.contacted_on.between(first, last))
        )
    ).scalar_one()
    paired = exists().where(P.child_id == W.child_id, P.status == "active")
    unmatched = (
        await session.execute(
            select(func.count())
            .select_from(W)
            .join(Child, Child.id == W.child_id)
            .where(mine, Child.status != "revoked", ~paired)
        )
    ).scalar_one()
    return {
        "active": int(counts[0]),
        "started": int(counts[1]),
        "ended": int(counts[2]),
        "contacts": int(contacts),
        "unmatched_wishes": int(unmatched),
    }


@section("parent_classes", order=84)
async def parent_classes(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    """Classes held in the month and in the year so far, their other participants, and the
    ledger families (children) of the area that attended a class this year."""
    first, as_of = scope.month, scope.as_of
    year_start = date(first.year, 1, 1)
    # a district's own classes (a district-wide one has no town); a town's classes
    in_area = (
        PC.district_code == scope.area_code if scope.is_district else in_scope(scope, PC.town_code)
    )
    held = (
        await session.execute(
            select(
                func.count().filter(PC.held_on.between(first, as_of)),
                func.count(),
                func.coalesce(func.sum(PC.others_count), 0),
            ).where(in_area, PC.held_on.between(year_start, as_of))
        )
    ).one()
    families = (
        await session.execute(
            select(func.count(func.distinct(PA.child_id)))
            .select_from(PA)
            .join(PC, PC.id == PA.class_id)
            .join(Child, Child.id == PA.child_id)
            .where(children_of(scope), PC.held_on.between(year_start, as_of))
        )
    ).scalar_one()
    return {
        "held_in_month": int(held[0]),
        "held_this_year": int(held[1]),
        "others_this_year": int(held[2]),
        "families_this_year": int(families),
    }
