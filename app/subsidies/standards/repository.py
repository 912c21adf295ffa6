"""SQL of the subsidy standards (补贴标准) and the payroll months they reach."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.rows import insert_unless_exists
from app.models import PayrollRun, SubsidyStandard
from app.subsidies.standards.values import seed_rows


async def ensure_seeded(session: AsyncSession) -> None:
    """Insert the seed values of parameters.yaml that are missing (idempotent)."""
    stmt = insert(SubsidyStandard).values(seed_rows())
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["key", "effective_from"]))


async def all_standards(session: AsyncSession) -> Sequence[SubsidyStandard]:
    stmt = select(SubsidyStandard).order_by(SubsidyStandard.key, SubsidyStandard.effective_from)
    return (await session.execute(stmt)).scalars().all()


def list_standards_stmt(key: str | None) -> Select[Any]:
    stmt = select(SubsidyStandard)
    if key:
        stmt = stmt.where(SubsidyStandard.key == key)
    return stmt


async def insert_standard(session: AsyncSession, values: dict[str, Any]) -> SubsidyStandard | None:
    """Append a value; None when the key already has one from that date."""
    return await insert_unless_exists(session, SubsidyStandard, values, ("key", "effective_from"))


async def payroll_months_from(session: AsyncSession, status: str, first: date) -> list[date]:
    """The months from `first` on whose payroll has `status` (approved: paid; draft)."""
    stmt = (
        select(PayrollRun.month)
        .where(PayrollRun.status == status, PayrollRun.month >= first)
        .order_by(PayrollRun.month)
    )
    return list((await session.execute(stmt)).scalars().all())
