"""探访覆盖率: which children were due a visit in a month, and which were visited.

Rule (ours): a child is **due** in a month when it is active in the ledger for the whole month —
enrolled (`approved_on`) on or before the month's first day, and not revoked before the month
is over (no `revoked_on`, or `revoked_on` after the month's last day). A child enrolled on the
2nd, or revoked on the 30th of June, is not due in June. Only children placed in society
(dispersed, with a village) count; the institute's children are cared for daily.

A child is **visited** in a month when at least one visit of it falls in that month, the month
being decided in Asia/Shanghai: a visit at 2026-06-30T23:30+08:00 counts in June, one at
2026-06-30T16:30Z (= 07-01 00:30 in Beijing) in July. Each village in scope is listed, with
the children still not visited; towns and the whole scope get totals.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.kit import audit
from app.visits import repository as repo
from app.visits.flags import scope_of
from app.visits.schemas import AreaTotals, ChildRef, CoverageOut, VillageCoverage


def ratio(visited: int, due: int) -> float | None:
    return None if due == 0 else round(visited / due, 4)


async def coverage(
    session: AsyncSession, principal: Principal, month: date, area_code: str | None
) -> CoverageOut:
    path = await scope_of(session, principal, area_code)
    first, last = repo.month_bounds(month)
    areas = await repo.areas_under(session, path)
    rows = await repo.due_children(session, path, first, last)
    due: dict[str, int] = defaultdict(int)
    visited: dict[str, int] = defaultdict(int)
    missing: dict[str, list[ChildRef]] = defaultdict(list)
    for child_id, name, village, was_visited in rows:
        due[village] += 1
        if was_visited:
            visited[village] += 1
        else:
            missing[village].append(ChildRef(child_id=child_id, name=name, village_code=village))
    villages = [
        VillageCoverage(
            code=a.code,
            name=a.name,
            town_code=a.parent_code,
            due=due[a.code],
            visited=visited[a.code],
            coverage=ratio(visited[a.code], due[a.code]),
            not_visited=missing[a.code],
        )
        for a in areas
        if a.level == "village"
    ]
    town_due: dict[str, int] = defaultdict(int)
    town_visited: dict[str, int] = defaultdict(int)
    for v in villages:
        if v.town_code:
            town_due[v.town_code] += v.due
            town_visited[v.town_code] += v.visited
    towns = [
        AreaTotals(
            code=a.code,
            name=a.name,
            due=town_due[a.code],
            visited=town_visited[a.code],
            coverage=ratio(town_visited[a.code], town_due[a.code]),
        )
        for a in areas
        if a.level == "town"
    ]
    top = areas[0]
    total_due, total_visited = sum(due.values()), sum(visited.values())
    audit.record(
        session,
        "visit.coverage",
        "area",
        top.code,
        {"month": first.strftime("%Y-%m"), "not_visited": total_due - total_visited},
    )
    return CoverageOut(
        month=first.strftime("%Y-%m"),
        area_code=top.code,
        total=AreaTotals(
            code=top.code,
            name=top.name,
            due=total_due,
            visited=total_visited,
            coverage=ratio(total_visited, total_due),
        ),
        towns=towns,
        villages=villages,
        overdue=[c for v in villages for c in v.not_visited],
    )
