"""All SQL of the phone's sync: the change-log horizon, what changed, the current state."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Select, and_, bindparam, func, literal_column, or_, select, text
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.jurisdiction import area_clause, district_clause
from app.auth.principal import Principal
from app.auth.roles import Role
from app.children.access import readable
from app.kit.lean import DriverConnection, LeanRow, LeanSelect
from app.kit.sql import PerKey
from app.models import (
    Child,
    FollowUp,
    ProtectionFollowUpVisit,
    ProtectionIntake,
    SyncChange,
    SyncState,
    Visit,
)
from app.models.children import ON_LEDGER

# The oldest transaction still in progress in a fresh snapshot (our own excluded: the snapshot's
# xip list never holds it), or the next transaction id when none is. Every transaction with a
# smaller id has ended: its changes are visible to any later snapshot, or never will be.
_HORIZON_SQL = """
    SELECT coalesce(
        (SELECT min(x::text::bigint) FROM pg_snapshot_xip(s.snap) AS x),
        pg_snapshot_xmax(s.snap)::text::bigint)
    FROM (SELECT pg_current_snapshot() AS snap) AS s
"""
_HORIZON = text(_HORIZON_SQL)


async def horizon(session: AsyncSession) -> int:
    return int(await session.scalar(_HORIZON) or 0)


def _scope(principal: Principal, col: Any) -> Any:
    """Change-log areas the caller covers (NULL = the institute: their own district's)."""
    institute = and_(
        col.is_(None),
        SyncChange.child_id.in_(
            select(Child.id).where(district_clause(principal, Child.district_code))
        ),
    )
    if principal.role == Role.INSTITUTION_STAFF:
        return institute
    if principal.is_district:
        return or_(area_clause(principal, col), institute)
    return area_clause(principal, col)


# Changes of transactions below this may have been pruned (sync_state's one row).
_PRUNED_BELOW = select(SyncState.pruned_below_xid).where(SyncState.id == 1).scalar_subquery()


async def changed_children(
    session: AsyncSession, principal: Principal, since_xid: int
) -> tuple[int, int, list[uuid.UUID]]:
    """(the horizon, the pruning horizon, the children changed by transactions at or above
    `since_xid`), read in one statement, hence one snapshot: every transaction below the
    horizon has ended in that snapshot, so the scan sees all of its changes (one round trip for
    an idle phone's sync). Below the pruning horizon, changes may have been pruned."""
    row = (await session.execute(_CHANGED(principal), {"since_xid": since_xid})).one()
    return int(row[0] or 0), int(row[1] or 0), list(row[2] or [])


def _changed(principal: Principal) -> Select[Any]:
    changed = (
        select(SyncChange.child_id)
        .where(
            SyncChange.xid >= bindparam("since_xid"),
            or_(_scope(principal, SyncChange.area_old), _scope(principal, SyncChange.area_new)),
        )
        .distinct()
    )
    return select(
        literal_column(f"({_HORIZON_SQL})"), _PRUNED_BELOW, func.array(changed.scalar_subquery())
    )


# Built once per caller (an idle phone's sync is this one statement): app.kit.sql.PerKey.
_CHANGED = PerKey(_changed)


async def quiet(conn: DriverConnection, principal: Principal, since_xid: int) -> LeanRow:
    """An incremental sync's first look, in one statement (one snapshot, one round trip, no ORM
    session): `horizon` and `pruned_below` as `changed_children` reads them, `changed` whether
    any change of the caller's jurisdiction was made by a transaction at or above `since_xid`
    (EXISTS: the scan stops at the first), and for a village director `due`, the follow-up
    visits due in the village as a JSON array (None when there is none; `app.protection.
    followups.due_from_json`). When nothing changed (and nothing was pruned) this is the whole
    answer; else the caller reads the changes again on the full path, in a later snapshot."""
    row = await _QUIET(principal).first(conn, since_xid=since_xid)
    assert row is not None  # a SELECT without FROM: always one row
    return row


def _quiet(principal: Principal) -> LeanSelect:
    changed = (
        select(SyncChange.seq)
        .where(
            SyncChange.xid >= bindparam("since_xid", type_=BigInteger),
            or_(_scope(principal, SyncChange.area_old), _scope(principal, SyncChange.area_new)),
        )
        .exists()
    )
    columns: list[Any] = [
        literal_column(f"({_HORIZON_SQL})", BigInteger).label("horizon"),
        _PRUNED_BELOW.label("pruned_below"),
        changed.label("changed"),
    ]
    if principal.role == Role.VILLAGE_DIRECTOR and principal.area_code is not None:
        columns.append(_due_of_village(principal.area_code).label("due"))
    return LeanSelect(select(*columns), params=("since_xid",))


def _due_of_village(village_code: str) -> Any:
    """The follow-up visits still to make in one village, as a JSON array in the order of
    `app.protection.repository.due_follow_ups_of_village` (the same rows, the same columns)."""
    v, i = ProtectionFollowUpVisit, ProtectionIntake
    fields = ("id", "intake_id", "village_code", "seq", "due_on", "visited_on", "note")
    item = func.json_build_object(
        *(x for f in fields for x in (f, getattr(v, f))),
        "child_name",
        i.child_name,
        "family_address",
        i.family_address,
    )
    return (
        select(func.json_agg(aggregate_order_by(item, v.due_on, v.id)))
        .select_from(v)
        .join(i, i.id == v.intake_id)
        .where(v.village_code == village_code, v.visited_on.is_(None))
        .scalar_subquery()
    )


# Built once per caller, compiled once (app.kit.lean): an idle phone's sync is this statement.
_QUIET = PerKey(_quiet)


# Forget the changes older than a cutoff, and raise the pruning horizon above every one of them
# (in the same statement: a cursor either is at or above it and lost nothing, or starts over).
_PRUNE = text(
    """
    WITH gone AS (DELETE FROM sync_changes WHERE at < :cutoff RETURNING xid)
    INSERT INTO sync_state AS s (id, pruned_below_xid, pruned_at)
    VALUES (1, coalesce((SELECT max(xid) + 1 FROM gone), 0), :now)
    ON CONFLICT (id) DO UPDATE
    SET pruned_below_xid = greatest(s.pruned_below_xid, EXCLUDED.pruned_below_xid),
        pruned_at = EXCLUDED.pruned_at
    RETURNING (SELECT count(*) FROM gone)
    """
)


async def prune_changes(session: AsyncSession, cutoff: datetime, now: datetime) -> int:
    """Delete the change-log rows written before `cutoff`; how many."""
    return int((await session.execute(_PRUNE, {"cutoff": cutoff, "now": now})).scalar_one())


async def children(
    session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID] | None
) -> list[Child]:
    """Active children in the caller's jurisdiction (all of them, or those of `ids`)."""
    stmt = select(Child).where(readable(principal), Child.status.in_(ON_LEDGER))
    if ids is not None:
        stmt = stmt.where(Child.id.in_(ids))
    return list(await session.scalars(stmt.order_by(Child.id)))


async def statuses(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await session.execute(select(Child.id, Child.status).where(Child.id.in_(ids)))
    return {a: b for a, b in rows.tuples()}


async def last_visits(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Visit]:
    if not ids:
        return {}
    stmt = (
        select(Visit)
        .where(Visit.child_id.in_(ids))
        .order_by(Visit.child_id, Visit.visited_at.desc(), Visit.id)
        .distinct(Visit.child_id)
    )
    return {v.child_id: v for v in await session.scalars(stmt)}


async def open_follow_ups(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[FollowUp]]:
    out: dict[uuid.UUID, list[FollowUp]] = {}
    if not ids:
        return out
    stmt = (
        select(FollowUp)
        .where(FollowUp.child_id.in_(ids), FollowUp.status.in_(("open", "in_progress")))
        .order_by(FollowUp.due_on, FollowUp.id)
    )
    for f in await session.scalars(stmt):
        out.setdefault(f.child_id, []).append(f)
    return out


async def child_for_update(
    session: AsyncSession, principal: Principal, child_id: uuid.UUID
) -> Child | None:
    stmt = (
        select(Child)
        .where(Child.id == child_id, readable(principal), Child.status.in_(ON_LEDGER))
        .with_for_update()
    )
    return (await session.scalars(stmt)).first()
