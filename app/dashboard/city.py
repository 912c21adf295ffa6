"""市级看板: the city's own view — each district as a row, and the same 12-month trends city-wide.

For the city's offices (city_admin, city_viewer): aggregates of every district, no one's record.
Each figure is the district dashboard's own rule, counted once for the whole city and folded
into districts by the areas' tree (a village, town or district code → its district):

- children: on the ledger on the month's last day (or today), by category (the ledger's rule
  of `trends`); the institute's children, who have no village, are counted in the city's
  total and in no district's row (`unplaced`);
- visits: the month's coverage (`app.visits.repository.due_clause`; visited = a visit that
  month);
- incidents: reported in the month (drafts excluded) and open now (not closed, not drafts);
- screening: the pre-aggregated records (`screening_stats`) by classification, and flagged;
- spending: from 1 January to the month's end, the subsidy payments attributed to the child's
  place when paid (a payroll line's village, a grant line's town, a claim's or a placement's
  child), the subsidies section's rules; insurance premiums are the city's total only.

The trends are the district dashboard's `trends` section for a city-wide scope; its spending
series is the city's monthly spending (no budget line: budgets are the districts').
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard.errors import AreaNotFound
from app.dashboard.providers.subsidies import CLAIMS, LINES, PAYROLLS, PLACEMENTS
from app.dashboard.providers.trends import months_back, trends
from app.dashboard.sections import REGISTRY, Scope
from app.dashboard.service import section_result
from app.insurance.repository import premium_spending
from app.kit import audit
from app.kit.clock import DISTRICT_TZ
from app.kit.context import RequestContext
from app.kit.money import format_money, from_fen
from app.kit.stats import ratio
from app.models import (
    CATEGORIES,
    Area,
    BenefitLine,
    BenefitRun,
    Child,
    Incident,
    ScreeningStat,
    Visit,
)
from app.models.children import ON_LEDGER
from app.visits.repository import due_clause

CLASSIFICATIONS = ("migrant", "left_behind", "neither")
BENEFITS = (
    "living_allowance",
    "medical_reimbursement",
    "education_grant",
    "holiday_condolence",
    "adult_orphan_placement",
)


@dataclass
class Row:
    """One district's figures (fen and counts, formatted by `out`)."""

    code: str | None
    name: str
    by_category: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    due: int = 0
    visited: int = 0
    reported: int = 0
    open: int = 0
    by_classification: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(CLASSIFICATIONS, 0)
    )
    flagged: int = 0
    spent: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BENEFITS, 0))

    def out(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "children": {"total": sum(self.by_category.values()), "by_category": self.by_category},
            "visits": {
                "due": self.due,
                "visited": self.visited,
                "ratio": ratio(self.visited, self.due),
            },
            "incidents": {"reported": self.reported, "open": self.open},
            "screening": {
                "records": sum(self.by_classification.values()),
                "by_classification": self.by_classification,
                "flagged": self.flagged,
            },
            "spending": {
                "spent": format_money(from_fen(sum(self.spent.values()))),
                "by_benefit": {b: format_money(from_fen(n)) for b, n in self.spent.items()},
            },
        }

    def add(self, other: Row) -> None:
        for c, n in other.by_category.items():
            self.by_category[c] += n
        for k, n in other.by_classification.items():
            self.by_classification[k] += n
        for b, n in other.spent.items():
            self.spent[b] += n
        self.due += other.due
        self.visited += other.visited
        self.reported += other.reported
        self.open += other.open
        self.flagged += other.flagged


@dataclass(frozen=True)
class City:
    code: str
    name: str
    path: str
    districts: list[tuple[str, str]]  # (code, name), by code
    district_of: dict[str, str]  # any area code of the city → its district's code


async def city_of(session: AsyncSession, ctx: RequestContext) -> City:
    """The caller's city (their area) with its districts and every area's district."""
    principal = ctx.actor
    if principal.area_code is None or principal.area_path is None:
        raise AreaNotFound()
    name = await session.scalar(select(Area.name).where(Area.code == principal.area_code))
    rows = (
        await session.execute(
            select(Area.code, Area.name, Area.level, Area.path).where(
                Area.path.startswith(principal.area_path)
            )
        )
    ).all()
    districts = sorted((r.code, r.name) for r in rows if r.level == "district")
    codes = {c for c, _ in districts}
    district_of: dict[str, str] = {}
    for r in rows:
        for part in r.path.split("/"):
            if part in codes:
                district_of[r.code] = part
                break
    return City(principal.area_code, name or "", principal.area_path, districts, district_of)


def _fold(rows: dict[str | None, Row], city: City, area_code: str | None) -> Row:
    return rows[city.district_of.get(area_code or "")]


def _month_bounds(first: date) -> tuple[date, datetime, datetime]:
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    start = datetime.combine(first, datetime.min.time(), DISTRICT_TZ)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), DISTRICT_TZ)
    return last, start, end


async def _children(
    session: AsyncSession, city: City, rows: dict[str | None, Row], as_of: date
) -> None:
    stmt = (
        select(Child.village_code, Child.category, func.count())
        .where(
            Child.approved_on <= as_of,
            or_(Child.status.in_(ON_LEDGER), Child.revoked_on > as_of),
        )
        .group_by(Child.village_code, Child.category)
    )
    for village, category, n in (await session.execute(stmt)).tuples():
        row = _fold(rows, city, village)
        row.by_category[category] = row.by_category.get(category, 0) + int(n)


async def _visits(
    session: AsyncSession, city: City, rows: dict[str | None, Row], first: date, last: date
) -> None:
    visited = exists().where(Visit.child_id == Child.id, Visit.visit_month == first)
    stmt = (
        select(Child.village_code, func.count(), func.count().filter(visited))
        .where(due_clause(first, last))
        .group_by(Child.village_code)
    )
    for village, due, done in (await session.execute(stmt)).tuples():
        row = _fold(rows, city, village)
        row.due += int(due)
        row.visited += int(done)


async def _incidents(
    session: AsyncSession,
    city: City,
    rows: dict[str | None, Row],
    start: datetime,
    end: datetime,
) -> None:
    in_month = and_(Incident.reported_at >= start, Incident.reported_at < end)
    stmt = (
        select(
            Incident.area_code,
            func.count().filter(in_month),
            func.count().filter(Incident.status != "closed"),
        )
        .where(Incident.status != "draft")
        .group_by(Incident.area_code)
    )
    for area, reported, open_ in (await session.execute(stmt)).tuples():
        row = _fold(rows, city, area)
        row.reported += int(reported)
        row.open += int(open_)


async def _screening(session: AsyncSession, city: City, rows: dict[str | None, Row]) -> None:
    s = ScreeningStat
    stmt = select(
        s.village_code,
        s.classification,
        func.sum(s.n),
        func.sum(s.n).filter(s.flagged.is_(True)),
    ).group_by(s.village_code, s.classification)
    for village, classification, n, flagged in (await session.execute(stmt)).tuples():
        row = _fold(rows, city, village)
        row.by_classification[classification] = row.by_classification.get(classification, 0) + int(
            n or 0
        )
        row.flagged += int(flagged or 0)


async def _spending(
    session: AsyncSession,
    city: City,
    rows: dict[str | None, Row],
    first: date,
    through: date,
    start: datetime,
    end: datetime,
) -> None:
    """Fen spent from `first` (a month's first day) to the end of month `through`, by benefit,
    attributed to the district of the child's place (the subsidies section's rules)."""

    def put(benefit: str, found: Iterable[tuple[str | None, Any]]) -> None:
        for area, fen in found:
            _fold(rows, city, area).spent[benefit] += int(fen or 0)

    payroll_area = func.coalesce(LINES.c.village_code, LINES.c.town_code)
    put(
        "living_allowance",
        (
            await session.execute(
                select(payroll_area, func.sum(LINES.c.amount_fen))
                .join(PAYROLLS, PAYROLLS.c.id == LINES.c.payroll_id)
                .where(PAYROLLS.c.status == "approved", PAYROLLS.c.month.between(first, through))
                .group_by(payroll_area)
            )
        ).tuples(),
    )
    put(
        "medical_reimbursement",
        (
            await session.execute(
                select(Child.village_code, func.sum(CLAIMS.c.reimbursable_fen))
                .join(Child, Child.id == CLAIMS.c.child_id)
                .where(CLAIMS.c.status == "paid", CLAIMS.c.paid_at >= start, CLAIMS.c.paid_at < end)
                .group_by(Child.village_code)
            )
        ).tuples(),
    )
    for benefit, area, fen in (
        await session.execute(
            select(BenefitRun.benefit, BenefitLine.town_code, func.sum(BenefitLine.amount_fen))
            .join(BenefitRun, BenefitRun.id == BenefitLine.run_id)
            .where(BenefitRun.created_at >= start, BenefitRun.created_at < end)
            .group_by(BenefitRun.benefit, BenefitLine.town_code)
        )
    ).tuples():
        put(str(benefit), [(area, fen)])
    put(
        "adult_orphan_placement",
        (
            await session.execute(
                select(Child.village_code, func.sum(PLACEMENTS.c.subsidy_fen))
                .join(Child, Child.id == PLACEMENTS.c.child_id)
                .where(
                    PLACEMENTS.c.status == "paid",
                    PLACEMENTS.c.paid_at >= start,
                    PLACEMENTS.c.paid_at < end,
                )
                .group_by(Child.village_code)
            )
        ).tuples(),
    )


def _rows(city: City) -> dict[str | None, Row]:
    rows: dict[str | None, Row] = {code: Row(code, name) for code, name in city.districts}
    rows[None] = Row(None, "未分区")
    return rows


async def _premiums(session: AsyncSession, year: int, through: str) -> int:
    total = 0
    for _, month, fen in (await session.execute(premium_spending(year))).tuples():
        if month <= through:
            total += int(fen or 0)
    return total


async def city_summary(
    session: AsyncSession, ctx: RequestContext, month: date | None
) -> dict[str, Any]:
    """The city dashboard (audited: which month)."""
    city = await city_of(session, ctx)
    first = (month or ctx.today).replace(day=1)
    last, start, end = _month_bounds(first)
    as_of = min(last, ctx.today)
    rows = _rows(city)
    await _children(session, city, rows, as_of)
    await _visits(session, city, rows, first, last)
    await _incidents(session, city, rows, start, end)
    await _screening(session, city, rows)
    year_start = datetime.combine(date(first.year, 1, 1), datetime.min.time(), DISTRICT_TZ)
    await _spending(session, city, rows, date(first.year, 1, 1), first, year_start, end)
    total = Row(city.code, city.name)
    for row in rows.values():
        total.add(row)
    premiums = await _premiums(session, first.year, first.strftime("%Y-%m"))
    totals = total.out()
    totals["spending"]["medical_insurance"] = format_money(from_fen(premiums))
    totals["spending"]["spent"] = format_money(from_fen(sum(total.spent.values()) + premiums))
    data = {
        "month": first.strftime("%Y-%m"),
        "as_of": as_of.isoformat(),
        "city": {"code": city.code, "name": city.name, "level": "city"},
        "generated_at": ctx.now.astimezone(DISTRICT_TZ).isoformat(),
        "districts": [rows[code].out() for code, _ in city.districts],
        "unplaced": rows[None].out(),
        "totals": totals,
        "trends": await _trends(session, ctx, city, first),
    }
    audit.record(
        session, ctx, "dashboard.city_summary", "area", city.code,
        {"month": data["month"], "districts": len(city.districts)},
    )  # fmt: skip
    return data


async def _trends(
    session: AsyncSession, ctx: RequestContext, city: City, first: date
) -> dict[str, Any]:
    """The district dashboard's 12-month trends for the whole city, with the city's spending."""
    last, _, _ = _month_bounds(first)
    scope = Scope(
        area_code=city.code,
        area_name=city.name,
        area_level="city",
        area_path=city.path,
        month=first,
        month_end=last,
        today=ctx.today,
        now=ctx.now,
    )
    spec = REGISTRY.get("trends")
    data = dict(
        await section_result(session, spec, scope) if spec else await trends(session, scope)
    )
    spending = []
    for m in [m for m in months_back(first) if m <= ctx.today]:
        _m_last, m_start, m_end = _month_bounds(m)
        rows = _rows(city)
        await _spending(session, city, rows, m, m, m_start, m_end)
        fen = sum(sum(r.spent.values()) for r in rows.values())
        spending.append({"spent": format_money(from_fen(fen)), "budget": None})
    data["spending"] = spending
    return data
