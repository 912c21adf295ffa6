"""SQL of the placement plans; orphans of the institute come from the ledger (read only)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.rows import one_where
from app.models import Child, PlacementEntry, PlacementPlan


async def plan(
    session: AsyncSession, district: str | None, plan_id: uuid.UUID, *, lock: bool = False
) -> PlacementPlan | None:
    """The plan, when it is the district's (another district's is as unknown as none)."""
    theirs = PlacementPlan.district_code == district
    return await one_where(
        session, PlacementPlan, PlacementPlan.id == plan_id, theirs, lock=lock, fresh=True
    )


async def plan_by_year(
    session: AsyncSession, district: str | None, year: int
) -> PlacementPlan | None:
    return await one_where(
        session, PlacementPlan, PlacementPlan.year == year, PlacementPlan.district_code == district
    )


async def plans(
    session: AsyncSession, district: str | None, year: int | None
) -> Sequence[PlacementPlan]:
    stmt = (
        select(PlacementPlan)
        .where(PlacementPlan.district_code == district)
        .order_by(PlacementPlan.year)
    )
    if year is not None:
        stmt = stmt.where(PlacementPlan.year == year)
    return (await session.execute(stmt)).scalars().all()


async def entries(session: AsyncSession, plan_ids: Sequence[uuid.UUID]) -> Sequence[Row[Any]]:
    stmt = (
        select(PlacementEntry, Child.name, Child.id_number_masked)
        .join(Child, Child.id == PlacementEntry.child_id)
        .where(PlacementEntry.plan_id.in_(plan_ids))
        .order_by(PlacementEntry.placement_type, Child.birth_date, PlacementEntry.id)
    )
    return (await session.execute(stmt)).all()


async def entry(
    session: AsyncSession, plan_id: uuid.UUID, entry_id: uuid.UUID
) -> PlacementEntry | None:
    E = PlacementEntry
    return await one_where(
        session, E, E.id == entry_id, E.plan_id == plan_id, lock=True, fresh=True
    )


async def children(
    session: AsyncSession, district: str | None, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Any]:
    """The district's children among `ids` (another district's are unknown here)."""
    stmt = select(Child.id, Child.category, Child.placement, Child.birth_date, Child.name).where(
        Child.id.in_(ids), Child.district_code == district
    )
    return {r.id: r for r in (await session.execute(stmt)).all()}


async def already_planned(session: AsyncSession, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    stmt = select(PlacementEntry.child_id).where(PlacementEntry.child_id.in_(ids))
    return set((await session.execute(stmt)).scalars().all())


async def candidates(session: AsyncSession, district: str | None, year: int) -> Sequence[Row[Any]]:
    """Orphans of the district's institute who turn 18 in `year` and are in no plan yet."""
    planned = select(PlacementEntry.child_id)
    stmt = (
        select(Child.id, Child.name, Child.id_number_masked, Child.birth_date, Child.status)
        .where(
            Child.category == "orphan",
            Child.placement == "institution",
            Child.district_code == district,
            Child.birth_date >= date(year - 18, 1, 1),
            Child.birth_date <= date(year - 18, 12, 31),
            Child.id.not_in(planned),
        )
        .order_by(Child.birth_date, Child.id)
    )
    return (await session.execute(stmt)).all()
