"""Care programmes with partners (issue 24): 教育帮扶 aid paid, 节日礼品 gifts delivered, 社区活动
activities held — the year of the selected month, through its last day, in the scope's area.

Written against the programmes' own tables: `aid_applications` (`status`, `programme`,
`amount_fen`, `town_code`, `disbursed_at`), `holiday_gifts` (`village_code`, `value_fen`,
`delivered_on`) with their run's period (`subsidy_benefit_runs.period` "<occasion>-<year>"),
and `community_activities` (`village_code`, `held_on`, `child_ids`, `others`); the children
without an activity are `app.programmes.activities.repository.took_part_in`'s complement among
the active dispersed children of the area. The education aid is the women's federation's fund:
it is not in the subsidies section's spending.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard.providers.common import in_scope
from app.dashboard.sections import Scope, section
from app.kit.clock import DISTRICT_TZ
from app.kit.money import format_money, from_fen
from app.models import AidApplication, AidRound, BenefitRun, Child, CommunityActivity, HolidayGift
from app.programmes.activities.repository import took_part_in
from app.programmes.aid.schemas import PROGRAMME_ZH


def _money(fen: int) -> str:
    return format_money(from_fen(fen))


def _year(scope: Scope) -> tuple[date, date]:
    return date(scope.month.year, 1, 1), scope.month_end


@section("education_aid", order=80)
async def education_aid(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    """教育帮扶: the aid disbursed this year through the month, by programme."""
    first, last = _year(scope)
    start = datetime.combine(first, datetime.min.time(), DISTRICT_TZ)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), DISTRICT_TZ)
    a = AidApplication
    paid = and_(
        a.status == "disbursed",
        a.disbursed_at >= start,
        a.disbursed_at < end,
        in_scope(scope, a.town_code),
    )
    if scope.is_district:  # the district's own rounds (an institute child's aid has no town)
        paid = and_(
            paid,
            a.round_id.in_(select(AidRound.id).where(AidRound.district_code == scope.area_code)),
        )
    rows = (
        await session.execute(
            select(a.programme, func.count(), func.coalesce(func.sum(a.amount_fen), 0))
            .where(paid)
            .group_by(a.programme)
        )
    ).tuples()
    by_programme = {p: {"children": 0, "paid": "0.00"} for p in PROGRAMME_ZH}
    children = fen = 0
    for programme, n, total in rows:
        count, amount = int(n), int(total or 0)
        by_programme[programme] = {"children": count, "paid": _money(amount)}
        children, fen = children + count, fen + amount
    return {
        "year": scope.month.year,
        "through": last.isoformat(),
        "children_paid": children,
        "paid": _money(fen),
        "by_programme": by_programme,
        "fund": "women_federation",
    }


@section("holiday_gifts", order=81)
async def holiday_gifts(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    """节日礼品: the gifts of this year's holiday runs, and how many were delivered by the
    month's end."""
    _, last = _year(scope)
    g = HolidayGift
    delivered = and_(g.delivered_on.is_not(None), g.delivered_on <= last)
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(delivered),
                func.coalesce(func.sum(g.value_fen), 0),
                func.coalesce(func.sum(g.value_fen).filter(delivered), 0),
            )
            .join(BenefitRun, BenefitRun.id == g.run_id)
            .where(
                BenefitRun.period.endswith(f"-{scope.month.year}"),
                # a district's own runs (its institute's children have no village); a town's
                BenefitRun.district_code == scope.area_code
                if scope.is_district
                else in_scope(scope, g.village_code),
            )
        )
    ).one()
    total, done, value, done_value = (int(x) for x in row)
    return {
        "year": scope.month.year,
        "gifts": total,
        "delivered": done,
        "not_delivered": total - done,
        "value": _money(value),
        "delivered_value": _money(done_value),
    }


@section("community_activities", order=82)
async def community_activities(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    """社区活动: the activities held this year through the month, their participants, and the
    children in difficulty of the area who took part in none this year."""
    first, last = _year(scope)
    c = CommunityActivity
    held = and_(c.held_on.between(first, last), in_scope(scope, c.village_code))
    n, villages, others = (
        await session.execute(
            select(
                func.count(),
                func.count(func.distinct(c.village_code)),
                func.coalesce(func.sum(c.others), 0),
            ).where(held)
        )
    ).one()
    ids = select(func.unnest(c.child_ids).label("child_id")).where(held).subquery()
    ledger = (await session.execute(select(func.count(func.distinct(ids.c.child_id))))).scalar()
    without = (
        await session.execute(
            select(func.count()).where(
                Child.status == "active",
                Child.placement == "dispersed",
                in_scope(scope, Child.village_code),
                ~took_part_in(scope.month.year),
            )
        )
    ).scalar()
    return {
        "year": scope.month.year,
        "activities": int(n),
        "villages": int(villages),
        "ledger_children": int(ledger or 0),
        "other_participants": int(others),
        "children_without_activity": int(without or 0),
    }
