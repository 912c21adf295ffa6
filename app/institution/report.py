"""The monthly institute report 福利院月报: residents, care records per domain, counselling
sessions and hours, residents without counselling for COUNSELLING_GAP_MONTHS months, care plans
overdue for review, activities and tutoring hours — and its .xlsx. Never a confidential note.

Standing figures (residents, the gaps, the overdue plans) are taken on the month's last day, or
today for the current month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.repository import district_name
from app.auth.principal import Principal
from app.children.rules import add_months
from app.config import Settings
from app.errors import ValidationFailed
from app.institution import repository as repo
from app.institution.plans import review_due
from app.institution.schemas import CounsellingFigures, ReportOut, ResidentDue
from app.institution.volunteers import count_not_schedulable
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.glossary import zh_map
from app.kit.spreadsheet import Column, OfficeSheet, book_bytes, office_book, title_line
from app.kit.vocab import format_month, month_end, parse_month
from app.models import CARE_DOMAINS, COUNSELLING_RISKS, INSTITUTE_ACTIVITY_KINDS


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    as_of: date
    today: date


def period(first: date, today: date) -> Period:
    last = month_end(first)
    return Period(first, last, min(last, today), today)


def hours(minutes: int) -> str:
    """Minutes as hours with one decimal place (a decimal string)."""
    return str((Decimal(minutes) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


async def figures(
    session: AsyncSession, principal: Principal, p: Period, settings: Settings
) -> ReportOut:
    """The month's figures (see the module docstring)."""
    residents = await repo.resident_rows(session, principal, p.as_of)
    care = dict.fromkeys(CARE_DOMAINS, 0)
    care_minutes = dict.fromkeys(CARE_DOMAINS, 0)
    for domain, n, minutes in await repo.care_record_figures(session, principal, p.first, p.last):
        care[domain], care_minutes[domain] = int(n), int(minutes)
    activities = dict.fromkeys(INSTITUTE_ACTIVITY_KINDS, 0)
    participations = 0
    for kind, n, children in await repo.activity_figures(session, principal, p.first, p.last):
        activities[kind] = int(n)
        participations += int(children)
    tutoring, tutoring_minutes = await repo.tutoring_figures(session, principal, p.first, p.last)
    return ReportOut(
        month=format_month(p.first),
        as_of=p.as_of,
        residents=len(residents),
        care_records=care,
        care_minutes=care_minutes,
        counselling=await _counselling(session, principal, p),
        without_counselling=await _without_counselling(
            session, principal, p, residents, settings.counselling_gap_months
        ),
        care_plans_overdue=await _plans_overdue(
            session, p, residents, settings.care_plan_review_months
        ),
        activities=activities,
        activity_participations=participations,
        tutoring_sessions=tutoring,
        tutoring_minutes=tutoring_minutes,
        tutoring_hours=hours(tutoring_minutes),
        volunteers_not_schedulable=await count_not_schedulable(
            session, principal, p.today, settings.record_check_valid_months
        ),
    )


async def _counselling(
    session: AsyncSession, principal: Principal, p: Period
) -> CounsellingFigures:
    n = {"one_to_one": 0, "group": 0}
    minutes = {"one_to_one": 0, "group": 0}
    risks = dict.fromkeys(COUNSELLING_RISKS, 0)
    children: set[Any] = set()
    for mode, m, child_ids, risk in await repo.session_rows(session, principal, p.first, p.last):
        n[mode] += 1
        minutes[mode] += int(m)
        children.update(child_ids)
        if risk is not None:
            risks[risk] += 1
    total = minutes["one_to_one"] + minutes["group"]
    return CounsellingFigures(
        sessions=n["one_to_one"] + n["group"],
        one_to_one_sessions=n["one_to_one"],
        group_sessions=n["group"],
        minutes=total,
        one_to_one_minutes=minutes["one_to_one"],
        group_minutes=minutes["group"],
        hours=hours(total),
        one_to_one_hours=hours(minutes["one_to_one"]),
        group_hours=hours(minutes["group"]),
        children_counselled=len(children),
        risks=risks,
    )


async def _without_counselling(
    session: AsyncSession, principal: Principal, p: Period, residents: Any, gap_months: int
) -> list[ResidentDue]:
    """Residents whose last session (if any) is more than `gap_months` months before as_of."""
    since = add_months(p.as_of, -gap_months)
    last = await repo.last_sessions(session, principal, p.as_of)
    out = []
    for cid, name in residents:
        on = last.get(cid)
        if on is None or on <= since:
            due = None if on is None else add_months(on, gap_months)
            out.append(ResidentDue(child_id=cid, name=name, last_on=on, due_on=due))
    return out


async def _plans_overdue(
    session: AsyncSession, p: Period, residents: Any, review_months: int
) -> list[ResidentDue]:
    """Residents whose plan's last review is older than `review_months` months, or none."""
    last = await repo.last_reviews(session, p.as_of)
    out = []
    for cid, name in residents:
        on = last.get(cid)
        due = None if on is None else review_due(on, review_months)
        if due is None or due < p.as_of:
            out.append(ResidentDue(child_id=cid, name=name, last_on=on, due_on=due))
    return out


def _month(ctx: RequestContext, month: str) -> date:
    first = parse_month(month)
    if first > ctx.today.replace(day=1):
        raise ValidationFailed(
            errors=[("month", "不能查询未来月份的报告", "The month has not begun")]
        )
    return first


async def monthly_report(session: AsyncSession, ctx: RequestContext, month: str) -> ReportOut:
    """The month's institute report (its lists name residents: the read is audited)."""
    out = await figures(session, ctx.actor, period(_month(ctx, month), ctx.today), ctx.settings)
    audit.record(session, ctx, "institution_report.read", "institution_report", month)
    return out


DOMAIN_ZH = zh_map("care_domain")
KIND_ZH = zh_map("institute_activity")
SUMMARY_COLUMNS = (Column("项目", width=36), Column("数量", "int"), Column("说明", width=18))
RISK_ZH = zh_map("counselling_risk")


async def export(session: AsyncSession, ctx: RequestContext, month: str) -> bytes:
    """The report as .xlsx (Chinese headers; texts written as text)."""
    r = await figures(session, ctx.actor, period(_month(ctx, month), ctx.today), ctx.settings)
    audit.record(session, ctx, "institution_report.export", "institution_report", month)
    book = office_book()
    district = await district_name(session, ctx.actor.district_code)
    period_text = f"{r.month}（截至 {r.as_of.isoformat()}）"

    def title(what: str) -> str:
        return title_line(
            f"儿童福利院养治教康月报{what}",
            district=district,
            period=period_text,
            generated_at=ctx.now,
        )

    sheet = OfficeSheet(book, "汇总", SUMMARY_COLUMNS, title=title(""))
    c = r.counselling
    rows: list[list[Any]] = [
        ["在院儿童", r.residents, "人"],
        *[
            [f"照护记录 · {DOMAIN_ZH[d]}", n, f"{r.care_minutes[d]} 分钟"]
            for d, n in r.care_records.items()
        ],
        ["心理咨询（个体）", c.one_to_one_sessions, f"{c.one_to_one_hours} 小时"],
        ["心理咨询（团体）", c.group_sessions, f"{c.group_hours} 小时"],
        ["接受心理咨询的儿童", c.children_counselled, "人"],
        *[[f"咨询风险 · {RISK_ZH[k]}", n, "次"] for k, n in c.risks.items()],
        [
            f"连续 {ctx.settings.counselling_gap_months} 个月未接受咨询",
            len(r.without_counselling),
            "人",
        ],
        ["照护计划逾期未评估（含无计划）", len(r.care_plans_overdue), "人"],
        *[[f"活动 · {KIND_ZH[k]}", n, "次"] for k, n in r.activities.items()],
        ["活动参与", r.activity_participations, "人次"],
        ["志愿辅导", r.tutoring_sessions, f"{r.tutoring_hours} 小时"],
        ["记录查询不合格的志愿者", r.volunteers_not_schedulable, "人（不得安排）"],
    ]
    for row in rows:
        sheet.row(row)
    for name, items, last_zh in (
        ("未接受咨询", r.without_counselling, "最近一次咨询"),
        ("照护计划逾期", r.care_plans_overdue, "最近一次评估"),
    ):
        listing = OfficeSheet(
            book,
            name,
            (
                Column("序号", "int"),
                Column("姓名"),
                Column(last_zh, "date"),
                Column("应于", "date"),
            ),
            title=title(f" · {name}"),
        )
        for i, item in enumerate(items, start=1):
            listing.row([i, item.name, item.last_on or "无", item.due_on])
    return book_bytes(book)
