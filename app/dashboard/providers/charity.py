"""慈善项目资金: projects open (submitted, forwarded, approved and not yet reported), funds
approved, disbursed and spent, and the approved projects whose period has ended without a
final report (the overdue list, after CHARITY_REPORT_GRACE_DAYS, is the charity route's).

Written against the charity domain's `charity_applications` (`status`, `approved_fen`,
`disbursed_fen`, `spent_fen`, `period_to`, `applicant_area_code`); a town's dashboard counts
the town's own applications, the district's every one. Amounts are decimal strings.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard.providers.common import in_scope
from app.dashboard.sections import Scope, section
from app.kit.money import format_money, from_fen
from app.models import CHARITY_STATUSES, CharityApplication

OPEN = ("submitted", "forwarded", "approved")


@section("charity", order=95)
async def charity(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    a = CharityApplication
    mine = in_scope(scope, a.applicant_area_code)
    rows = (
        await session.execute(
            select(
                a.status,
                func.count(),
                func.coalesce(func.sum(a.approved_fen), 0),
                func.coalesce(func.sum(a.disbursed_fen), 0),
                func.coalesce(func.sum(a.spent_fen), 0),
            )
            .where(mine)
            .group_by(a.status)
        )
    ).tuples()
    by_status = dict.fromkeys(CHARITY_STATUSES, 0)
    approved = disbursed = spent = 0
    for status, n, ap, di, sp in rows:
        by_status[status] = int(n)
        approved += int(ap or 0)
        disbursed += int(di or 0)
        spent += int(sp or 0)
    ended = (
        await session.execute(
            select(func.count()).where(mine, a.status == "approved", a.period_to < scope.today)
        )
    ).scalar_one()
    return {
        "open": sum(by_status[s] for s in OPEN),
        "by_status": by_status,
        "approved": format_money(from_fen(approved)),
        "disbursed": format_money(from_fen(disbursed)),
        "spent_reported": format_money(from_fen(spent)),
        "awaiting_final_report": int(ended),
    }
