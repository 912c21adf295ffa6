"""强制报告: incidents by status and by statutory situation, unacknowledged referrals,
escalations, the oldest open one, and the board of open incidents by urgency and age.

Written against the incidents domain's `incidents` (`status` draft|reported|acknowledged|
investigating|intervening|closed, `area_code`, `situations` (the nine codes of the 2020
opinion), `kinds`, `urgent`, `immediate_danger`,
`reported_at`, `escalated_at`) and `referrals` (`incident_id`, `agency`, `status` pending|…,
`acknowledged_at`, `escalated_at`, `ack_due_at`). Drafts are the reporter's own and are not
counted. The board carries no child name or description: the incident's own API decides who sees
those.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard.providers.common import in_scope
from app.dashboard.sections import Scope, section
from app.incidents.situations import SITUATION_CODES
from app.models import Area, Incident, Referral

INCIDENTS = Incident.__table__
REFERRALS = Referral.__table__
STATUSES = ("reported", "acknowledged", "investigating", "intervening", "closed")
BOARD_LIMIT = 20


_I, _R = INCIDENTS, REFERRALS
_OPEN = _I.c.status.notin_(("draft", "closed"))
_PENDING = and_(_R.c.status == "pending", _R.c.acknowledged_at.is_(None))


@section("incidents", order=40)
async def incidents(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    mine = and_(_I.c.status != "draft", in_scope(scope, _I.c.area_code))
    by_status = await _by_status(session, mine)
    oldest = (
        await session.execute(select(func.min(_I.c.reported_at)).where(mine, _OPEN))
    ).scalar_one()
    unacknowledged, escalated_referrals = await _pending_referrals(session, mine)
    escalated_incidents = (
        await session.execute(
            select(func.count()).where(mine, _OPEN, _I.c.escalated_at.is_not(None))
        )
    ).scalar_one()
    return {
        "by_status": by_status,
        "by_situation": await _by_situation(session, mine),
        "open": sum(n for s, n in by_status.items() if s != "closed"),
        "unacknowledged_referrals": unacknowledged,
        "unacknowledged_by_agency": await _unacknowledged_by_agency(session, mine),
        "escalated_referrals": escalated_referrals,
        "escalated_incidents": int(escalated_incidents),
        "oldest_open_reported_at": oldest.isoformat() if oldest else None,
        "oldest_open_age_hours": _hours(scope, oldest),
        "board": await _board(session, scope, mine),
    }


async def _by_status(session: AsyncSession, mine: Any) -> dict[str, int]:
    by_status = dict.fromkeys(STATUSES, 0)
    for status, n in (
        await session.execute(select(_I.c.status, func.count()).where(mine).group_by(_I.c.status))
    ).tuples():
        by_status[status] = int(n)
    return by_status


async def _by_situation(session: AsyncSession, mine: Any) -> dict[str, int]:
    """A report naming two situations counts under each (the sum may exceed the reports)."""
    by_situation = dict.fromkeys(SITUATION_CODES, 0)
    named = select(func.unnest(_I.c.situations).label("code")).where(mine).subquery()
    for situation, n in (
        await session.execute(select(named.c.code, func.count()).group_by(named.c.code))
    ).tuples():
        if situation in by_situation:
            by_situation[situation] = int(n)
    return by_situation


async def _pending_referrals(session: AsyncSession, mine: Any) -> tuple[int, int]:
    """(unacknowledged, of which escalated) referrals of the open incidents."""
    counts = (
        await session.execute(
            select(
                func.count().filter(_PENDING),
                func.count().filter(and_(_PENDING, _R.c.escalated_at.is_not(None))),
            )
            .select_from(_R)
            .join(_I, _I.c.id == _R.c.incident_id)
            .where(mine, _OPEN)
        )
    ).one()
    return int(counts[0]), int(counts[1])


async def _unacknowledged_by_agency(session: AsyncSession, mine: Any) -> dict[str, int]:
    agencies: dict[str, int] = defaultdict(int)
    for agency, n in (
        await session.execute(
            select(_R.c.agency, func.count())
            .join(_I, _I.c.id == _R.c.incident_id)
            .where(mine, _OPEN, _PENDING)
            .group_by(_R.c.agency)
        )
    ).tuples():
        agencies[agency] = int(n)
    return dict(sorted(agencies.items()))


async def _board(session: AsyncSession, scope: Scope, mine: Any) -> list[dict[str, Any]]:
    """The open incidents, most urgent first, then the oldest."""
    i = _I
    unacked = (
        select(func.count())
        .where(_R.c.incident_id == i.c.id, _PENDING)
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
            .where(mine, _OPEN)
            .order_by(urgency.desc(), (unacked > 0).desc(), i.c.reported_at, i.c.id)
            .limit(BOARD_LIMIT)
        )
    ).tuples()
    return [
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


def _hours(scope: Scope, at: Any) -> float | None:
    if at is None:
        return None
    seconds = float((scope.now - at).total_seconds())
    return round(max(seconds, 0.0) / 3600, 1)
