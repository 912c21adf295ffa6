"""分类保障支出: the year's budget (once per year) and what was paid against it."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Forbidden
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.money import from_fen, to_fen
from app.kit.records import out_of
from app.models import SubsidyBudget
from app.programmes.aid.service import federation_fund
from app.subsidies.budget import repository as repo
from app.subsidies.errors import BudgetExists
from app.subsidies.runs.service import BENEFIT_ZH
from app.subsidies.schemas import BudgetOut, SpendingOut

# The spending's headings: the benefits, and the premiums of the insurance enrolments.
HEADING_ZH = BENEFIT_ZH | {"medical_insurance": "医疗保险参保（保费）"}


async def create_budget(
    session: AsyncSession, ctx: RequestContext, year: int, amount: Decimal, reference: str | None
) -> BudgetOut:
    if ctx.actor.district_code is None:
        raise Forbidden("预算由区级设定", "A budget is set by a district")
    row = await repo.insert_budget(
        session,
        {
            "district_code": ctx.actor.district_code,
            "year": year,
            "amount_fen": to_fen(amount),
            "reference": reference,
            "created_by": ctx.actor.name,
        },
    )
    if row is None:
        raise BudgetExists(f"{year} 年度预算已存在", f"The {year} budget already exists")
    audit.record(
        session,
        ctx,
        "subsidy_budget.create",
        "subsidy_budget",
        year,
        {"amount_fen": row.amount_fen},
    )
    return out_of(BudgetOut, row, amount=from_fen(row.amount_fen))


def share_of_budget(fen: int, budget: SubsidyBudget | None) -> str | None:
    """`fen` as a share of the year's budget, four decimals (None without a budget)."""
    if budget is None or budget.amount_fen <= 0:
        return None
    share = Decimal(fen) / Decimal(budget.amount_fen)
    return str(share.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


async def spending(session: AsyncSession, year: int, district: str | None = None) -> SpendingOut:
    """分类保障支出: what was paid in `year` by benefit and month, against the year's budget
    (a district's own spending when `district` is given)."""
    rows = await repo.spending_rows(session, year, district)
    by_benefit: dict[str, int] = dict.fromkeys(HEADING_ZH, 0)
    by_month: dict[str, dict[str, int]] = defaultdict(dict)
    for benefit, month, fen in rows:
        by_benefit[benefit] += fen
        by_month[month][benefit] = by_month[month].get(benefit, 0) + fen
    spent = sum(by_benefit.values())
    budget = await repo.budget(session, district, year)
    share = share_of_budget(spent, budget)
    return SpendingOut.model_validate(
        {
            "year": year,
            "budget": from_fen(budget.amount_fen) if budget else None,
            "spent": from_fen(spent),
            "remaining": from_fen(budget.amount_fen - spent) if budget else None,
            "share_spent": share,
            "by_benefit": [
                {"benefit": b, "benefit_zh": HEADING_ZH[b], "amount": from_fen(fen)}
                for b, fen in by_benefit.items()
            ],
            "partner_funds": await _partner_funds(session, year, district),
            "by_month": [
                {
                    "month": month,
                    "amounts": {b: from_fen(fen) for b, fen in amounts.items()},
                    "total": from_fen(sum(amounts.values())),
                }
                for month, amounts in sorted(by_month.items())
            ],
        }
    )


async def _partner_funds(
    session: AsyncSession, year: int, district: str | None
) -> list[dict[str, Any]]:
    """教育帮扶: the women's federation's education aid disbursed in `year`, its own fund (of
    `district`'s rounds when given)."""
    children, fen = await federation_fund(session, year, district)
    return [
        {
            "fund": "women_federation_education_aid",
            "fund_zh": "区妇联春蕾女童及困境男童教育帮扶资金",
            "partner": "women_federation",
            "children": children,
            "amount": from_fen(fen),
        }
    ]
