"""SQL of the community activities (社区未成年人活动)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, any_, exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.kit.listing import in_year, where_given
from app.kit.rows import one_where
from app.models import Area, Child, CommunityActivity


async def village_in(
    session: AsyncSession, village_code: str, clause: ColumnElement[bool]
) -> Area | None:
    """The village, if it lies in the caller's jurisdiction (`clause` on `Area.code`)."""
    return await one_where(
        session, Area, Area.code == village_code, Area.level == "village", clause
    )


async def readable_ids(
    session: AsyncSession, ids: list[uuid.UUID], clause: ColumnElement[bool]
) -> set[uuid.UUID]:
    if not ids:
        return set()
    stmt = select(Child.id).where(Child.id.in_(ids), clause)
    return set((await session.execute(stmt)).scalars())


async def insert_activity(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert once by id: False when the id exists already."""
    stmt = (
        insert(CommunityActivity)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(CommunityActivity.id)
    )
    return (await session.execute(stmt)).first() is not None


async def get_activity(session: AsyncSession, activity_id: uuid.UUID) -> CommunityActivity | None:
    return await session.get(CommunityActivity, activity_id, populate_existing=True)


def activities_stmt(
    clause: ColumnElement[bool],
    *,
    year: int | None,
    village_code: str | None,
    kind: str | None,
) -> Select[Any]:
    stmt = select(CommunityActivity).where(clause)
    if year is not None:
        stmt = stmt.where(in_year(CommunityActivity.held_on, year))
    return where_given(
        stmt, (CommunityActivity.village_code, village_code), (CommunityActivity.kind, kind)
    )


def took_part_in(year: int) -> ColumnElement[bool]:
    """The child (Child.id) took part in an activity held in `year`."""
    return exists().where(
        in_year(CommunityActivity.held_on, year),
        Child.id == any_(CommunityActivity.child_ids),
    )


def without_activity_stmt(
    clause: ColumnElement[bool], year: int, area_path: str | None
) -> Select[Any]:
    """Active dispersed children (the venues are the villages') of `clause` who took part in
    no activity of `year`; within the area of `area_path` when given."""
    stmt = (
        select(Child.id, Child.name, Child.category, Child.village_code, Area.parent_code)
        .outerjoin(Area, Area.code == Child.village_code)
        .where(
            clause,
            Child.status == "active",
            Child.placement == "dispersed",
            ~took_part_in(year),
        )
    )
    if area_path is not None:
        stmt = stmt.where(Area.path.startswith(area_path))
    return stmt


async def area_path(session: AsyncSession, code: str) -> str | None:
    return (await session.execute(select(Area.path).where(Area.code == code))).scalar_one_or_none()


async def count(session: AsyncSession, stmt: Select[Any]) -> int:
    sub = stmt.order_by(None).subquery()
    return int((await session.execute(select(func.count()).select_from(sub))).scalar_one())
