"""All SQL of visits, follow-ups, quality flags and coverage."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, exists, func, insert, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.auth.principal import Principal
from app.auth.roles import Role
from app.children.access import readable
from app.kit.lean import DriverConnection, LeanReturning, LeanRow, LeanSelect
from app.kit.sql import PerKey, insert_ignoring_conflicts, table_of
from app.models import Area, AreaLocation, Child, FollowUp, User, Visit, VisitFlag
from app.models.children import ON_LEDGER


def _readable_children(principal: Principal) -> Select[tuple[Child, str | None]]:
    village = aliased(Area)  # aliased: `readable` has its own subquery on areas
    return (
        select(Child, village.parent_code)
        .outerjoin(village, village.code == Child.village_code)
        .where(Child.id.in_(bindparam("ids", expanding=True)), readable(principal))
    )


# Built once per caller (a visit's hot path): building the join, the alias and the
# jurisdiction clause, and then their cache key, cost more than the query (issue 30).
_READABLE_CHILDREN = PerKey(_readable_children)
_VISITS_BY_ID = select(Visit).where(Visit.id.in_(bindparam("ids", expanding=True)))


def _visit_child(principal: Principal) -> LeanSelect:
    village = aliased(Area)
    return LeanSelect(
        select(
            Child.id,
            Child.approved_on,
            Child.revoked_on,
            Child.placement,
            Child.village_code,
            village.parent_code.label("town"),
        )
        .outerjoin(village, village.code == Child.village_code)
        .where(Child.id == bindparam("child_id"), readable(principal)),
        params=("child_id",),
    )


# One visit's lookup (issue 30): only what a visit needs of its child (the dates it must fall
# between, where it lives and that village's town), run lean on the session's connection. The
# ORM's full Child row (a dozen JSONB columns parsed, an instance built) cost more than the rest.
_VISIT_CHILD = PerKey(_visit_child)


async def visit_child(
    conn: DriverConnection, principal: Principal, child_id: uuid.UUID
) -> LeanRow | None:
    """The child of a visit if the caller may see it: id, approved_on, revoked_on, placement,
    village_code and town (its village's town)."""
    return await _VISIT_CHILD(principal).first(conn, child_id=child_id)


async def readable_children(
    session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[Child, str | None]]:
    """The children of `ids` the caller may see, each with the town of its village."""
    if not ids:
        return {}
    rows = await session.execute(_READABLE_CHILDREN(principal), {"ids": list(set(ids))})
    return {c.id: (c, town) for c, town in rows.tuples()}


async def visits_by_id(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Visit]:
    if not ids:
        return {}
    rows = await session.scalars(_VISITS_BY_ID, {"ids": list(set(ids))})
    return {v.id: v for v in rows}


async def insert_visits(session: AsyncSession, rows: list[dict[str, Any]]) -> list[Visit]:
    """One INSERT … ON CONFLICT (id) DO NOTHING for all rows: the visits inserted. An id that
    exists is left out (a concurrent duplicate waits here for the first one's commit)."""
    if not rows:
        return []
    # A Core INSERT on the table, its rows read back as ORM objects: the ORM's bulk-insert
    # machinery costs more than the insert itself. Sent as one multi-row INSERT.
    table = table_of(Visit)
    stmt = insert_ignoring_conflicts(table, "id").returning(*table.c)
    return list(await session.scalars(select(Visit).from_statement(stmt), rows))


_VISIT_TABLE = table_of(Visit)
# Every column a new visit sets (the database sets created_at and updated_at; incident_id
# stays NULL until an incident links it).
VISIT_VALUES = tuple(
    c.key for c in _VISIT_TABLE.c if c.key not in ("created_at", "updated_at", "incident_id")
)
_INSERT_VISIT = LeanReturning(
    insert_ignoring_conflicts(_VISIT_TABLE, "id")
    .values({k: bindparam(k, type_=_VISIT_TABLE.c[k].type) for k in VISIT_VALUES})
    .returning(*_VISIT_TABLE.c),
    params=VISIT_VALUES,
)


async def insert_visit(conn: DriverConnection, values: dict[str, Any]) -> LeanRow | None:
    """One visit, `INSERT … ON CONFLICT (id) DO NOTHING RETURNING *` on the session's
    connection: the row stored, or None when the id exists (a concurrent duplicate waits
    here for the first one's commit)."""
    return await _INSERT_VISIT.first(conn, **values)


async def insert_follow_ups(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(table_of(FollowUp)), rows)


# -- quality flags -------------------------------------------------------------------------------


async def densest_hours(
    session: AsyncSession,
    visitor_id: uuid.UUID,
    visits: Sequence[tuple[uuid.UUID, datetime]],
    hour: timedelta,
) -> list[int]:
    """For each of `visitor_id`'s visits just stored, (id, visited_at) in arrival order: the
    most of the visitor's visits in any window [start, start + `hour`) that contains it
    (app.visits.flags.densest_hour), counting the visits stored before and the earlier ones of
    `visits`, never the later ones. One row per visit, counted by PostgreSQL: a window
    function over the visits within an hour either side, where fetching them all cost a burst
    (the thing the flag looks for) a row each. The window [start, start + hour) is
    [start, start + hour - 1 µs]: timestamptz has microseconds, as Python's datetimes."""
    if not visits:
        return []
    sql = text(
        """
        SELECT m.ord, d.dense
        FROM unnest(CAST(:ats AS timestamptz[])) WITH ORDINALITY AS m(at, ord)
        CROSS JOIN LATERAL (
            SELECT coalesce(max(w.n), 0) AS dense
            FROM (
                SELECT v.visited_at, count(*) OVER (
                    ORDER BY v.visited_at
                    RANGE BETWEEN CURRENT ROW AND CAST(:span AS interval) FOLLOWING
                ) AS n
                FROM visits v
                WHERE v.visitor_id = :vid
                  AND v.visited_at > m.at - CAST(:hour AS interval)
                  AND v.visited_at < m.at + CAST(:hour AS interval)
                  AND v.id <> ALL((CAST(:ids AS uuid[]))[m.ord + 1:])
            ) AS w
            WHERE w.visited_at <= m.at
        ) AS d
        ORDER BY m.ord
        """
    )
    params = {
        "vid": visitor_id,
        "ats": [at for _, at in visits],
        "ids": [vid for vid, _ in visits],
        "hour": hour,
        "span": hour - timedelta(microseconds=1),
    }
    return [int(n) for _, n in (await session.execute(sql, params)).tuples()]


async def same_notes(
    session: AsyncSession,
    keys: Iterable[tuple[str, uuid.UUID]],
    exclude: Sequence[uuid.UUID],
    limit: int,
) -> dict[tuple[str, uuid.UUID], list[tuple[uuid.UUID, uuid.UUID, datetime]]]:
    """For each (notes hash, child): the latest `limit` visits of other children with those
    notes, (id, child id, visited_at), newest first, leaving out the visits in `exclude`."""
    keys = list(keys)
    if not keys:
        return {}
    sql = text(
        """
        SELECT k.hash, k.child_id, o.id, o.child_id, o.visited_at
        FROM unnest(CAST(:hashes AS text[]), CAST(:children AS uuid[])) AS k(hash, child_id)
        CROSS JOIN LATERAL (
            SELECT v.id, v.child_id, v.visited_at FROM visits v
            WHERE v.notes_hash = k.hash AND v.child_id <> k.child_id
              AND v.id <> ALL(CAST(:exclude AS uuid[]))
            ORDER BY v.visited_at DESC
            LIMIT :limit
        ) AS o
        ORDER BY k.hash, k.child_id, o.visited_at DESC
        """
    )
    params = {
        "hashes": [h for h, _ in keys],
        "children": [c for _, c in keys],
        "exclude": list(exclude),
        "limit": limit,
    }
    found: dict[tuple[str, uuid.UUID], list[tuple[uuid.UUID, uuid.UUID, datetime]]] = {}
    for h, child, vid, other, at in (await session.execute(sql, params)).tuples():
        found.setdefault((h, child), []).append((vid, other, at))
    return found


async def village_locations(
    session: AsyncSession, codes: Iterable[str]
) -> dict[str, tuple[float, float]]:
    codes = set(codes)
    if not codes:
        return {}
    stmt = select(AreaLocation.code, AreaLocation.lat, AreaLocation.lon).where(
        AreaLocation.code.in_(codes)
    )
    return {code: (lat, lon) for code, lat, lon in (await session.execute(stmt)).tuples()}


async def add_flags(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert_ignoring_conflicts(table_of(VisitFlag)), rows)


def flags_stmt(
    principal: Principal, kind: str | None, month: date | None, area_code: str | None
) -> Select[Any]:
    stmt = (
        select(VisitFlag, Visit.visitor_name, Visit.visited_at)
        .join(Visit, Visit.id == VisitFlag.visit_id)
        .join(Child, Child.id == VisitFlag.child_id)
        .where(readable(principal))
    )
    if kind:
        stmt = stmt.where(VisitFlag.kind == kind)
    if month:
        stmt = stmt.where(Visit.visit_month == month)
    if area_code:
        stmt = stmt.where(in_area(Child.village_code, area_code))
    return stmt


# -- listing -------------------------------------------------------------------------------------


def in_area(col: Any, area_code: str) -> Any:
    """Rows whose village lies within `area_code` (a village, town or the district)."""
    path = select(Area.path).where(Area.code == area_code).scalar_subquery()
    return col.in_(select(Area.code).where(Area.path.startswith(path)))


def visits_stmt(
    principal: Principal,
    *,
    child_id: uuid.UUID | None,
    month: date | None,
    area_code: str | None,
    updated_since: datetime | None,
    suspected: bool | None,
) -> Select[Any]:
    stmt = select(Visit).join(Child, Child.id == Visit.child_id).where(readable(principal))
    if child_id is not None:
        stmt = stmt.where(Visit.child_id == child_id)
    if month is not None:
        stmt = stmt.where(Visit.visit_month == month)
    if area_code is not None:
        stmt = stmt.where(in_area(Child.village_code, area_code))
    if updated_since is not None:
        stmt = stmt.where(Visit.updated_at >= updated_since)
    if suspected is not None:
        stmt = stmt.where(Visit.suspected_infringement.is_(suspected))
    return stmt


def _of_readable_child(
    model: type[Visit] | type[FollowUp], row_id: uuid.UUID, principal: Principal
) -> Select[Any]:
    """The visit or follow-up `row_id`, if its child is one the caller may read."""
    return (
        select(model)
        .join(Child, Child.id == model.child_id)
        .where(model.id == row_id, readable(principal))
    )


async def get_visit(
    session: AsyncSession, principal: Principal, visit_id: uuid.UUID
) -> Visit | None:
    return (await session.scalars(_of_readable_child(Visit, visit_id, principal))).first()


# -- follow-ups ----------------------------------------------------------------------------------


def follow_ups_stmt(
    principal: Principal,
    *,
    status: str | None,
    overdue: bool | None,
    today: date,
    area_code: str | None,
    child_id: uuid.UUID | None,
) -> Select[Any]:
    stmt = select(FollowUp).join(Child, Child.id == FollowUp.child_id).where(readable(principal))
    if status is not None:
        stmt = stmt.where(FollowUp.status == status)
    if overdue is not None:
        late = and_(FollowUp.status.in_(("open", "in_progress")), FollowUp.due_on < today)
        stmt = stmt.where(late if overdue else ~late)
    if area_code is not None:
        stmt = stmt.where(in_area(Child.village_code, area_code))
    if child_id is not None:
        stmt = stmt.where(FollowUp.child_id == child_id)
    return stmt


async def follow_up_for_update(
    session: AsyncSession, principal: Principal, follow_up_id: uuid.UUID
) -> FollowUp | None:
    stmt = _of_readable_child(FollowUp, follow_up_id, principal).with_for_update(of=FollowUp)
    return (await session.scalars(stmt)).first()


# -- coverage ------------------------------------------------------------------------------------


async def area(session: AsyncSession, code: str) -> Area | None:
    return await session.get(Area, code)


async def areas_under(session: AsyncSession, path: str) -> list[tuple[str, str, str, str | None]]:
    """(code, name, level, parent code) of the areas within `path`, by code."""
    stmt = (
        select(Area.code, Area.name, Area.level, Area.parent_code)
        .where(Area.path.startswith(path))
        .order_by(Area.code)
    )
    return [(a, b, c, d) for a, b, c, d in (await session.execute(stmt)).tuples()]


def due_clause(first: date, last: date) -> Any:
    """Active in the ledger on every day of the month [first, last] (see coverage docstring)."""
    return and_(
        Child.placement == "dispersed",
        Child.approved_on <= first,
        or_(
            and_(Child.revoked_on.is_(None), Child.status.in_(ON_LEDGER)),
            Child.revoked_on > last,
        ),
    )


def _visited_in(first: date) -> Any:
    return exists().where(Visit.child_id == Child.id, Visit.visit_month == first)


async def due_by_village(
    session: AsyncSession, path: str, first: date, last: date
) -> dict[str, tuple[int, int]]:
    """(children due, children visited) in the month, per village within `path`."""
    visited = select(Visit.child_id).where(Visit.visit_month == first).distinct().subquery()
    stmt = (
        select(Child.village_code, func.count(), func.count(visited.c.child_id))
        .join(Area, Area.code == Child.village_code)
        .outerjoin(visited, visited.c.child_id == Child.id)
        .where(Area.path.startswith(path), due_clause(first, last))
        .group_by(Child.village_code)
    )
    return {str(v): (due, seen) for v, due, seen in (await session.execute(stmt)).tuples()}


async def not_visited(
    session: AsyncSession, path: str, first: date, last: date
) -> list[tuple[uuid.UUID, str, str]]:
    """(child id, name, village) of the children due in the month and not visited in it."""
    stmt = (
        select(Child.id, Child.name, Child.village_code)
        .join(Area, Area.code == Child.village_code)
        .where(Area.path.startswith(path), due_clause(first, last), ~_visited_in(first))
        .order_by(Child.village_code, Child.name, Child.id)
    )
    return [(a, b, str(c)) for a, b, c in (await session.execute(stmt)).tuples()]


async def directors_without_visits(
    session: AsyncSession, path: str, first: date, last: date
) -> list[tuple[uuid.UUID, str, str, str, int]]:
    due = (
        select(Child.village_code, func.count().label("n"))
        .where(due_clause(first, last))
        .group_by(Child.village_code)
        .subquery()
    )
    visited = exists().where(Visit.visitor_id == User.id, Visit.visit_month == first)
    stmt = (
        select(User.id, User.username, User.full_name, User.area_code, due.c.n)
        .join(due, due.c.village_code == User.area_code)
        .join(Area, Area.code == User.area_code)
        .where(
            User.role == Role.VILLAGE_DIRECTOR,
            User.is_active.is_(True),
            Area.path.startswith(path),
            ~visited,
        )
        .order_by(User.area_code, User.username)
    )
    return [
        (a, b, c or "", str(d), int(e)) for a, b, c, d, e in (await session.execute(stmt)).tuples()
    ]


def month_bounds(first: date) -> tuple[date, date]:
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)
