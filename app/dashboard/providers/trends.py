"""12-month trends 近12个月趋势: visit coverage, the ledger by category, incidents and their
acknowledgement times, spending against the budget (issue 29).

Each series has one point per month, the oldest first, ending with the selected month. The
rules are the other sections' own, taken month by month: coverage is the visits domain's (due:
dispersed, enrolled by the month's first day, not revoked before its last; visited: a visit in
that month); the ledger standing on each month's last day (or today); incidents reported in the
month (Asia/Shanghai) in the scope, with the median hours from the report to the first
acknowledgement; spending the subsidies section's (district scope only), per month, beside the
year's budget spread evenly (a twelfth a month), the target line of the spending chart.

Pre-aggregated (`cache_seconds`): twelve months of several tables.
"""

from __future__ import annotations

import calendar
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard.providers.common import areas_within, in_scope, institute_of
from app.dashboard.providers.subsidies import BUDGETS, _spent_by_benefit
from app.dashboard.sections import Scope, section
from app.kit.clock import DISTRICT_TZ
from app.kit.money import format_money, from_fen
from app.kit.stats import ratio
from app.models import CATEGORIES, Area, Child, Incident, IncidentStep, Visit
from app.models.children import ON_LEDGER
from app.visits.repository import due_clause

MONTHS = 12
VISIT_TARGET = 1.0
"""Every child in difficulty is visited every month (domain §4): the coverage target."""


def months_back(last: date, n: int = MONTHS) -> list[date]:
    """The first days of the `n` months ending with `last`'s month, oldest first."""
    out = []
    y, m = last.year, last.month
    for _ in range(n):
        out.append(date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def _month_scope(scope: Scope, first: date) -> Scope:
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return replace(scope, month=first, month_end=last)


@section("trends", order=15, cache_seconds=300, max_age_seconds=900)
async def trends(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    months = [m for m in months_back(scope.month) if m <= scope.today]
    scopes = [_month_scope(scope, m) for m in months]
    return {
        "months": [m.strftime("%Y-%m") for m in months],
        "visit_target": VISIT_TARGET,
        "visit_coverage": [await _coverage(session, s) for s in scopes],
        "ledger_by_category": await _ledger(session, scopes),
        "incidents": [await _incidents(session, s) for s in scopes],
        "spending": [await _spending(session, s) for s in scopes] if scope.is_district else None,
    }


async def _coverage(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    visited = exists().where(Visit.child_id == Child.id, Visit.visit_month == scope.month)
    village = Area.__table__.alias("village")
    due, done = (
        await session.execute(
            select(func.count(), func.count().filter(visited))
            .select_from(Child)
            .join(village, village.c.code == Child.village_code)
            .where(
                village.c.path.startswith(scope.area_path), due_clause(scope.month, scope.month_end)
            )
        )
    ).one()
    return {"due": int(due), "visited": int(done), "ratio": ratio(int(done), int(due))}


async def _ledger(session: AsyncSession, scopes: list[Scope]) -> dict[str, list[int]]:
    series: dict[str, list[int]] = {c: [] for c in CATEGORIES}
    for scope in scopes:
        where: Any = Child.village_code.in_(areas_within(scope))
        if scope.is_district:
            where = or_(where, institute_of(scope))
        as_of = scope.as_of
        counts = dict(
            (
                await session.execute(
                    select(Child.category, func.count())
                    .where(
                        Child.approved_on <= as_of,
                        or_(Child.status.in_(ON_LEDGER), Child.revoked_on > as_of),
                        where,
                    )
                    .group_by(Child.category)
                )
            )
            .tuples()
            .all()
        )
        for c in CATEGORIES:
            series[c].append(int(counts.get(c, 0)))
    return series


async def _incidents(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    start = datetime.combine(scope.month, datetime.min.time(), DISTRICT_TZ)
    end = datetime.combine(scope.month_end + timedelta(days=1), datetime.min.time(), DISTRICT_TZ)
    i = Incident.__table__
    step = IncidentStep.__table__
    first_ack = (
        select(func.min(step.c.at))
        .where(step.c.incident_id == i.c.id, step.c.to_status == "acknowledged")
        .scalar_subquery()
    )
    hours = func.extract("epoch", first_ack - i.c.reported_at) / 3600.0
    reported, acknowledged, median = (
        await session.execute(
            select(
                func.count(),
                func.count(first_ack),
                func.percentile_cont(0.5).within_group(hours),
            ).where(
                and_(
                    i.c.status != "draft",
                    in_scope(scope, i.c.area_code),
                    i.c.reported_at >= start,
                    i.c.reported_at < end,
                )
            )
        )
    ).one()
    return {
        "reported": int(reported),
        "acknowledged": int(acknowledged),
        "median_ack_hours": round(float(median), 1) if median is not None else None,
    }


def _twelfth(fen: int) -> int:
    return int((Decimal(fen) / 12).quantize(Decimal(1), ROUND_HALF_UP))


async def _spending(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    """The month's spending (all benefits) and the monthly budget (a twelfth of the year's)."""
    through = sum((await _spent_by_benefit(session, scope)).values())
    before = 0
    if scope.month.month > 1:
        previous = scope.month - timedelta(days=1)
        before = sum(
            (
                await _spent_by_benefit(session, _month_scope(scope, previous.replace(day=1)))
            ).values()
        )
    budget_fen = (
        await session.execute(
            select(BUDGETS.c.amount_fen).where(
                BUDGETS.c.district_code == scope.area_code,
                BUDGETS.c.year == scope.month.year,
            )
        )
    ).scalar_one_or_none()
    return {
        "spent": format_money(from_fen(through - before)),
        "budget": format_money(from_fen(_twelfth(budget_fen))) if budget_fen else None,
    }
