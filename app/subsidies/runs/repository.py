"""SQL of the education-grant and holiday runs (助学金, 节日慰问)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.rows import one_where
from app.models import BenefitLine, BenefitRun


async def insert_benefit_run(session: AsyncSession, values: dict[str, Any]) -> uuid.UUID | None:
    stmt = (
        insert(BenefitRun)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["district_code", "benefit", "period"])
        .returning(BenefitRun.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def benefit_run(
    session: AsyncSession, district: str | None, benefit: str, period: str, *, lock: bool = False
) -> BenefitRun | None:
    """The district's run of `benefit` for `period` (None for no district: the city has none)."""
    return await one_where(
        session,
        BenefitRun,
        BenefitRun.district_code == district,
        BenefitRun.benefit == benefit,
        BenefitRun.period == period,
        lock=lock,
    )


async def add_benefit_lines(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 2000):
        await session.execute(insert(BenefitLine), rows[start : start + 2000])


def benefit_lines_stmt(run_id: uuid.UUID) -> Select[Any]:
    return select(BenefitLine).where(BenefitLine.run_id == run_id)
