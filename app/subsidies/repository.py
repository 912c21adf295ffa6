"""SQL of the subsidy domain (standards, budgets, claims, grant runs, spending, child reads)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Select, and_, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.children.access import readable
from app.kit.clock import DISTRICT_TZ
from app.models import (
    Area,
    BenefitLine,
    BenefitRun,
    Child,
    MedicalClaim,
    PayrollLine,
    PayrollRun,
    PlacementEntry,
    SubsidyBudget,
    SubsidyStandard,
)
from app.subsidies.standards.values import seed_rows

CHILD_COLUMNS = (
    Child.id,
    Child.name,
    Child.id_number_masked,
    Child.category,
    Child.birth_date,
    Child.approved_on,
    Child.revoked_on,
    Child.status,
    Child.school_stage,
    Child.school_enrolment_year,
    Child.school_expected_end_on,
    Child.placement,
    Child.village_code,
    Child.guardians,
)


# ----------------------------------------------------------------------------------- standards


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
    stmt = (
        insert(SubsidyStandard)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key", "effective_from"])
        .returning(SubsidyStandard)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def approved_months_from(session: AsyncSession, first: date) -> list[date]:
    stmt = (
        select(PayrollRun.month)
        .where(PayrollRun.status == "approved", PayrollRun.month >= first)
        .order_by(PayrollRun.month)
    )
    return list((await session.execute(stmt)).scalars().all())


async def draft_months_from(session: AsyncSession, first: date) -> list[date]:
    stmt = (
        select(PayrollRun.month)
        .where(PayrollRun.status == "draft", PayrollRun.month >= first)
        .order_by(PayrollRun.month)
    )
    return list((await session.execute(stmt)).scalars().all())


# -------------------------------------------------------------------------------------- children


async def readable_child(session: AsyncSession, principal: Principal, child_id: uuid.UUID) -> Any:
    stmt = select(*CHILD_COLUMNS).where(Child.id == child_id, readable(principal))
    return (await session.execute(stmt)).first()


async def child_row(session: AsyncSession, child_id: uuid.UUID) -> Any:
    return (await session.execute(select(*CHILD_COLUMNS).where(Child.id == child_id))).first()


async def stream_children(
    session: AsyncSession, *where: Any, partition: int = 5000
) -> AsyncIterator[Sequence[Row[Any]]]:
    """Every child row matching `where`, in partitions (server-side cursor)."""
    stmt = select(*CHILD_COLUMNS).where(*where).order_by(Child.id)
    result = await session.stream(stmt.execution_options(yield_per=partition))
    async for rows in result.partitions(partition):
        yield rows


def active_on_clause(day: date) -> Any:
    """In the ledger on `day` (the rules decide; this only narrows the rows read)."""
    return and_(Child.approved_on <= day, or_(Child.revoked_on.is_(None), Child.revoked_on > day))


async def town_names(session: AsyncSession) -> dict[str, str]:
    stmt = select(Area.code, Area.name).where(Area.level == "town")
    return {code: name for code, name in (await session.execute(stmt)).all()}


# ----------------------------------------------------------------------------------- benefit runs


async def insert_benefit_run(session: AsyncSession, values: dict[str, Any]) -> uuid.UUID | None:
    stmt = (
        insert(BenefitRun)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["benefit", "period"])
        .returning(BenefitRun.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def benefit_run(
    session: AsyncSession, benefit: str, period: str, *, lock: bool = False
) -> BenefitRun | None:
    stmt = select(BenefitRun).where(BenefitRun.benefit == benefit, BenefitRun.period == period)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def add_benefit_lines(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 2000):
        await session.execute(insert(BenefitLine), rows[start : start + 2000])


def benefit_lines_stmt(run_id: uuid.UUID) -> Select[Any]:
    return select(BenefitLine).where(BenefitLine.run_id == run_id)


# -------------------------------------------------------------------------------- medical claims


def claims_stmt(
    principal: Principal, child_id: uuid.UUID | None, status: str | None
) -> Select[Any]:
    stmt = (
        select(MedicalClaim)
        .join(Child, Child.id == MedicalClaim.child_id)
        .where(readable(principal))
    )
    if child_id is not None:
        stmt = stmt.where(MedicalClaim.child_id == child_id)
    if status is not None:
        stmt = stmt.where(MedicalClaim.status == status)
    return stmt


async def readable_claim(
    session: AsyncSession, principal: Principal, claim_id: uuid.UUID, *, lock: bool = False
) -> MedicalClaim | None:
    stmt = claims_stmt(principal, None, None).where(MedicalClaim.id == claim_id)
    if lock:
        stmt = stmt.with_for_update(of=MedicalClaim)
    return (await session.execute(stmt)).scalar_one_or_none()


# ------------------------------------------------------------------------------ budget, spending


async def insert_budget(session: AsyncSession, values: dict[str, Any]) -> SubsidyBudget | None:
    stmt = (
        insert(SubsidyBudget)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["year"])
        .returning(SubsidyBudget)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def budget(session: AsyncSession, year: int) -> SubsidyBudget | None:
    return await session.get(SubsidyBudget, year)


def _local_month(col: Any) -> Any:
    return func.to_char(func.timezone("Asia/Shanghai", col), "YYYY-MM")


async def spending_rows(session: AsyncSession, year: int) -> list[tuple[str, str, int]]:
    """(benefit, month "YYYY-MM", fen) for what was paid in `year`.

    Living allowance: the lines of approved payrolls, by payroll month; medical claims and
    placements: by the month they were paid; grant and holiday runs: by the month they were
    approved (a draft run is not spent).
    """
    first, last = date(year, 1, 1), date(year, 12, 31)
    start = datetime(year, 1, 1, tzinfo=DISTRICT_TZ)
    end = datetime(year + 1, 1, 1, tzinfo=DISTRICT_TZ)
    queries: list[Select[Any]] = [
        select(
            text("'living_allowance'"),
            func.to_char(PayrollRun.month, "YYYY-MM"),
            func.sum(PayrollLine.amount_fen),
        )
        .join(PayrollRun, PayrollRun.id == PayrollLine.payroll_id)
        .where(PayrollRun.status == "approved", PayrollRun.month.between(first, last))
        .group_by(PayrollRun.month),
        select(
            text("'medical_reimbursement'"),
            _local_month(MedicalClaim.paid_at),
            func.sum(MedicalClaim.reimbursable_fen),
        )
        .where(
            MedicalClaim.status == "paid",
            MedicalClaim.paid_at >= start,
            MedicalClaim.paid_at < end,
        )
        .group_by(text("2")),
        select(
            BenefitRun.benefit, _local_month(BenefitRun.approved_at), func.sum(BenefitRun.total_fen)
        )
        .where(
            BenefitRun.status == "approved",
            BenefitRun.approved_at >= start,
            BenefitRun.approved_at < end,
        )
        .group_by(text("1, 2")),
        select(
            text("'adult_orphan_placement'"),
            _local_month(PlacementEntry.paid_at),
            func.sum(PlacementEntry.subsidy_fen),
        )
        .where(
            PlacementEntry.status == "paid",
            PlacementEntry.paid_at >= start,
            PlacementEntry.paid_at < end,
        )
        .group_by(text("2")),
    ]
    out: list[tuple[str, str, int]] = []
    for stmt in queries:
        for benefit, month, fen in (await session.execute(stmt)).all():
            out.append((str(benefit), str(month), int(fen or 0)))
    return out
