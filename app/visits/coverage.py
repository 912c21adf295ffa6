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
    counts = await repo.due_by_village(session, path, first, last)
    missing: dict[str, list[ChildRef]] = defaultdict(list)
    for child_id, name, village in await repo.not_visited(session, path, first, last):
        missing[village].append(ChildRef(child_id=child_id, name=name, village_code=village))
    villages = []
    for code, name, level, parent in areas:
        if level != "village":
            continue
        due, visited = counts.get(code, (0, 0))
        villages.append(
            VillageCoverage(
                code=code,
                name=name,
                town_code=parent,
                due=due,
                visited=visited,
                coverage=ratio(visited, due),
                not_visited=missing[code],
            )
        )
    town_due: dict[str, int] = defaultdict(int)
    town_visited: dict[str, int] = defaultdict(int)
    for v in villages:
        if v.town_code:
            town_due[v.town_code] += v.due
            town_visited[v.town_code] += v.visited
    towns = [
        AreaTotals(
            code=code,
            name=name,
            due=town_due[code],
            visited=town_visited[code],
            coverage=ratio(town_visited[code], town_due[code]),
        )
        for code, name, level, _ in areas
        if level == "town"
    ]
    top_code, top_name, _, _ = areas[0]
    total_due = sum(due for due, _ in counts.values())
    total_visited = sum(visited for _, visited in counts.values())
    audit.record(
        session,
        principal,
        "visit.coverage",
        "area",
        top_code,
        {"month": first.strftime("%Y-%m"), "not_visited": total_due - total_visited},
    )
    return CoverageOut(
        month=first.strftime("%Y-%m"),
        area_code=top_code,
        total=AreaTotals(
            code=top_code,
            name=top_name,
            due=total_due,
            visited=total_visited,
            coverage=ratio(total_visited, total_due),
        ),
        towns=towns,
        villages=villages,
        overdue=[c for v in villages for c in v.not_visited],
    )
