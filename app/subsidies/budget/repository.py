"""SQL of the year's budget and the spending against it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.insurance.repository import premium_spending
from app.kit.clock import DISTRICT_TZ
from app.kit.rows import insert_unless_exists
from app.models import (
    BenefitLine,
    BenefitRun,
    Child,
    InsuranceEnrolment,
    MedicalClaim,
    PayrollLine,
    PayrollRun,
    PlacementEntry,
    SubsidyBudget,
)


async def insert_budget(session: AsyncSession, values: dict[str, Any]) -> SubsidyBudget | None:
    return await insert_unless_exists(session, SubsidyBudget, values, ("district_code", "year"))


async def budget(session: AsyncSession, district: str | None, year: int) -> SubsidyBudget | None:
    """The district's budget of the year (None above the districts)."""
    if district is None:
        return None
    return await session.get(SubsidyBudget, (district, year))


def _local_month(col: Any) -> Any:
    return func.to_char(func.timezone("Asia/Shanghai", col), "YYYY-MM")


class _Year:
    """The bounds of a calendar year: its days, and its moments in the district."""

    def __init__(self, year: int) -> None:
        self.first, self.last = date(year, 1, 1), date(year, 12, 31)
        self.start = datetime(year, 1, 1, tzinfo=DISTRICT_TZ)
        self.end = datetime(year + 1, 1, 1, tzinfo=DISTRICT_TZ)


def _of_district(district: str | None) -> Callable[[Any], Any]:
    """The clause "this child is of `district`" on a child id column (always true above it)."""

    def of(child_id: Any) -> Any:
        if district is None:
            return true()
        return child_id.in_(select(Child.id).where(Child.district_code == district))

    return of


def _payroll_spending(span: _Year, district: str | None) -> Select[Any]:
    """Living allowance: the lines of approved payrolls, by payroll month."""
    return (
        select(
            text("'living_allowance'"),
            func.to_char(PayrollRun.month, "YYYY-MM"),
            func.sum(PayrollLine.amount_fen),
        )
        .join(PayrollRun, PayrollRun.id == PayrollLine.payroll_id)
        .where(
            PayrollRun.status == "approved",
            PayrollRun.month.between(span.first, span.last),
            true() if district is None else PayrollRun.district_code == district,
        )
        .group_by(PayrollRun.month)
    )


def _paid_spending(
    span: _Year, of: Callable[[Any], Any], benefit: str, row: Any, fen: Any
) -> Select[Any]:
    """Medical claims and placements of adult orphans, by the month they were paid."""
    return (
        select(text(f"'{benefit}'"), _local_month(row.paid_at), func.sum(fen))
        .where(
            row.status == "paid",
            row.paid_at >= span.start,
            row.paid_at < span.end,
            of(row.child_id),
        )
        .group_by(text("2"))
    )


def _run_spending(span: _Year, district: str | None, of: Callable[[Any], Any]) -> Select[Any]:
    """Grant and holiday runs, by the month they were approved (a draft run is not spent);
    within a district, the lines of its children."""
    runs: Select[Any] = (
        select(
            BenefitRun.benefit, _local_month(BenefitRun.approved_at), func.sum(BenefitRun.total_fen)
        )
        if district is None
        else select(
            BenefitRun.benefit,
            _local_month(BenefitRun.approved_at),
            func.sum(BenefitLine.amount_fen),
        )
        .join(BenefitLine, BenefitLine.run_id == BenefitRun.id)
        .where(of(BenefitLine.child_id))
    )
    return runs.where(
        BenefitRun.status == "approved",
        BenefitRun.approved_at >= span.start,
        BenefitRun.approved_at < span.end,
    ).group_by(text("1, 2"))


async def spending_rows(
    session: AsyncSession, year: int, district: str | None = None
) -> list[tuple[str, str, int]]:
    """(benefit, month "YYYY-MM", fen) for what was paid in `year` (by `district`'s children
    and runs when given, else the whole deployment's).

    Living allowance: the lines of approved payrolls, by payroll month; medical claims and
    placements: by the month they were paid; insurance premiums: the year's enrolments, by the
    month their cover was confirmed; grant and holiday runs: by the month they were
    approved (a draft run is not spent).
    """
    span, of = _Year(year), _of_district(district)
    queries: list[Select[Any]] = [
        _payroll_spending(span, district),
        _paid_spending(
            span, of, "medical_reimbursement", MedicalClaim, MedicalClaim.reimbursable_fen
        ),
        _run_spending(span, district, of),
        _paid_spending(
            span, of, "adult_orphan_placement", PlacementEntry, PlacementEntry.subsidy_fen
        ),
        # 医疗保险参保: the premiums of the year's enrolments (app/insurance/premiums.py).
        premium_spending(year).where(of(InsuranceEnrolment.child_id)),
    ]
    out: list[tuple[str, str, int]] = []
    for stmt in queries:
        for benefit, month, fen in (await session.execute(stmt)).all():
            out.append((str(benefit), str(month), int(fen or 0)))
    return out
