"""SQL of the parents' classes. Classes are no one's record (every reader sees them); the
attendees shown and recorded are the caller's children (`app.children.access.readable`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.auth.jurisdiction import district_clause
from app.auth.principal import Principal
from app.children.access import readable
from app.kit.listing import in_year, where_given
from app.kit.pagination import paginate
from app.kit.sql import insert_ignoring_conflicts, table_of
from app.models import Area, Child, ParentClass, ParentClassAttendance

A = ParentClassAttendance
_VILLAGE = aliased(Area)


async def town(session: AsyncSession, principal: Principal, code: str) -> Area | None:
    """A town of the caller's district (another district's town is unknown here)."""
    district = aliased(Area)
    stmt = (
        select(Area)
        .join(district, district.code == principal.district_code)
        .where(Area.code == code, Area.level == "town", Area.path.startswith(district.path))
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def parent_class(
    session: AsyncSession, principal: Principal, class_id: uuid.UUID, *, lock: bool = False
) -> ParentClass | None:
    """A class of the caller's district (another district's: None)."""
    stmt = select(ParentClass).where(
        ParentClass.id == class_id,
        district_clause(principal, ParentClass.district_code, aggregate=True),
    )
    if lock:
        stmt = stmt.with_for_update()
    return (
        await session.execute(stmt.execution_options(populate_existing=True))
    ).scalar_one_or_none()


async def classes_page(
    session: AsyncSession,
    principal: Principal,
    *,
    year: int | None,
    town_code: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[ParentClass], str | None]:
    own = select(ParentClass).where(
        district_clause(principal, ParentClass.district_code, aggregate=True)
    )
    stmt = where_given(own, (ParentClass.town_code, town_code))
    if year is not None:
        stmt = stmt.where(in_year(ParentClass.held_on, year))
    keys = [ParentClass.held_on, ParentClass.id]
    return await paginate(session, stmt, keys, limit=limit, cursor=cursor)


async def family_counts(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[Any, int]:
    stmt = select(A.class_id, func.count()).where(A.class_id.in_(ids)).group_by(A.class_id)
    return {c: int(n) for c, n in (await session.execute(stmt)).tuples()}


async def attendees(
    session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID]
) -> list[Row[Any]]:
    """(class_id, child_id, name, village_code) of the caller's children at the classes `ids`."""
    stmt = (
        select(A.class_id, Child.id, Child.name, Child.village_code)
        .join(Child, Child.id == A.child_id)
        .where(A.class_id.in_(ids), readable(principal))
        .order_by(A.class_id, Child.name, Child.id)
    )
    return list((await session.execute(stmt)).all())


async def readable_children(
    session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Child]:
    stmt = select(Child).where(Child.id.in_(ids), readable(principal))
    return {c.id: c for c in (await session.execute(stmt)).scalars()}


async def add_attendance(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Insert the attendances (a child already recorded stays once); how many were new."""
    if not rows:
        return 0
    stmt = insert_ignoring_conflicts(table_of(A), "class_id", "child_id").returning(A.child_id)
    return len((await session.execute(stmt, rows)).all())


def _on_ledger_in(start: date, end: date) -> Any:
    return and_(
        Child.approved_on <= end,
        or_(Child.revoked_on.is_(None), Child.revoked_on > start),
    )


async def town_attendance(
    session: AsyncSession, year: int, town_code: str | None
) -> list[Row[Any]]:
    """Per town (and the institute, town None): ledger children of the year and those whose
    family attended a class held that year. `town_code`: that town only."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    attended = (
        select(A.child_id)
        .join(ParentClass, ParentClass.id == A.class_id)
        .where(ParentClass.held_on >= start, ParentClass.held_on <= end)
    )
    town_of = _VILLAGE.parent_code
    stmt = (
        select(
            town_of.label("town_code"),
            func.count().label("ledger_children"),
            func.count().filter(Child.id.in_(attended)).label("attended"),
        )
        .select_from(Child)
        .outerjoin(_VILLAGE, _VILLAGE.code == Child.village_code)
        .where(_on_ledger_in(start, end))
        .group_by(town_of)
    )
    if town_code is not None:
        stmt = stmt.where(_VILLAGE.parent_code == town_code)
    return list((await session.execute(stmt)).all())


async def towns(session: AsyncSession, district_path: str | None) -> list[Row[Any]]:
    stmt = select(Area.code, Area.name).where(Area.level == "town").order_by(Area.code)
    if district_path is not None:
        stmt = stmt.where(Area.path.startswith(district_path))
    return list((await session.execute(stmt)).all())


async def year_classes(
    session: AsyncSession, principal: Principal, year: int, town_code: str | None
) -> tuple[int, int]:
    """(classes, other participants) of the caller's district's year (of one town's classes
    when given)."""
    stmt = select(func.count(), func.coalesce(func.sum(ParentClass.others_count), 0)).where(
        ParentClass.held_on >= date(year, 1, 1),
        ParentClass.held_on <= date(year, 12, 31),
        district_clause(principal, ParentClass.district_code, aggregate=True),
    )
    if town_code is not None:
        stmt = stmt.where(ParentClass.town_code == town_code)
    n, others = (await session.execute(stmt)).one()
    return int(n), int(others)
