"""SQL of the caring-mother programme. Which pairings, contacts and wishes exist for a caller is
decided by the child's row: `app.children.access.readable` (the ledger's one jurisdiction clause;
the second wave's roles get no rows from it). The women's federation reads every pairing of its
programme (`everyone=True`): of its own district when it is a district's client, of every
district when it is the city's; projected by the service."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, exists, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from app.auth.jurisdiction import district_clause
from app.auth.principal import Principal
from app.children.access import readable
from app.children.access import readable_child as readable_child
from app.kit.listing import where_given
from app.kit.pagination import paginate
from app.kit.rows import one_where
from app.kit.sql import insert_ignoring_conflicts, table_of
from app.models import (
    Area,
    CaringMother,
    CaringMotherContact,
    CaringMotherPairing,
    CaringMotherWish,
    Child,
)

P, C = CaringMotherPairing, CaringMotherContact
_VILLAGE = aliased(Area)


def _reach(principal: Principal, everyone: bool) -> ColumnElement[bool]:
    """The children whose pairings the caller lists: the staff's `readable`; the federation
    (`everyone`) its programme's children of its own district (a city client: every
    district's, as `app.auth.mandate` bounds an agency's referrals)."""
    if not everyone:
        return readable(principal)
    if principal.kind == "agency" and principal.district_code is not None:
        return Child.district_code == principal.district_code
    return true()


# -- mothers -----------------------------------------------------------------------------------


async def mother(
    session: AsyncSession, principal: Principal, mother_id: uuid.UUID, *, lock: bool = False
) -> CaringMother | None:
    """A caring mother of the caller's district (another district's: None)."""
    stmt = select(CaringMother).where(
        CaringMother.id == mother_id, district_clause(principal, CaringMother.district_code)
    )
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def mothers_page(
    session: AsyncSession, principal: Principal, *, limit: int, cursor: str | None
) -> tuple[list[CaringMother], str | None]:
    stmt = select(CaringMother).where(district_clause(principal, CaringMother.district_code))
    return await paginate(
        session, stmt, [CaringMother.created_at, CaringMother.id], limit=limit, cursor=cursor
    )


async def active_pairings(session: AsyncSession, mother_ids: Sequence[uuid.UUID]) -> dict[Any, int]:
    stmt = (
        select(P.mother_id, func.count())
        .where(P.mother_id.in_(mother_ids), P.status == "active")
        .group_by(P.mother_id)
    )
    return {m: int(n) for m, n in (await session.execute(stmt)).tuples()}


# -- children ----------------------------------------------------------------------------------


# -- pairings ----------------------------------------------------------------------------------


async def active_pairing_of(
    session: AsyncSession, mother_id: uuid.UUID, child_id: uuid.UUID
) -> CaringMotherPairing | None:
    return await one_where(
        session, P, P.mother_id == mother_id, P.child_id == child_id, P.status == "active"
    )


async def pairing(
    session: AsyncSession, principal: Principal, pairing_id: uuid.UUID, *, lock: bool = False
) -> CaringMotherPairing | None:
    """The pairing, when its child is the caller's (locked for a write)."""
    stmt = (
        select(P).join(Child, Child.id == P.child_id).where(P.id == pairing_id, readable(principal))
    )
    if lock:
        stmt = stmt.with_for_update(of=P)
    return (
        await session.execute(stmt.execution_options(populate_existing=True))
    ).scalar_one_or_none()


def _last_contact() -> Any:
    return (
        select(func.max(C.contacted_on)).where(C.pairing_id == P.id).correlate(P).scalar_subquery()
    )


def _contacts() -> Any:
    return select(func.count()).where(C.pairing_id == P.id).correlate(P).scalar_subquery()


async def pairing_rows(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
    """Everything an answer shows of the pairings `ids`, in the order given."""
    stmt = (
        select(
            P,
            CaringMother.name.label("mother_name"),
            CaringMother.organisation,
            Child.name.label("child_name"),
            Child.gender.label("child_gender"),
            Child.village_code,
            _VILLAGE.parent_code.label("town_code"),
            _last_contact().label("last_contact_on"),
            _contacts().label("contacts"),
        )
        .join(CaringMother, CaringMother.id == P.mother_id)
        .join(Child, Child.id == P.child_id)
        .outerjoin(_VILLAGE, _VILLAGE.code == Child.village_code)
        .where(P.id.in_(ids))
    )
    found = {r[0].id: r for r in (await session.execute(stmt)).all()}
    return [found[i] for i in ids if i in found]


def _pairings(
    principal: Principal,
    *,
    everyone: bool,
    status: str | None,
    child_id: uuid.UUID | None,
    mother_id: uuid.UUID | None,
) -> Any:
    return where_given(
        select(P).join(Child, Child.id == P.child_id).where(_reach(principal, everyone)),
        (P.status, status),
        (P.child_id, child_id),
        (P.mother_id, mother_id),
    )


async def pairings_page(
    session: AsyncSession,
    principal: Principal,
    *,
    everyone: bool,
    status: str | None,
    child_id: uuid.UUID | None,
    mother_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[CaringMotherPairing], str | None]:
    stmt = _pairings(
        principal, everyone=everyone, status=status, child_id=child_id, mother_id=mother_id
    )
    return await paginate(session, stmt, [P.since, P.id], limit=limit, cursor=cursor)


async def without_contact_page(
    session: AsyncSession, principal: Principal, cutoff: date, *, limit: int, cursor: str | None
) -> tuple[list[CaringMotherPairing], str | None]:
    """Active pairings begun on or before `cutoff` with no contact after it."""
    recent = exists().where(C.pairing_id == P.id, C.contacted_on > cutoff)
    stmt = (
        select(P)
        .join(Child, Child.id == P.child_id)
        .where(readable(principal), P.status == "active", P.since <= cutoff, ~recent)
    )
    return await paginate(session, stmt, [P.since, P.id], limit=limit, cursor=cursor)


# -- contacts ----------------------------------------------------------------------------------


async def contact(session: AsyncSession, contact_id: uuid.UUID) -> CaringMotherContact | None:
    return await one_where(session, C, C.id == contact_id, fresh=True)


async def insert_contact(session: AsyncSession, row: dict[str, Any]) -> CaringMotherContact | None:
    """INSERT … ON CONFLICT (id) DO NOTHING: the contact, or None when the id is taken (a
    concurrent duplicate waited here for the first one's commit)."""
    table = table_of(C)
    stmt = insert_ignoring_conflicts(table, "id").returning(*table.c)
    return (await session.scalars(select(C).from_statement(stmt), [row])).one_or_none()


# -- wishes ------------------------------------------------------------------------------------


async def wish(session: AsyncSession, child_id: uuid.UUID) -> CaringMotherWish | None:
    return await one_where(session, CaringMotherWish, CaringMotherWish.child_id == child_id)


def _paired() -> Any:
    return exists().where(P.child_id == CaringMotherWish.child_id, P.status == "active")


async def wish_rows(
    session: AsyncSession,
    principal: Principal,
    *,
    unmatched: bool,
    limit: int,
    cursor: str | None,
) -> tuple[list[Row[Any]], str | None]:
    """Wishes of the caller's children (`unmatched`: children still on the ledger with no
    active pairing), oldest wish first."""
    keys = [CaringMotherWish.wished_on, CaringMotherWish.child_id]
    base = (
        select(CaringMotherWish)
        .join(Child, Child.id == CaringMotherWish.child_id)
        .where(readable(principal))
    )
    if unmatched:
        base = base.where(Child.status != "revoked", ~_paired())
    wishes, next_cursor = await paginate(session, base, keys, limit=limit, cursor=cursor)
    return await wish_details(session, [w.child_id for w in wishes]), next_cursor


async def wish_details(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
    """The wishes of the children `ids` with the child's name and village, in the order given."""
    if not ids:
        return []
    stmt = (
        select(
            CaringMotherWish,
            Child.name.label("child_name"),
            Child.village_code,
            _paired().label("paired"),
        )
        .join(Child, Child.id == CaringMotherWish.child_id)
        .where(CaringMotherWish.child_id.in_(ids))
    )
    found = {r[0].child_id: r for r in (await session.execute(stmt)).all()}
    return [found[i] for i in ids if i in found]
