"""强制报告: incidents by status and by statutory situation, unacknowledged referrals,
escalations, the oldest open one, and the board of open incidents by urgency and age.

Written against the incidents domain's `incidents` (`status` draft|reported|acknowledged|
investigating|intervening|closed, `area_code`, `situations` (the nine codes of the 2020
opinion), `kinds`, `urgent`, `immediate_danger`,
`reported_at`, `escalated_at`) and `referrals` (`incident_id`, `agency`, `status` pending|…,
`acknowledged_at`, `escalated_at`, `ack_due_at`). Drafts are the reporter's own and are not
counted. The board carries no child name or description: the incident's own API decides who sees
those. Absent until the incidents domain's models are merged.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard.providers import model_table
from app.dashboard.providers.common import in_scope
from app.dashboard.sections import Scope, section
from app.incidents.situations import SITUATION_CODES
from app.models import Area

INCIDENTS = model_table(
    "incidents",
    "id",
    "status",
    "area_code",
    "situations",
    "kinds",
    "urgent",
    "immediate_danger",
    "reported_at",
    "escalated_at",
)
REFERRALS = model_table(
    "referrals", "incident_id", "agency", "status", "acknowledged_at", "escalated_at"
)
STATUSES = ("reported", "acknowledged", "investigating", "intervening", "closed")
BOARD_LIMIT = 20


@section("incidents", tables=("incidents", "referrals"), order=40)
async def incidents(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    i, r = INCIDENTS, REFERRALS
    mine = and_(i.c.status != "draft", in_scope(scope, i.c.area_code))
    is_open = i.c.status.notin_(("draft", "closed"))
    by_status = dict.fromkeys(STATUSES, 0)
    for status, n in (
        await session.execute(select(i.c.status, func.count()).where(mine).group_by(i.c.status))
    ).tuples():
        by_status[status] = int(n)
    # By situation: a report naming two situations counts under each (the sum may exceed the
    # number of reports).
    by_situation = dict.fromkeys(SITUATION_CODES, 0)
    named = select(func.unnest(i.c.situations).label("code")).where(mine).subquery()
    for situation, n in (
        await session.execute(select(named.c.code, func.count()).group_by(named.c.code))
    ).tuples():
        if situation in by_situation:
            by_situation[situation] = int(n)
    oldest = (
        await session.execute(select(func.min(i.c.reported_at)).where(mine, is_open))
    ).scalar_one()
    pending = and_(r.c.status == "pending", r.c.acknowledged_at.is_(None))
    ref_counts = (
        await session.execute(
            select(
                func.count().filter(pending),
                func.count().filter(and_(pending, r.c.escalated_at.is_not(None))),
            )
            .select_from(r)
            .join(i, i.c.id == r.c.incident_id)
            .where(mine, is_open)
        )
    ).one()
    escalated_incidents = (
        await session.execute(
            select(func.count()).where(mine, is_open, i.c.escalated_at.is_not(None))
        )
    ).scalar_one()
    # The board: open incidents, most urgent first, then the oldest.
    unacked = (
        select(func.count())
        .where(r.c.incident_id == i.c.id, pending)
        .correlate(i)
        .scalar_subquery()
    )
    urgency = case((i.c.immediate_danger, 2), (i.c.urgent, 1), else_=0)
    rows = (
        await session.execute(
            select(
                i.c.id,
                i.c.status,
                i.c.situations,
                i.c.kinds,
                i.c.urgent,
                i.c.immediate_danger,
                i.c.reported_at,
                i.c.escalated_at,
                i.c.area_code,
                Area.name,
                unacked,
            )
            .outerjoin(Area, Area.code == i.c.area_code)
            .where(mine, is_open)
            .order_by(urgency.desc(), (unacked > 0).desc(), i.c.reported_at, i.c.id)
            .limit(BOARD_LIMIT)
        )
    ).tuples()
    board = [
        {
            "id": str(iid),
            "status": status,
            "situations": list(situations or []),
            "kinds": list(kinds or []),
            "urgent": bool(urgent),
            "immediate_danger": bool(danger),
            "reported_at": reported.isoformat() if reported else None,
            "age_hours": _hours(scope, reported),
            "escalated": escalated is not None,
            "area_code": area,
            "area_name": area_name,
            "unacknowledged_referrals": int(n),
        }
        for (
            iid,
            status,
            situations,
            kinds,
            urgent,
            danger,
            reported,
            escalated,
            area,
            area_name,
            n,
        ) in rows
    ]
    agencies: dict[str, int] = defaultdict(int)
    for agency, n in (
        await session.execute(
            select(r.c.agency, func.count())
            .join(i, i.c.id == r.c.incident_id)
            .where(mine, is_open, pending)
            .group_by(r.c.agency)
        )
    ).tuples():
        agencies[agency] = int(n)
    return {
        "by_status": by_status,
        "by_situation": by_situation,
        "open": sum(n for s, n in by_status.items() if s != "closed"),
        "unacknowledged_referrals": int(ref_counts[0]),
        "unacknowledged_by_agency": dict(sorted(agencies.items())),
        "escalated_referrals": int(ref_counts[1]),
        "escalated_incidents": int(escalated_incidents),
        "oldest_open_reported_at": oldest.isoformat() if oldest else None,
        "oldest_open_age_hours": _hours(scope, oldest),
        "board": board,
    }


def _hours(scope: Scope, at: Any) -> float | None:
    if at is None:
        return None
    seconds = float((scope.now - at).total_seconds())
    return round(max(seconds, 0.0) / 3600, 1)
