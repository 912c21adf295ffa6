"""探访质量提示: signs that a visit may not have happened as recorded, for supervisors to check.

Computed when a visit arrives (stored in `visit_flags`):
- `burst`: the visitor recorded more visits within one hour than `VISIT_MAX_PER_HOUR`;
- `copied_notes`: the same notes (whitespace ignored, 15 characters or more) on a visit of
  another child;
- `far_location`: the visit's location is more than `VISIT_FAR_KM` from the child's village
  centroid, when both are known.
Computed on request for a month (GET /visits/flags?month=): village directors with children
due that month who recorded no visit in it.
"""

from __future__ import annotations

import bisect
import math
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.roles import Role
from app.config import Settings
from app.errors import NotFound
from app.kit.lean import LeanRow
from app.kit.pagination import after, decode_cursor, encode_cursor
from app.kit.records import out_of
from app.models import Visit, VisitFlag
from app.visits import repository as repo
from app.visits.schemas import DirectorWithoutVisits, FlagOut, FlagsPage

EARTH_KM = 6371.0088
HOUR = timedelta(hours=1)
Arrived = Visit | LeanRow
"""A visit just stored: the ORM's (a batch) or the row its lean INSERT returned (one visit)."""
# How many of the other visits with the same notes a copied-notes flag names.
SAME_NOTES_SHOWN = 5


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle (haversine) distance between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_KM * math.asin(math.sqrt(h))


async def on_arrival(session: AsyncSession, visits: Sequence[Arrived], settings: Settings) -> None:
    """Flag the visits just stored (in arrival order) with set-based queries, one per kind.

    Each visit is judged as if it had arrived alone, in the order given: it sees every visit
    stored before this batch and the batch's visits before it, never the ones after it.
    """
    if not visits:
        return
    order = {v.id: n for n, v in enumerate(visits)}
    rows: list[dict[str, Any]] = []
    rows += await _bursts(session, visits, order, settings)
    rows += await _copied_notes(session, visits, order)
    rows += await _far_locations(session, visits, settings)
    await repo.add_flags(session, rows)


def of_one(visit: LeanRow, settings: Settings) -> list[dict[str, Any]]:
    """The copied-notes and far-location flags of a visit stored alone, from what its statement
    read (repository.create_visit_row: the latest visits of other children with its notes, its
    village's centroid); its burst flag is stored by that statement. The same judgement as
    `_copied_notes` and `_far_locations` for a batch of one."""
    out: list[dict[str, Any]] = []
    if visit.same_notes_ids:
        detail = {
            "same_notes_visit_ids": [str(i) for i in visit.same_notes_ids],
            "other_children": len(set(visit.same_notes_children)),
        }
        out.append(_flag(visit, "copied_notes", detail))
    if visit.centre_lat is not None and visit.lat is not None and visit.lon is not None:
        km = distance_km((visit.lat, visit.lon), (visit.centre_lat, visit.centre_lon))
        if km > settings.visit_far_km:
            detail = {"distance_km": round(km, 1), "village_code": visit.village_code}
            out.append(_flag(visit, "far_location", detail))
    return out


def _flag(visit: Arrived, kind: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "visit_id": visit.id,
        "child_id": visit.child_id,
        "visitor_id": visit.visitor_id,
        "kind": kind,
        "detail": detail,
    }


def densest_hour(at: datetime, times: Sequence[datetime]) -> int:
    """The most of `times` in any one-hour window that contains `at`.

    Every such window can be moved to start at its first visit, which lies in (at-1h, at].
    On the sorted times each window's count is two bisections: O(n log n) for n visits, where
    counting every window's visits one by one was O(n²) — and a burst, the very thing this
    looks for, is when n is large (a thousand visits in an hour took 20 ms of CPU per visit).
    The flag itself is counted by PostgreSQL (repository.densest_hours, a window function):
    this is the definition its test compares it with.
    """
    ordered = sorted(times)
    first = bisect.bisect_right(ordered, at - HOUR)
    last = bisect.bisect_right(ordered, at)
    best = 0
    previous = None
    for start in ordered[first:last]:
        if start == previous:
            continue
        previous = start
        count = bisect.bisect_left(ordered, start + HOUR) - bisect.bisect_left(ordered, start)
        best = max(best, count)
    return best


async def _bursts(
    session: AsyncSession,
    visits: Sequence[Arrived],
    order: dict[uuid.UUID, int],
    settings: Settings,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    by_visitor: dict[uuid.UUID, list[Arrived]] = defaultdict(list)
    for v in visits:
        by_visitor[v.visitor_id].append(v)
    for visitor_id, mine in by_visitor.items():
        # In arrival order; each visit sees the ones stored before and its batch's earlier ones.
        mine.sort(key=lambda v: order[v.id])
        counts = await repo.densest_hours(
            session, visitor_id, [(v.id, v.visited_at) for v in mine], HOUR
        )
        for v, dense in zip(mine, counts, strict=True):
            if dense > settings.visit_max_per_hour:
                out.append(_flag(v, "burst", {"visits_in_one_hour": dense}))
    return out


async def _copied_notes(
    session: AsyncSession, visits: Sequence[Arrived], order: dict[uuid.UUID, int]
) -> list[dict[str, Any]]:
    noted = [v for v in visits if v.notes_hash is not None]
    if not noted:
        return []
    pairs = {(str(v.notes_hash), v.child_id) for v in noted}
    stored = await repo.same_notes(session, pairs, list(order), SAME_NOTES_SHOWN)
    out: list[dict[str, Any]] = []
    for k, v in enumerate(noted):
        key = (str(v.notes_hash), v.child_id)
        earlier = [
            (o.id, o.child_id, o.visited_at)
            for o in noted[:k]
            if o.notes_hash == v.notes_hash and o.child_id != v.child_id
        ]
        others = sorted(stored.get(key, []) + earlier, key=lambda o: o[2], reverse=True)
        others = others[:SAME_NOTES_SHOWN]
        if others:
            detail = {
                "same_notes_visit_ids": [str(i) for i, _, _ in others],
                "other_children": len({c for _, c, _ in others}),
            }
            out.append(_flag(v, "copied_notes", detail))
    return out


async def _far_locations(
    session: AsyncSession, visits: Sequence[Arrived], settings: Settings
) -> list[dict[str, Any]]:
    placed = [v for v in visits if v.lat is not None and v.lon is not None and v.village_code]
    if not placed:
        return []
    centres = await repo.village_locations(session, {str(v.village_code) for v in placed})
    out: list[dict[str, Any]] = []
    for v in placed:
        centre = centres.get(str(v.village_code))
        if centre is None or v.lat is None or v.lon is None:
            continue
        km = distance_km((v.lat, v.lon), centre)
        if km > settings.visit_far_km:
            detail = {"distance_km": round(km, 1), "village_code": v.village_code}
            out.append(_flag(v, "far_location", detail))
    return out


async def list_flags(
    session: AsyncSession,
    principal: Principal,
    *,
    kind: str | None,
    month: date | None,
    area_code: str | None,
    limit: int,
    cursor: str | None,
) -> FlagsPage:
    """The stored flags in the caller's jurisdiction; with `month`, the directors without visits."""
    scope_path = await scope_of(session, principal, area_code)
    stmt = repo.flags_stmt(principal, kind, month, area_code)
    rows, nxt = await _paginate_rows(session, stmt, limit, cursor)
    items = [out_of(FlagOut, f, visitor_name=name, visited_at=at) for f, name, at in rows]
    page = FlagsPage(items=items, next_cursor=nxt)
    if month is not None and cursor is None and principal.role != Role.INSTITUTION_STAFF:
        first, last = repo.month_bounds(month)
        page.directors_without_visits = [
            DirectorWithoutVisits(
                user_id=uid, username=u, full_name=n, village_code=v, children_due=due
            )
            for uid, u, n, v, due in await repo.directors_without_visits(
                session, scope_path, first, last
            )
        ]
    return page


async def _paginate_rows(
    session: AsyncSession, stmt: Any, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    if cursor:
        stmt = stmt.where(after([VisitFlag.__table__.c.id], decode_cursor(cursor, 1)))
    rows = list((await session.execute(stmt.order_by(VisitFlag.id).limit(limit + 1))).tuples())
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        nxt = encode_cursor([rows[-1][0].id])
    return rows, nxt


async def scope_of(session: AsyncSession, principal: Principal, area_code: str | None) -> str:
    """The area path a coverage or flag query covers: `area_code` if within the caller's, else 404."""
    code = area_code or principal.area_code
    if code is None or principal.area_path is None:
        raise NotFound("区域不存在或不在您的辖区内", "No such area in your jurisdiction")
    area = await repo.area(session, code)
    if area is None or not area.path.startswith(principal.area_path):
        raise NotFound("区域不存在或不在您的辖区内", "No such area in your jurisdiction")
    return area.path
