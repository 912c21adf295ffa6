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

import math
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.config import Settings
from app.errors import NotFound
from app.kit.pagination import after, decode_cursor, encode_cursor
from app.models import Visit, VisitFlag
from app.visits import repository as repo
from app.visits.schemas import DirectorWithoutVisits, FlagOut, FlagsPage

EARTH_KM = 6371.0088


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle (haversine) distance between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_KM * math.asin(math.sqrt(h))


async def on_arrival(session: AsyncSession, visit: Visit, settings: Settings) -> None:
    base: dict[str, Any] = {
        "visit_id": visit.id,
        "child_id": visit.child_id,
        "visitor_id": visit.visitor_id,
    }
    dense = await repo.densest_hour(session, visit.visitor_id, visit.visited_at)
    if dense > settings.visit_max_per_hour:
        await repo.add_flag(
            session,
            base | {"kind": "burst", "detail": {"visits_in_one_hour": dense}},
        )
    if visit.notes_hash is not None:
        others = await repo.same_notes(session, visit.notes_hash, visit.child_id, visit.id)
        if others:
            detail = {
                "same_notes_visit_ids": [str(v) for v, _ in others],
                "other_children": len({c for _, c in others}),
            }
            await repo.add_flag(session, base | {"kind": "copied_notes", "detail": detail})
    if visit.lat is not None and visit.lon is not None and visit.village_code:
        centre = await repo.village_location(session, visit.village_code)
        if centre is not None:
            km = distance_km((visit.lat, visit.lon), centre)
            if km > settings.visit_far_km:
                await repo.add_flag(
                    session,
                    base
                    | {
                        "kind": "far_location",
                        "detail": {"distance_km": round(km, 1), "village_code": visit.village_code},
                    },
                )


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
    items = [
        FlagOut(
            id=f.id,
            kind=f.kind,
            visit_id=f.visit_id,
            child_id=f.child_id,
            visitor_id=f.visitor_id,
            visitor_name=name,
            visited_at=at,
            detail=f.detail,
            created_at=f.created_at,
        )
        for f, name, at in rows
    ]
    page = FlagsPage(items=items, next_cursor=nxt)
    if month is not None and cursor is None and principal.role != "institution_staff":
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
