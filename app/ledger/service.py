"""工作台账: the monthly ledger computed from the children's history, month closes 月结, and the
principal leader's quarterly review 季度审核.

Every history entry counts in a ledger month (the month it was recorded, or the first open month
after a closed one). A month's ledger is each child's last state up to that month plus the
month's movements, so a past month reads the same tomorrow as today; closing a month also
freezes its report.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.repository import district_name
from app.auth.principal import Principal
from app.errors import Conflict, ValidationFailed
from app.kit import audit
from app.kit.clock import month_of
from app.kit.context import RequestContext
from app.kit.pagination import Page, page_of
from app.kit.vocab import month_end, parse_quarter
from app.ledger import repository as repo
from app.ledger.export import workbook
from app.ledger.schemas import ReviewOut
from app.models import (
    CATEGORIES,
    PLACEMENTS,
    ChildChange,
    LedgerMonthClose,
    LedgerReview,
)
from app.models.children import ON_LEDGER

KIND_LIST = {"created": "additions", "changed": "changes", "revoked": "revocations"}


def check_not_future(month: date, now: datetime, field: str = "month") -> None:
    if month > month_of(now):
        raise ValidationFailed(errors=[(field, "不能是将来的月份", "Cannot be a future month")])


def district_of(principal: Principal) -> str:
    """The district whose ledger the caller keeps ("" above the districts: no one's)."""
    return principal.district_code or ""


async def totals_at(session: AsyncSession, district: str, month: date) -> dict[str, Any]:
    """Totals by category, placement and town (dispersed children) as of the month's end."""
    names = await repo.town_names(session)
    by_category: dict[str, int] = dict.fromkeys(CATEGORIES, 0)
    by_placement = dict.fromkeys(PLACEMENTS, 0)
    by_town: Counter[str] = Counter()
    for category, placement, town, n in await repo.active_counts(session, district, month):
        by_category[category] += n
        by_placement[placement] += n
        if placement == "dispersed" and town:
            by_town[town] += n
    return {
        "total": sum(by_placement.values()),
        "by_category": by_category,
        "by_placement": by_placement,
        "by_town": [
            {"town_code": t, "town_name": names.get(t, t), "count": n}
            for t, n in sorted(by_town.items())
        ],
    }


async def register_at(session: AsyncSession, district: str, month: date) -> list[dict[str, Any]]:
    """花名册: every child active at the month's end, as the ledger recorded them."""
    states = await repo.states_at(session, district, month)
    active = [s for s in states if s.get("status") in ON_LEDGER]
    towns = await repo.village_towns(
        session, {s["village_code"] for s in active if s["village_code"]}
    )
    for s in active:
        s["town_code"] = towns.get(s["village_code"]) if s["village_code"] else None
    return sorted(
        active, key=lambda s: (s["placement"], s["village_code"] or "", s["name"], s["id"])
    )


def movement(e: ChildChange) -> dict[str, Any]:
    """One addition, change or revocation; `late` when it concerns an earlier month."""
    recorded = month_of(e.at)
    late = recorded < e.ledger_month or (
        e.effective_on is not None and e.effective_on < e.ledger_month
    )
    return {
        "child_id": str(e.child_id),
        "kind": e.kind,
        "at": e.at.isoformat(),
        "effective_on": e.effective_on.isoformat() if e.effective_on else None,
        "name": e.state.get("name"),
        "category": e.state.get("category"),
        "placement": e.state.get("placement"),
        "village_code": e.state.get("village_code"),
        "actor_name": e.actor_name,
        "reason": e.reason,
        "changes": e.changes if e.kind == "changed" else [],
        "late": late,
    }


async def compute(
    session: AsyncSession, district: str, month: date, *, with_register: bool = True
) -> dict[str, Any]:
    """The district's month's report from history; the register (every child's line) only on
    request."""
    totals = await totals_at(session, district, month)
    register = await register_at(session, district, month) if with_register else []
    report: dict[str, Any] = {
        "month": f"{month:%Y-%m}",
        "as_of": month_end(month).isoformat(),
        "closed": False,
        "closed_at": None,
        "closed_by": None,
        "totals": totals,
        "additions": [],
        "changes": [],
        "revocations": [],
        "register": register,
    }
    for e in await repo.movements(session, district, month, month):
        report[KIND_LIST[e.kind]].append(movement(e))
    return report


async def ledger_for(
    session: AsyncSession, ctx: RequestContext, month: date, *, with_register: bool = False
) -> dict[str, Any]:
    """The month's ledger: its frozen snapshot once closed, else computed from history."""
    check_not_future(month, ctx.now)
    district = district_of(ctx.actor)
    closed = await repo.get_close(session, district, month)
    if closed is not None:
        return closed.snapshot
    return await compute(session, district, month, with_register=with_register)


async def export_month(session: AsyncSession, ctx: RequestContext, month: date) -> bytes:
    """The month's ledger with its register as an .xlsx workbook (audited)."""
    report = await ledger_for(session, ctx, month, with_register=True)
    items = [*report.get("register", []), *report["additions"], *report["changes"]]
    items += report["revocations"]
    codes = {
        code for item in items for code in (item.get("town_code"), item.get("village_code")) if code
    }
    codes |= {
        str(c[k])
        for m in report["changes"]
        for c in m.get("changes", [])
        if c.get("field") == "village_code"
        for k in ("from", "to")
        if c.get(k)
    }
    names = await repo.area_names(session, codes)
    district = await district_name(session, ctx.actor.district_code)
    audit.record(session, ctx, "ledger.export", "ledger_month", f"{month:%Y-%m}")
    return workbook(report, names=names, district=district, generated_at=ctx.now)


async def list_reviews(
    session: AsyncSession, ctx: RequestContext, limit: int, cursor: str | None
) -> Page[ReviewOut]:
    """The caller's district's signed quarters."""
    stmt = repo.reviews_stmt(district_of(ctx.actor))
    return await page_of(
        session, stmt, [LedgerReview.quarter], limit, cursor, ReviewOut.model_validate
    )


async def close_month(session: AsyncSession, ctx: RequestContext, month: date) -> dict[str, Any]:
    """月结: freeze the month; later corrections count in the next open month."""
    principal, now = ctx.actor, ctx.now
    check_not_future(month, now)
    district = district_of(principal)
    if await repo.get_close(session, district, month) is not None:
        raise Conflict(f"{month:%Y-%m} 已月结", f"{month:%Y-%m} is already closed")
    report = await compute(session, district, month)
    report.update(closed=True, closed_at=now.isoformat(), closed_by=principal.name)
    session.add(
        LedgerMonthClose(
            district_code=district,
            month=month,
            closed_at=now,
            closed_by=principal.id,
            closed_by_name=principal.name,
            snapshot=report,
        )
    )
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(f"{month:%Y-%m} 已月结", f"{month:%Y-%m} is already closed") from None
    audit.record(session, ctx, "ledger.close", "ledger_month", f"{month:%Y-%m}")
    return report


async def sign_review(
    session: AsyncSession, ctx: RequestContext, quarter: str, comment: str
) -> LedgerReview:
    """季度审核: the leader signs the quarter; what changed since the previous signed quarter is
    recorded with it. A quarter is signed once."""
    principal, now = ctx.actor, ctx.now
    first, last = parse_quarter(quarter)
    current = month_of(now)
    if first > current:
        raise ValidationFailed(
            errors=[("quarter", "不能审核尚未开始的季度", "The quarter has not begun")]
        )
    district = district_of(principal)
    if await repo.get_review(session, district, quarter) is not None:
        raise Conflict(f"{quarter} 已审核签字", f"{quarter} is already signed")
    upto = min(last, current)
    prev = await repo.previous_review(session, district, quarter)
    since = None
    if prev is not None:
        _, prev_last = parse_quarter(prev.quarter)
        since = repo.next_month(prev_last)
    summary = await _review_summary(session, district, since, upto)
    review = LedgerReview(
        id=uuid.uuid4(),
        district_code=district,
        quarter=quarter,
        comment=comment,
        signed_by=principal.id,
        signed_by_name=principal.name,
        signed_at=now,
        previous_quarter=prev.quarter if prev else None,
        summary=summary,
    )
    session.add(review)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(f"{quarter} 已审核签字", f"{quarter} is already signed") from None
    audit.record(session, ctx, "ledger.review", "ledger_review", review.id, {"quarter": quarter})
    return review


async def _review_summary(
    session: AsyncSession, district: str, since: date | None, upto: date
) -> dict[str, Any]:
    """The totals at `upto` and the movements of the months `since` (the ledger's start when
    no quarter was signed before) to `upto`."""
    totals = await totals_at(session, district, upto)
    moves = await repo.movements(session, district, since or date(2000, 1, 1), upto)
    counts = Counter(KIND_LIST[e.kind] for e in moves)
    return {
        "from_month": f"{since:%Y-%m}" if since else None,
        "to_month": f"{upto:%Y-%m}",
        "totals": totals,
        "additions": counts["additions"],
        "changes": counts["changes"],
        "revocations": counts["revocations"],
        "movements": [
            {
                "child_id": str(e.child_id),
                "name": e.state.get("name"),
                "kind": e.kind,
                "ledger_month": f"{e.ledger_month:%Y-%m}",
                "fields": [c["field"] for c in e.changes] if e.kind == "changed" else [],
            }
            for e in moves
        ],
    }
