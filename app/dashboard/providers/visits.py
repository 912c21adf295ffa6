"""巡视探访 and 困难跟进: coverage of the month by town, villages behind, open and overdue follow-ups.

Written against the visits domain's `visits` (`child_id`, `visit_month`) and `follow_ups`
(`child_id`, `town_code`, `kind`, `status` open|in_progress|resolved|referred, `due_on`), with the
visits domain's coverage rule: a child is due in a month when dispersed, enrolled on or before
its first day and not revoked before its last; visited when a visit falls in that month
(Asia/Shanghai). The coverage section is
pre-aggregated (`cache_seconds`): it carries `computed_at`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard.providers.common import areas_within
from app.dashboard.sections import Scope, section
from app.kit.stats import ratio
from app.models import Area, Child, FollowUp, Visit
from app.visits.repository import due_clause

VISITS = Visit.__table__
FOLLOW_UPS = FollowUp.__table__
OPEN = ("open", "in_progress")
LIST_LIMIT = 20


def _due(scope: Scope) -> Any:
    """The visits domain's own rule: due in the scope's month (app.visits.coverage)."""
    return due_clause(scope.month, scope.month_end)


# Coverage reads every due child against three years of visits: pre-aggregated (refreshed each
# minute by the dashboard.refresh job), like the page's own refresh.
@section("visits", order=20, cache_seconds=60)
async def visits(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    visited = exists().where(VISITS.c.child_id == Child.id, VISITS.c.visit_month == scope.month)
    village = Area.__table__.alias("village")
    rows = list(await _due_by_village(session, scope, village, visited))
    coverage = _tally(rows)
    towns = await _towns(session, scope, coverage)
    not_visited = await _not_visited(session, scope, village, visited)
    due_total, visited_total = sum(coverage.due.values()), sum(coverage.visited.values())
    return {
        "month": scope.month.strftime("%Y-%m"),
        "due": due_total,
        "visited": visited_total,
        "ratio": ratio(visited_total, due_total),
        "towns": towns,
        # Every village of the scope with children due (a town supervisor's chart).
        "villages": [
            {"code": code, "name": name, "due": int(d), "visited": int(v), "ratio": ratio(v, d)}
            for _, code, name, d, v in sorted(rows, key=lambda r: r[1])
        ],
        "villages_behind_count": len(coverage.behind),
        "villages_behind": coverage.behind[:LIST_LIMIT],
        "not_visited_count": due_total - visited_total,
        "not_visited": not_visited,
    }


@dataclass
class _Coverage:
    """Due and visited children by town, and the villages behind (the worst covered first)."""

    due: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    visited: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    behind: list[dict[str, Any]] = field(default_factory=list)


async def _due_by_village(
    session: AsyncSession, scope: Scope, village: Any, visited: Any
) -> Iterable[tuple[Any, ...]]:
    """(town, village code, village name, due, visited) of each village of the scope."""
    return (
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


def _tally(rows: Iterable[tuple[Any, ...]]) -> _Coverage:
    coverage = _Coverage()
    for town, code, name, due, done in rows:
        coverage.due[str(town)] += int(due)
        coverage.visited[str(town)] += int(done)
        if done < due:
            coverage.behind.append(
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
    coverage.behind.sort(key=lambda v: (v["ratio"] or 0.0, -v["not_visited"], v["code"]))
    return coverage


async def _towns(session: AsyncSession, scope: Scope, coverage: _Coverage) -> list[dict[str, Any]]:
    """Every town of the scope, in code order, with its coverage (none due: ratio None)."""
    town_rows = (
        await session.execute(
            select(Area.code, Area.name)
            .where(Area.level == "town", Area.path.startswith(scope.area_path))
            .order_by(Area.code)
        )
    ).tuples()
    return [
        {
            "code": code,
            "name": name,
            "due": coverage.due[code],
            "visited": coverage.visited[code],
            "ratio": ratio(coverage.visited[code], coverage.due[code]),
        }
        for code, name in town_rows
    ]


async def _not_visited(
    session: AsyncSession, scope: Scope, village: Any, visited: Any
) -> list[dict[str, Any]]:
    """The first LIST_LIMIT children due and not yet visited, by village."""
    rows = (
        await session.execute(
            select(Child.id, Child.name, Child.village_code, village.c.name)
            .join(village, village.c.code == Child.village_code)
            .where(village.c.path.startswith(scope.area_path), _due(scope), ~visited)
            .order_by(Child.village_code, Child.name, Child.id)
            .limit(LIST_LIMIT)
        )
    ).tuples()
    return [
        {"child_id": str(cid), "name": name, "village_code": vcode, "village_name": vname}
        for cid, name, vcode, vname in rows
    ]


@section("follow_ups", order=30)
async def follow_ups(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    fu = FOLLOW_UPS
    where: Any = fu.c.status.in_(OPEN)
    if not scope.is_district:
        where = and_(where, fu.c.town_code == scope.area_code)
    else:
        where = and_(where, fu.c.town_code.in_(areas_within(scope)))
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
