"""Premiums 保费 the bureau paid, by scheme, against the year's classified-support budget.

(rule we set) The premiums of an insurance year's enrolments (status enrolled) count in that
year's subsidy spending under the medical heading `medical_insurance` (医疗保险参保), in the
month the cover was confirmed (January for a cover confirmed before the year began); they are
part of `spent` against the one budget (`/api/v1/subsidy/spending`).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.insurance import repository as repo
from app.insurance.schemas import PremiumsOut
from app.insurance.service import SCHEME_ZH
from app.kit.context import RequestContext
from app.kit.money import from_fen
from app.subsidies.budget import repository as budget_repo
from app.subsidies.budget.service import share_of_budget, spending


async def premiums(session: AsyncSession, ctx: RequestContext, year: int) -> PremiumsOut:
    district = ctx.actor.district_code or ""  # the caller's own district's
    by_scheme = await repo.premiums(session, year, district)
    total = sum(fen for _, fen in by_scheme.values())
    budget = await budget_repo.budget(session, district, year)
    spent = await spending(session, year, district)
    share = share_of_budget(total, budget)
    return PremiumsOut.model_validate(
        {
            "year": year,
            "budget": from_fen(budget.amount_fen) if budget else None,
            "spent": spent.spent,
            "premiums": from_fen(total),
            "share_of_budget": share,
            "remaining": spent.remaining,
            "by_scheme": [
                {
                    "scheme": s,
                    "scheme_zh": zh,
                    "enrolled": by_scheme.get(s, (0, 0))[0],
                    "premiums": from_fen(by_scheme.get(s, (0, 0))[1]),
                }
                for s, zh in SCHEME_ZH.items()
            ],
        }
    )
