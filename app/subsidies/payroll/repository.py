"""SQL of payroll runs: the run row (unique per month), lines by COPY, paid history, exports."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, Select, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.rows import one_where
from app.models import PayrollLine, PayrollRun

LINE_COLUMNS = (
    "payroll_id",
    "child_id",
    "kind",
    "for_month",
    "category",
    "town_code",
    "village_code",
    "amount_fen",
    "facts",
    "parameters",
    "payee",
    "reason",
    "original_line_id",
)
"""The order of a line record given to `copy_lines` (facts, parameters, payee as JSON text)."""


async def insert_run(session: AsyncSession, values: dict[str, Any]) -> uuid.UUID | None:
    """Create the district's run of the month; None when it already has one (the unique
    constraint decides, so concurrent callers queue on the first insert and then find it)."""
    stmt = (
        insert(PayrollRun)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["district_code", "month"])
        .returning(PayrollRun.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def run_by_month(
    session: AsyncSession, district: str | None, month: date, *, lock: bool = False
) -> PayrollRun | None:
    """The district's run of the month (None for no district: the city has no payroll)."""
    theirs = PayrollRun.district_code == district
    return await one_where(
        session, PayrollRun, PayrollRun.month == month, theirs, lock=lock, fresh=True
    )


async def update_run(session: AsyncSession, run_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(
        update(PayrollRun)
        .where(PayrollRun.id == run_id)
        .values(**values, version=PayrollRun.version + 1)
        .execution_options(synchronize_session=False)
    )


async def delete_lines(session: AsyncSession, run_id: uuid.UUID) -> None:
    await session.execute(delete(PayrollLine).where(PayrollLine.payroll_id == run_id))


async def copy_lines(session: AsyncSession, records: Iterable[tuple[Any, ...]]) -> None:
    """Bulk-load lines with COPY (asyncpg's binary copy), in the session's transaction."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_records_to_table(
        PayrollLine.__tablename__, records=list(records), columns=list(LINE_COLUMNS)
    )


async def earlier_draft(session: AsyncSession, district: str, month: date) -> date | None:
    stmt = (
        select(PayrollRun.month)
        .where(
            PayrollRun.district_code == district,
            PayrollRun.status == "draft",
            PayrollRun.month < month,
        )
        .order_by(PayrollRun.month)
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def approved_months_before(session: AsyncSession, district: str, month: date) -> list[date]:
    stmt = (
        select(PayrollRun.month)
        .where(
            PayrollRun.district_code == district,
            PayrollRun.status == "approved",
            PayrollRun.month < month,
        )
        .order_by(PayrollRun.month)
    )
    return list((await session.execute(stmt)).scalars().all())


async def paid_lines(
    session: AsyncSession,
    district: str,
    months: Sequence[date],
    current_run: uuid.UUID,
    current_month: date,
) -> Sequence[Row[Any]]:
    """Every line already paying one of `months`: in approved runs, or in drafts of months
    before the current run's (whose adjustments count as already due)."""
    if not months:
        return []
    stmt = (
        select(
            PayrollLine.id,
            PayrollLine.child_id,
            PayrollLine.for_month,
            PayrollLine.kind,
            PayrollLine.category,
            PayrollLine.amount_fen,
            PayrollLine.facts,
            PayrollLine.parameters,
        )
        .join(PayrollRun, PayrollRun.id == PayrollLine.payroll_id)
        .where(
            PayrollLine.for_month.in_(months),
            PayrollRun.district_code == district,
            PayrollRun.id != current_run,
            (PayrollRun.status == "approved") | (PayrollRun.month < current_month),
        )
        .order_by(PayrollLine.id)
    )
    return (await session.execute(stmt)).all()


def lines_stmt(run_id: uuid.UUID, kind: str | None, town_code: str | None) -> Select[Any]:
    stmt = select(PayrollLine).where(PayrollLine.payroll_id == run_id)
    if kind:
        stmt = stmt.where(PayrollLine.kind == kind)
    if town_code:
        stmt = stmt.where(PayrollLine.town_code == town_code)
    return stmt


async def export_rows(
    session: AsyncSession, run_id: uuid.UUID
) -> AsyncIterator[Sequence[Row[Any]]]:
    stmt = (
        select(
            PayrollLine.kind,
            PayrollLine.for_month,
            PayrollLine.category,
            PayrollLine.town_code,
            PayrollLine.amount_fen,
            PayrollLine.payee,
            PayrollLine.reason,
        )
        .where(PayrollLine.payroll_id == run_id)
        .order_by(PayrollLine.town_code.nulls_last(), PayrollLine.village_code, PayrollLine.id)
    )
    result = await session.stream(stmt.execution_options(yield_per=2000))
    async for rows in result.partitions(2000):
        yield rows
