"""分类保障支出: subsidy spending year-to-date by benefit, against the year's budget.

Written against the subsidy domain's `subsidy_budgets` (`year`, `amount_fen`),
`subsidy_payrolls` (`month`, `status`) + `subsidy_payroll_lines` (`payroll_id`, `amount_fen`),
`subsidy_medical_claims` (`status` paid, `paid_at`, `reimbursable_fen`), `subsidy_benefit_runs`
(`benefit`, `created_at`, `total_fen`) and `placement_entries` (`status` paid, `paid_at`,
`subsidy_fen`) — the same rules as its `GET /subsidy/spending` (living allowance by approved
payroll month; claims and placements by the month paid; grant and holiday runs by the month
run; insurance premiums by the month their cover was confirmed, app/insurance/premiums.py), cut
at the end of the selected month. The budget is the district's: district scope only.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard.sections import Scope, section
from app.insurance.repository import premium_spending
from app.kit.clock import DISTRICT_TZ
from app.kit.money import format_money, from_fen
from app.models import (
    BenefitRun,
    Child,
    MedicalClaim,
    PayrollLine,
    PayrollRun,
    PlacementEntry,
    SubsidyBudget,
)
from app.subsidies.budget.service import HEADING_ZH

BUDGETS = SubsidyBudget.__table__
PAYROLLS = PayrollRun.__table__
LINES = PayrollLine.__table__
CLAIMS = MedicalClaim.__table__
RUNS = BenefitRun.__table__
PLACEMENTS = PlacementEntry.__table__


@section(
    "subsidies",
    order=70,
    cache_seconds=60,
    district_only=True,
)
async def subsidies(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    year = scope.month.year
    fen = await _spent_by_benefit(session, scope)
    budget_fen = (
        await session.execute(
            select(BUDGETS.c.amount_fen).where(
                BUDGETS.c.district_code == scope.area_code, BUDGETS.c.year == year
            )
        )
    ).scalar_one_or_none()
    spent = sum(fen.values())
    share = None
    if budget_fen:
        share = _share(Decimal(spent) / Decimal(budget_fen))
    # Where an even spend would stand by the end of the selected month.
    expected = _share(Decimal(scope.month.month) / 12)
    return {
        "year": year,
        "through_month": scope.month.strftime("%Y-%m"),
        "budget": format_money(from_fen(budget_fen)) if budget_fen is not None else None,
        "spent": format_money(from_fen(spent)),
        "remaining": format_money(from_fen(budget_fen - spent)) if budget_fen is not None else None,
        "share_spent": share,
        "share_of_year_elapsed": expected,
        "by_benefit": [
            {"benefit": b, "benefit_zh": zh, "amount": format_money(from_fen(fen.get(b, 0)))}
            for b, zh in HEADING_ZH.items()
        ],
    }


def _share(fraction: Decimal) -> str:
    return str(fraction.quantize(Decimal("0.0001"), ROUND_HALF_UP))


def _district_children(scope: Scope) -> Any:
    return select(Child.id).where(Child.district_code == scope.area_code)


async def _spent_by_benefit(session: AsyncSession, scope: Scope) -> dict[str, int]:
    """Fen spent from 1 January to the end of the selected month, by benefit."""
    year = scope.month.year
    first = date(year, 1, 1)
    start = datetime(year, 1, 1, tzinfo=DISTRICT_TZ)
    end = datetime.combine(scope.month_end + timedelta(days=1), datetime.min.time(), DISTRICT_TZ)
    fen = dict.fromkeys(HEADING_ZH, 0)
    fen["living_allowance"] = int(
        (
            await session.execute(
                select(func.coalesce(func.sum(LINES.c.amount_fen), 0))
                .join(PAYROLLS, PAYROLLS.c.id == LINES.c.payroll_id)
                .where(
                    PAYROLLS.c.district_code == scope.area_code,
                    PAYROLLS.c.status == "approved",
                    PAYROLLS.c.month.between(first, scope.month),
                )
            )
        ).scalar_one()
    )
    fen["medical_reimbursement"] = int(
        (
            await session.execute(
                select(func.coalesce(func.sum(CLAIMS.c.reimbursable_fen), 0)).where(
                    CLAIMS.c.status == "paid",
                    CLAIMS.c.paid_at >= start,
                    CLAIMS.c.paid_at < end,
                    CLAIMS.c.child_id.in_(_district_children(scope)),
                )
            )
        ).scalar_one()
    )
    for benefit, total in (
        await session.execute(
            select(RUNS.c.benefit, func.sum(RUNS.c.total_fen))
            .where(
                RUNS.c.district_code == scope.area_code,
                RUNS.c.created_at >= start,
                RUNS.c.created_at < end,
            )
            .group_by(RUNS.c.benefit)
        )
    ).tuples():
        fen[str(benefit)] = fen.get(str(benefit), 0) + int(total or 0)
    fen["adult_orphan_placement"] = int(
        (
            await session.execute(
                select(func.coalesce(func.sum(PLACEMENTS.c.subsidy_fen), 0)).where(
                    PLACEMENTS.c.status == "paid",
                    PLACEMENTS.c.paid_at >= start,
                    PLACEMENTS.c.paid_at < end,
                    PLACEMENTS.c.child_id.in_(_district_children(scope)),
                )
            )
        ).scalar_one()
    )
    through = scope.month.strftime("%Y-%m")
    for _, month, total in (await session.execute(premium_spending(year))).tuples():
        if month <= through:
            fen["medical_insurance"] += int(total or 0)
    return fen
