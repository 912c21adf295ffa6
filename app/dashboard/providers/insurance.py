"""医疗保险参保: coverage per scheme for the selected month's insurance year, and the premiums
against the year's budget.

Written against the insurance domain's `insurance_schemes` (the parameters in force today),
`insurance_enrolments` (`status`, `premium_fen`) and its `eligible_clause` (on the ledger, a
covered category, under 18 on 1 January): per scheme, the children eligible in the scope, how
many are enrolled, settled otherwise (submitted, not required) and still due. The premiums and
the budget are the district's: on a town's dashboard they are null.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard.providers.common import in_scope
from app.dashboard.sections import Scope, section
from app.insurance import repository as repo
from app.insurance.service import SCHEME_ZH
from app.kit.money import format_money, from_fen
from app.models import Child, InsuranceEnrolment, SubsidyBudget


def _share(part: int, whole: int) -> str | None:
    if whole <= 0:
        return None
    return str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP))


@section("insurance", order=72)
async def insurance(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    year = scope.month.year
    e = InsuranceEnrolment
    mine = in_scope(scope, Child.village_code)
    schemes = []
    for scheme, zh in SCHEME_ZH.items():
        params = await repo.scheme_in_force(session, scheme, year, scope.today)
        if params is None:
            schemes.append({"scheme": scheme, "scheme_zh": zh, "parameters_set": False})
            continue
        eligible = repo.eligible_clause(params.categories, year)
        total = (
            await session.execute(select(func.count()).select_from(Child).where(mine, eligible))
        ).scalar_one()
        rows = await session.execute(
            select(e.status, func.count())
            .join(Child, Child.id == e.child_id)
            .where(mine, eligible, e.scheme == scheme, e.year == year)
            .group_by(e.status)
        )
        counts = {status: int(n) for status, n in rows.tuples()}
        enrolled = int(counts.get("enrolled", 0))
        settled = enrolled + int(counts.get("submitted", 0)) + int(counts.get("not_required", 0))
        schemes.append(
            {
                "scheme": scheme,
                "scheme_zh": zh,
                "parameters_set": True,
                "eligible": int(total),
                "enrolled": enrolled,
                "submitted": int(counts.get("submitted", 0)),
                "not_required": int(counts.get("not_required", 0)),
                "due": max(int(total) - settled, 0),
                "coverage": _share(enrolled, int(total)),
            }
        )
    premiums = budget = share = None
    if scope.is_district:
        fen = sum(f for _, f in (await repo.premiums(session, year, scope.area_code)).values())
        budget_fen = (
            await session.execute(
                select(SubsidyBudget.amount_fen).where(
                    SubsidyBudget.district_code == scope.area_code, SubsidyBudget.year == year
                )
            )
        ).scalar_one_or_none()
        premiums = format_money(from_fen(fen))
        budget = format_money(from_fen(budget_fen)) if budget_fen is not None else None
        share = _share(fen, budget_fen) if budget_fen else None
    return {
        "year": year,
        "schemes": schemes,
        "premiums": premiums,
        "budget": budget,
        "premiums_share_of_budget": share,
    }
