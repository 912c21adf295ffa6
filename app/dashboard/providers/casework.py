"""精准帮扶 and 监测摸排转介: case work by contracted agencies, and screening referrals.

Written against the case-work domain's `cases` (`status` open|assessed|in_service|closed,
`area_code` the child's village, `next_review_due`, `closed_on`), `case_services`
(`agency_id`, `served_on`, `minutes`), `casework_agencies` (`hours_bought`,
`hourly_rate_fen`), and the screening referrals in `referrals` (`screening_record_id`,
`finding`, `status`, `outcome`, `ack_due_at`, `escalated_at`) with their record's `town_code`.
No child is named: the case and referral APIs decide who sees that.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.mandate import CLOSED_REFERRAL_STATUSES
from app.casework.rules import hours, month_invoice
from app.dashboard.providers.common import in_scope
from app.dashboard.sections import Scope, section
from app.kit.money import format_money
from app.models import (
    CASE_STATUSES,
    Case,
    CaseService,
    CaseworkAgency,
    Referral,
    ScreeningRecord,
)
from app.screening.referrals.findings import ANY_FINDING, FINDINGS


@section("casework", order=47)
async def casework(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    mine = in_scope(scope, Case.area_code)
    by_status = dict.fromkeys(CASE_STATUSES, 0)
    for status, n in (
        await session.execute(select(Case.status, func.count()).where(mine).group_by(Case.status))
    ).tuples():
        by_status[status] = int(n)
    overdue = (
        await session.execute(
            select(func.count()).where(
                mine, Case.status == "in_service", Case.next_review_due < scope.today
            )
        )
    ).scalar_one()
    return {
        "by_status": by_status,
        "open": sum(n for s, n in by_status.items() if s != "closed"),
        "reviews_overdue": int(overdue),
        "agencies": await _agencies(session, scope) if scope.is_district else [],
    }


async def _agencies(session: AsyncSession, scope: Scope) -> list[dict[str, Any]]:
    """Each agency's month so far: hours against the contract and the invoice (rules)."""
    month = func.sum(CaseService.minutes).filter(
        CaseService.served_on >= scope.month, CaseService.served_on <= scope.month_end
    )
    before = func.sum(CaseService.minutes).filter(CaseService.served_on < scope.month)
    rows = (
        await session.execute(
            select(
                CaseworkAgency.id,
                CaseworkAgency.name,
                CaseworkAgency.hours_bought,
                CaseworkAgency.hourly_rate_fen,
                func.coalesce(month, 0),
                func.coalesce(before, 0),
            )
            .outerjoin(
                CaseService,
                and_(
                    CaseService.agency_id == CaseworkAgency.id,
                    CaseService.served_on >= CaseworkAgency.contract_from,
                ),
            )
            .where(
                CaseworkAgency.contract_from <= scope.month_end,
                CaseworkAgency.contract_to >= scope.month,
            )
            .group_by(CaseworkAgency.id)
            .order_by(CaseworkAgency.name)
        )
    ).tuples()
    out = []
    for aid, name, bought, rate, minutes, earlier in rows:
        invoice = month_invoice(
            minutes_in_month=int(minutes),
            minutes_before=int(earlier),
            hours_bought=bought,
            hourly_rate_fen=rate,
        )
        out.append(
            {
                "id": str(aid),
                "name": name,
                "hours_bought": bought,
                "hours_delivered_month": str(hours(int(minutes))),
                "hours_delivered_to_date": str(hours(int(minutes) + int(earlier))),
                "invoice_amount_month": format_money(invoice.invoice_amount),
            }
        )
    return out


@section("screening_referrals", order=65)
async def screening_referrals(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    r = Referral
    town = in_scope(scope, ScreeningRecord.town_code, district_includes_null=False)
    base = (
        select(r.finding, r.status, r.outcome, r.ack_due_at, r.escalated_at)
        .join(ScreeningRecord, ScreeningRecord.id == r.screening_record_id)
        .where(town)
        .subquery()
    )
    closed = base.c.status.in_(CLOSED_REFERRAL_STATUSES)
    resolved = and_(closed, or_(base.c.outcome.is_(None), base.c.outcome.not_in(ANY_FINDING)))
    by_finding = {f: {"referred": 0, "open": 0, "resolved": 0} for f in FINDINGS}
    for finding, n, o, res in (
        await session.execute(
            select(
                base.c.finding,
                func.count(),
                func.count().filter(~closed),
                func.count().filter(resolved),
            ).group_by(base.c.finding)
        )
    ).tuples():
        by_finding[finding] = {"referred": int(n), "open": int(o), "resolved": int(res)}
    overdue, escalated = (
        await session.execute(
            select(
                func.count().filter(base.c.status == "pending", base.c.ack_due_at <= scope.now),
                func.count().filter(~closed, base.c.escalated_at.is_not(None)),
            )
        )
    ).one()
    return {
        "by_finding": by_finding,
        "unacknowledged_overdue": int(overdue),
        "escalated_open": int(escalated),
    }
