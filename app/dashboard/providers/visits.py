"""巡视探访 and 困难跟进: coverage of the month by town, villages behind, open and overdue follow-ups.

Written against the visits domain's `visits` (`child_id`, `visit_month`) and `follow_ups`
(`child_id`, `town_code`, `kind`, `status` open|in_progress|resolved|referred, `due_on`), with the
visits domain's coverage rule: a child is due in a month when dispersed, enrolled on or before
its first day and not revoked before its last; visited when a visit falls in that month
(Asia/Shanghai). Absent until the visits domain's models are merged. The coverage section is
pre-aggregated (`cache_seconds`): it carries `computed_at`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard.providers import model_table
from app.dashboard.providers.common import ratio
from app.dashboard.sections import Scope, section
from app.models import Area, Child
from app.models.children import ON_LEDGER

VISITS = model_table("visits", "child_id", "visit_month")
FOLLOW_UPS = model_table("follow_ups", "id", "child_id", "town_code", "kind", "status", "due_on")
OPEN = ("open", "in_progress")
LIST_LIMIT = 20


def _due(scope: Scope) -> Any:
    return and_(
        Child.placement == "dispersed",
        Child.approved_on <= scope.month,
        or_(
            and_(Child.revoked_on.is_(None), Child.status.in_(ON_LEDGER)),
            Child.revoked_on > scope.month_end,
        ),
    )


# Coverage reads every due child against three years of visits: pre-aggregated (refreshed each
# minute by the dashboard.refresh job), like the page's own refresh.
@section("visits", tables=("visits", "children"), order=20, cache_seconds=60)
async def visits(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    visited = exists().where(VISITS.c.child_id == Child.id, VISITS.c.visit_month == scope.month)
    village = Area.__table__.alias("village")
    rows = (
        await session.execute(
            select(
                village.c.parent_code,
                Child.village_code,
                village.c.name,
                func.count(),
                func.count().filter(visited),
            )
            .join(village, village.c.code == Child.village_code)
            .where(village.c.path.startswith(scope.area_path), _due(scope))
            .group_by(village.c.parent_code, Child.village_code, village.c.name)
        )
    ).tuples()
    towns_due: dict[str, int] = defaultdict(int)
    towns_visited: dict[str, int] = defaultdict(int)
    behind: list[dict[str, Any]] = []
    for town, code, name, due, done in rows:
        towns_due[str(town)] += int(due)
        towns_visited[str(town)] += int(done)
        if done < due:
            behind.append(
                {
                    "code": code,
                    "name": name,
                    "town_code": town,
                    "due": int(due),
                    "visited": int(done),
                    "not_visited": int(due - done),
                    "ratio": ratio(int(done), int(due)),
                }
            )
    town_rows = (
        await session.execute(
            select(Area.code, Area.name)
            .where(Area.level == "town", Area.path.startswith(scope.area_path))
            .order_by(Area.code)
        )
    ).tuples()
    towns = [
        {
            "code": code,
            "name": name,
            "due": towns_due[code],
            "visited": towns_visited[code],
            "ratio": ratio(towns_visited[code], towns_due[code]),
        }
        for code, name in town_rows
    ]
    due_total, visited_total = sum(towns_due.values()), sum(towns_visited.values())
    behind.sort(key=lambda v: (v["ratio"] or 0.0, -v["not_visited"], v["code"]))
    not_visited = (
        await session.execute(
            select(Child.id, Child.name, Child.village_code, village.c.name)
            .join(village, village.c.code == Child.village_code)
            .where(village.c.path.startswith(scope.area_path), _due(scope), ~visited)
            .order_by(Child.village_code, Child.name, Child.id)
            .limit(LIST_LIMIT)
        )
    ).tuples()
    return {
        "month": scope.month.strftime("%Y-%m"),
        "due": due_total,
        "visited": visited_total,
        "ratio": ratio(visited_total, due_total),
        "towns": towns,
        "villages_behind_count": len(behind),
        "villages_behind": behind[:LIST_LIMIT],
        "not_visited_count": due_total - visited_total,
        "not_visited": [
            {"child_id": str(cid), "name": name, "village_code": vcode, "village_name": vname}
            for cid, name, vcode, vname in not_visited
        ],
    }


@section("follow_ups", tables=("follow_ups", "children"), order=30)
async def follow_ups(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    fu = FOLLOW_UPS
    where: Any = fu.c.status.in_(OPEN)
    if not scope.is_district:
        where = and_(where, fu.c.town_code == scope.area_code)
    overdue = fu.c.due_on < scope.today
    counts = (
        await session.execute(select(func.count(), func.count().filter(overdue)).where(where))
    ).one()
    rows = (
        await session.execute(
            select(
                fu.c.id,
                fu.c.child_id,
                Child.name,
                fu.c.kind,
                fu.c.status,
                fu.c.due_on,
                fu.c.town_code,
            )
            .join(Child, Child.id == fu.c.child_id)
            .where(where, overdue)
            .order_by(fu.c.due_on, fu.c.id)
            .limit(LIST_LIMIT)
        )
    ).tuples()
    return {
        "open": int(counts[0]),
        "overdue": int(counts[1]),
        "overdue_items": [
            {
                "id": str(fid),
                "child_id": str(cid),
                "child_name": name,
                "kind": kind,
                "status": status,
                "due_on": due.isoformat(),
                "days_overdue": (scope.today - due).days,
                "town_code": town,
            }
            for fid, cid, name, kind, status, due, town in rows
        ],
    }
