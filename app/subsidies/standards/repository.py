"""SQL of the subsidy standards (补贴标准) and the payroll months they reach."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, or_, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import PayrollRun, SubsidyStandard
from app.subsidies.standards.values import seed_rows

# One city-wide value per key and date (district_code NULL, NULLS NOT DISTINCT), and one per
# key, date and district for the districts' overrides.
_UNIQUE = "uq_subsidy_standards_key_effective_from_district_code"


def for_district(district_code: str | None) -> Any:
    """The rows that apply to a district: the city-wide values and the district's overrides
    (None: the city-wide values only)."""
    if district_code is None:
        return SubsidyStandard.district_code.is_(None)
    return or_(
        SubsidyStandard.district_code.is_(None), SubsidyStandard.district_code == district_code
    )


async def ensure_seeded(session: AsyncSession) -> None:
    """Insert the seed values of parameters.yaml that are missing (idempotent)."""
    stmt = insert(SubsidyStandard).values(seed_rows())
    await session.execute(stmt.on_conflict_do_nothing(constraint=_UNIQUE))


async def all_standards(
    session: AsyncSession, district_code: str | None = None
) -> Sequence[SubsidyStandard]:
    """The city-wide values and `district_code`'s overrides, by key and date."""
    stmt = (
        select(SubsidyStandard)
        .where(for_district(district_code))
        .order_by(SubsidyStandard.key, SubsidyStandard.effective_from)
    )
    return (await session.execute(stmt)).scalars().all()


async def any_standard(session: AsyncSession) -> bool:
    return (await session.execute(select(SubsidyStandard.id).limit(1))).first() is not None


def list_standards_stmt(
    district_code: str | None, every_district: bool, key: str | None
) -> Select[Any]:
    """The standards a caller reads: the city-wide ones and its district's overrides (the
    city's roles: every district's overrides too)."""
    stmt = select(SubsidyStandard).where(true() if every_district else for_district(district_code))
    if key:
        stmt = stmt.where(SubsidyStandard.key == key)
    return stmt


async def insert_standard(session: AsyncSession, values: dict[str, Any]) -> SubsidyStandard | None:
    """Append a value; None when the key already has one from that date."""
    stmt = (
        insert(SubsidyStandard)
        .values(**values)
        .on_conflict_do_nothing(constraint=_UNIQUE)
        .returning(SubsidyStandard)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def payroll_months_from(
    session: AsyncSession, status: str, first: date, district_code: str | None
) -> list[date]:
    """The months from `first` on whose payroll has `status` (approved: paid; draft): the
    district's payrolls for its override, every district's for a city-wide value (None)."""
    stmt = (
        select(PayrollRun.month)
        .where(PayrollRun.status == status, PayrollRun.month >= first)
        .group_by(PayrollRun.month)
        .order_by(PayrollRun.month)
    )
    if district_code is not None:
        stmt = stmt.where(PayrollRun.district_code == district_code)
    return list((await session.execute(stmt)).scalars().all())
