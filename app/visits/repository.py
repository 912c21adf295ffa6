"""All SQL of visits, follow-ups, quality flags and coverage."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, exists, func, insert, or_, select, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.auth.principal import Principal
from app.auth.roles import Role
from app.children.access import readable
from app.kit import audit_chain
from app.kit.lean import (
    DriverConnection,
    LeanRow,
    LeanSelect,
    Processor,
    json_text,
    lean_row,
    result_processor,
)
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


# -- one visit, in one statement (issue 30) -------------------------------------------------------

_VISIT_TABLE = table_of(Visit)
# Every column a new visit sets (the database sets created_at and updated_at; incident_id
# stays NULL until an incident links it), and their SQL types.
_VISIT_VALUES = {
    "id": "uuid",
    "child_id": None,  # the child found (c.id)
    "visited_at": "timestamptz",
    "visit_month": "date",
    "mode": "varchar",
    "findings": "jsonb",
    "difficulties": "jsonb",
    "suspected_infringement": "boolean",
    "notes": "text",
    "notes_hash": "varchar",
    "lat": "float8",
    "lon": "float8",
    "photos": "jsonb",
    "village_code": None,  # the child's village if it lives in one (dispersed)
    "visitor_id": "uuid",
    "visitor_name": "varchar",
    "body_hash": "varchar",
}
_JSON_VALUES = ("findings", "difficulties", "photos")
_EXTRA = (
    "town",
    "dense",
    "same_notes_ids",
    "same_notes_children",
    "centre_lat",
    "centre_lon",
    "audit_prev_hash",
    "audit_ids",
)

# The child (the caller's jurisdiction; `{child}`), the INSERT … ON CONFLICT (id) DO NOTHING
# of the visit if its day is within the child's time on the ledger, the densest hour of the
# visitor's visits around it (repository.densest_hours for one visit: the statement does not
# see its own insert, so the new visit joins the stored ones as a row of its own) with the
# burst flag's INSERT, and what the two other flags need: the latest visits of other children
# with the same notes, the village's centroid; last, once the visit is in, the audit chain's
# lock, head and ids for its entries (`audit_reserve`, called for the inserted row only: the
# lock is held from there until the commit, as when the session's flush takes it). No row:
# nothing inserted (a refused visit or a taken id, for the caller to sort out).
_ONE_VISIT = """
WITH c AS ({child}),
ins AS (
    INSERT INTO visits ({columns})
    SELECT {values}
    FROM c
    WHERE c.approved_on <= {day}::date AND (c.revoked_on IS NULL OR {day}::date < c.revoked_on)
    ON CONFLICT (id) DO NOTHING
    RETURNING {returning}
),
dense AS (
    SELECT coalesce(max(w.n), 0) AS n
    FROM (
        SELECT t.at, count(*) OVER (
            ORDER BY t.at RANGE BETWEEN CURRENT ROW AND {span}::interval FOLLOWING
        ) AS n
        FROM (
            SELECT v.visited_at AS at FROM visits v
            WHERE v.visitor_id = {visitor_id}::uuid
              AND v.visited_at > {visited_at}::timestamptz - {hour}::interval
              AND v.visited_at < {visited_at}::timestamptz + {hour}::interval
              AND v.id <> {id}::uuid
            UNION ALL SELECT {visited_at}::timestamptz
        ) AS t
    ) AS w
    WHERE w.at <= {visited_at}::timestamptz
),
burst AS (
    INSERT INTO visit_flags (visit_id, child_id, visitor_id, kind, detail)
    SELECT ins.id, ins.child_id, ins.visitor_id, 'burst',
           jsonb_build_object('visits_in_one_hour', dense.n)
    FROM ins, dense
    WHERE dense.n > {max_per_hour}::int
    ON CONFLICT DO NOTHING
)
SELECT ins.*, c.town, dense.n, same.ids, same.children, loc.lat, loc.lon,
       audit.prev_hash, audit.ids
FROM ins
CROSS JOIN c
CROSS JOIN dense
LEFT JOIN LATERAL (
    SELECT array_agg(o.id ORDER BY o.visited_at DESC) AS ids, array_agg(o.child_id) AS children
    FROM (
        SELECT v.id, v.child_id, v.visited_at FROM visits v
        WHERE v.notes_hash = ins.notes_hash AND v.child_id <> ins.child_id AND v.id <> ins.id
        ORDER BY v.visited_at DESC
        LIMIT {same_notes_limit}::int
    ) AS o
    WHERE ins.notes_hash IS NOT NULL
) AS same ON true
LEFT JOIN area_locations loc
    ON loc.code = ins.village_code AND ins.lat IS NOT NULL AND ins.lon IS NOT NULL
CROSS JOIN LATERAL audit_reserve(
    {audit_lock}::bigint, CASE WHEN ins.id IS NOT NULL THEN {audit_entries}::int END
) AS audit
"""


class _OneVisit:
    """`_ONE_VISIT` for one caller (its jurisdiction in the child's query), compiled once."""

    def __init__(self, principal: Principal) -> None:
        village = aliased(Area)  # aliased: `readable` has its own subquery on areas
        self.child = LeanSelect(
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
        self._compiled: tuple[str, list[str], dict[str, Any], list[Processor]] | None = None

    def compile(self, dialect: Dialect) -> tuple[str, list[str], dict[str, Any], list[Processor]]:
        if self._compiled is None:
            child_sql, order, fixed, _ = self.child.compile(dialect)
            names = list(order)

            def arg(name: str) -> str:
                if name not in names:
                    names.append(name)
                return f"${names.index(name) + 1}"

            special = {
                "child_id": "c.id",
                "village_code": "CASE WHEN c.placement = 'dispersed' THEN c.village_code END",
            }
            values = ", ".join(
                special[k] if cast is None else f"{arg(k)}::{cast}"
                for k, cast in _VISIT_VALUES.items()
            )
            sql = _ONE_VISIT.format(
                child=child_sql,
                columns=", ".join(_VISIT_VALUES),
                values=values,
                returning=", ".join(c.key for c in _VISIT_TABLE.c),
                **{
                    k: arg(k)
                    for k in (
                        "day",
                        "span",
                        "visitor_id",
                        "visited_at",
                        "hour",
                        "id",
                        "max_per_hour",
                        "same_notes_limit",
                        "audit_lock",
                        "audit_entries",
                    )
                },
            )
            procs = [result_processor(c, dialect) for c in _VISIT_TABLE.c]
            self._compiled = (sql, names, fixed, procs)
        return self._compiled


_ONE_VISITS = PerKey(_OneVisit)


async def create_visit_row(
    conn: DriverConnection,
    principal: Principal,
    values: dict[str, Any],
    *,
    day: date,
    hour: timedelta,
    max_per_hour: int,
    same_notes_limit: int,
    audit_entries: int,
) -> LeanRow | None:
    """One visit's lookup, insert and quality flags in one round trip (see `_ONE_VISIT`), on
    the session's connection. `values`: the visit's columns but `village_code` (the child's,
    when it lives in a village). The row stored, with `town` (its village's town), `dense` (the
    densest hour's visits, the burst flag already stored if over `max_per_hour`),
    `same_notes_ids`/`same_notes_children` (the latest visits of other children with the same
    notes, newest first; None when none) and `centre_lat`/`centre_lon` (its village's centroid
    when the visit has a location), `audit_prev_hash`/`audit_ids` (the chain's head and
    `audit_entries` ids: `app.kit.lean.write_audit` writes the entries, the lock is held).
    None when nothing was inserted: the child is not the caller's, the day is outside its
    time on the ledger, or the id is taken (no audit id reserved, no lock taken)."""
    sql, order, fixed, procs = _ONE_VISITS(principal).compile(conn.dialect)
    merged = fixed | {k: (json_text(v) if k in _JSON_VALUES else v) for k, v in values.items()}
    merged |= {
        "day": day,
        "hour": hour,
        "span": hour - timedelta(microseconds=1),
        "max_per_hour": max_per_hour,
        "same_notes_limit": same_notes_limit,
        "audit_lock": audit_chain.LOCK_KEY,
        "audit_entries": audit_entries,
    }
    record = await conn.fetchrow(sql, *[merged[k] for k in order])
    if record is None:
        return None
    row = lean_row([c.key for c in _VISIT_TABLE.c], procs, list(record)[: len(_VISIT_TABLE.c)])
    row.__dict__.update(zip(_EXTRA, list(record)[len(_VISIT_TABLE.c) :], strict=True))
    return row


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
