"""SQL of the holiday gifts (节日礼品)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.models import Area, BenefitLine, BenefitRun, Child, HolidayGift
from app.programmes.pages import page_rows


async def holiday_run(session: AsyncSession, district: str, period: str) -> BenefitRun | None:
    """The district's holiday run of `period` (each district makes its own)."""
    stmt = select(BenefitRun).where(
        BenefitRun.district_code == district,
        BenefitRun.benefit == "holiday_condolence",
        BenefitRun.period == period,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def run_children(session: AsyncSession, run_id: uuid.UUID) -> set[uuid.UUID]:
    stmt = select(BenefitLine.child_id).where(BenefitLine.run_id == run_id)
    return set((await session.execute(stmt)).scalars())


async def other_values(session: AsyncSession, run_id: uuid.UUID, item: str, fen: int) -> int:
    """How many gifts of `item` in the run have another value than `fen`."""
    stmt = select(func.count()).where(
        HolidayGift.run_id == run_id, HolidayGift.item == item, HolidayGift.value_fen != fen
    )
    return int((await session.execute(stmt)).scalar_one())


async def add_gifts(
    session: AsyncSession,
    *,
    run_id: uuid.UUID,
    child_ids: list[uuid.UUID] | None,
    item: str,
    fen: int,
    at: datetime,
    by: str,
) -> int:
    """A gift of `item` to each child of the run (or of `child_ids`) who has none yet; how
    many were added."""
    source = (
        select(
            func.gen_random_uuid(),
            literal(run_id),
            BenefitLine.child_id,
            Child.village_code,
            Area.parent_code,
            literal(item),
            literal(fen),
            literal(at),
            literal(by),
        )
        .join(Child, Child.id == BenefitLine.child_id)
        .outerjoin(Area, Area.code == Child.village_code)
        .where(BenefitLine.run_id == run_id)
    )
    if child_ids is not None:
        source = source.where(BenefitLine.child_id.in_(child_ids))
    stmt = (
        insert(HolidayGift)
        .from_select(
            [
                "id",
                "run_id",
                "child_id",
                "village_code",
                "town_code",
                "item",
                "value_fen",
                "created_at",
                "created_by",
            ],
            source,
        )
        .on_conflict_do_nothing(index_elements=["run_id", "child_id", "item"])
        .returning(HolidayGift.id)
    )
    return len((await session.execute(stmt)).all())


async def item_totals(session: AsyncSession, run_id: uuid.UUID, item: str) -> tuple[int, int]:
    stmt = select(func.count(), func.coalesce(func.sum(HolidayGift.value_fen), 0)).where(
        HolidayGift.run_id == run_id, HolidayGift.item == item
    )
    n, fen = (await session.execute(stmt)).one()
    return int(n), int(fen)


def gifts_stmt(readable: ColumnElement[bool], **filters: Any) -> Select[Any]:
    """The gifts of the children `readable` admits, with the child's name and the run's
    period; filters: `occasion`, `year`, `delivered`, `village_code`."""
    stmt = (
        select(
            HolidayGift,
            HolidayGift.id.label("gift_id"),
            Child.name.label("child_name"),
            BenefitRun.period,
        )
        .join(Child, Child.id == HolidayGift.child_id)
        .join(BenefitRun, BenefitRun.id == HolidayGift.run_id)
        .where(readable)
    )
    if filters.get("occasion") is not None:
        stmt = stmt.where(BenefitRun.period.startswith(f"{filters['occasion']}-"))
    if filters.get("year") is not None:
        stmt = stmt.where(BenefitRun.period.endswith(f"-{filters['year']}"))
    if filters.get("delivered") is not None:
        done = HolidayGift.delivered_at.is_not(None)
        stmt = stmt.where(done if filters["delivered"] else ~done)
    if filters.get("village_code") is not None:
        stmt = stmt.where(HolidayGift.village_code == filters["village_code"])
    return stmt


async def gift_page(
    session: AsyncSession, stmt: Select[Any], limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """One keyset page of `gifts_stmt` rows, by gift id, and the next cursor."""
    rows, nxt = await page_rows(session, stmt, HolidayGift.id, "gift_id", limit, cursor)
    return rows, nxt


async def readable_gift(
    session: AsyncSession, gift_id: uuid.UUID, readable: ColumnElement[bool], *, lock: bool
) -> Any | None:
    stmt = gifts_stmt(readable).where(HolidayGift.id == gift_id)
    if lock:
        stmt = stmt.with_for_update(of=HolidayGift)
    return (await session.execute(stmt)).first()
