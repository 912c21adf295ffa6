"""All SQL of the children's records, their history, proposals and the adult-placement queue."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from app.auth import mandate
from app.auth.principal import Principal
from app.children.access import readable
from app.children.schooling import FULL_TIME_STAGES, SUPPORTED_CATEGORIES
from app.kit.lean import DriverConnection, LeanRow, LeanSelect
from app.kit.pagination import after
from app.kit.rows import one_where
from app.kit.sql import PerKey
from app.models import AdultPlacement, Area, Child, ChildChange, ChildProposal, SubsidyStandard
from app.models.children import ON_LEDGER
from app.subsidies.parameters import ParameterNotInForce, ParameterSet

ILLNESS_LIST = "serious_illness_list"


def _visible(principal: Principal) -> ColumnElement[bool]:
    if principal.kind == "agency":
        return mandate.children(principal)
    return readable(principal)


visible = PerKey(_visible)
"""Staff: their jurisdiction. Agencies (already checked for children:read): the children
their own open referrals concern (`app.auth.mandate`), never the ledger. (Built once per
principal: the clause is immutable, and reused by every statement that names it.)"""


def _by_id(principal: Principal) -> Select[tuple[Child]]:
    return select(Child).where(Child.id == bindparam("child_id"), visible(principal))


def _by_id_for_update(principal: Principal) -> Select[tuple[Child]]:
    return _by_id(principal).with_for_update()


_BY_ID = PerKey(_by_id)
_BY_ID_FOR_UPDATE = PerKey(_by_id_for_update)


async def get_visible(
    session: AsyncSession, principal: Principal, child_id: uuid.UUID, *, for_update: bool = False
) -> Child | None:
    # One statement per caller, its cache key memoised: the read's SQL is not built again.
    stmt = _BY_ID_FOR_UPDATE(principal) if for_update else _BY_ID(principal)
    return (await session.execute(stmt, {"child_id": child_id})).scalar_one_or_none()


def _lean_by_id(principal: Principal) -> LeanSelect:
    return LeanSelect(_by_id(principal), params=("child_id",))


_LEAN_BY_ID = PerKey(_lean_by_id)


async def lean_visible(
    conn: DriverConnection, principal: Principal, child_id: uuid.UUID
) -> LeanRow | None:
    """The child, if the caller may read it, as a plain row (app.kit.lean: no session, no ORM
    instance): the same statement as `get_visible`, for the record's read."""
    return await _LEAN_BY_ID(principal).first(conn, child_id=child_id)


async def is_visible(session: AsyncSession, principal: Principal, child_id: uuid.UUID) -> bool:
    stmt = select(Child.id).where(Child.id == child_id, visible(principal))
    return (await session.execute(stmt)).first() is not None


async def find_active_by_hash(
    session: AsyncSession, id_hash: str, *, exclude: uuid.UUID | None = None
) -> Child | None:
    stmt = select(Child).where(Child.id_number_hash == id_hash, Child.status.in_(ON_LEDGER))
    if exclude is not None:
        stmt = stmt.where(Child.id != exclude)
    return (await session.execute(stmt)).scalars().first()


async def active_hashes(session: AsyncSession, hashes: list[str]) -> set[str]:
    if not hashes:
        return set()
    stmt = select(Child.id_number_hash).where(
        Child.id_number_hash.in_(hashes), Child.status.in_(ON_LEDGER)
    )
    return set((await session.execute(stmt)).scalars().all())


def within_area(code: str | BindParameter[str]) -> ColumnElement[bool]:
    """Children of villages within the area `code` (a village, a town or the district)."""
    path = select(Area.path).where(Area.code == code).scalar_subquery()
    villages = select(Area.code).where(Area.path.startswith(path))
    return Child.village_code.in_(villages)


LIST_KEYS: tuple[Any, ...] = (Child.updated_at, Child.id)
"""The ledger list's order (unique together; index ix_children_updated), its cursor's values."""
JSON_FIELDS: tuple[str, ...] = tuple(
    a.key for a in Child.__mapper__.column_attrs if isinstance(a.columns[0].type, JSONB)
)
"""The record's JSONB columns: the list reads them as their text (parsed for a row whose answer
is not memoised, `app.children.lists`)."""
_LIST_COLUMNS = [
    cast(a.class_attribute, Text).label(a.key) if a.key in JSON_FIELDS else a.class_attribute
    for a in Child.__mapper__.column_attrs
]


def _lean_list(shape: tuple[Principal, frozenset[str], bool]) -> LeanSelect:
    """The ledger list: the children the caller may read (`visible`) of the filters given,
    ordered, after the cursor, a page's size; each filter's value, the cursor's and the page's
    size bind parameters: one statement per caller and filter shape (which filters, a cursor or
    not)."""
    principal, filters, paged = shape
    stmt = select(*_LIST_COLUMNS).where(visible(principal))
    if "category" in filters:
        stmt = stmt.where(Child.category == bindparam("category"))
    if "placement" in filters:
        stmt = stmt.where(Child.placement == bindparam("placement"))
    if "area_code" in filters:
        stmt = stmt.where(within_area(bindparam("area_code")))
    if "status" in filters:
        stmt = stmt.where(Child.status == bindparam("status"))
    if "updated_since" in filters:
        stmt = stmt.where(Child.updated_at >= bindparam("updated_since"))
    cursor: tuple[str, ...] = ()
    if paged:
        cursor = ("after_updated_at", "after_id")
        stmt = stmt.where(after(LIST_KEYS, [bindparam(n) for n in cursor]))
    stmt = stmt.order_by(*LIST_KEYS).limit(bindparam("limit", type_=Integer))
    return LeanSelect(stmt, params=(*sorted(filters), *cursor, "limit"))


_LEAN_LIST = PerKey(_lean_list)


async def lean_list(
    conn: DriverConnection,
    principal: Principal,
    filters: dict[str, Any],
    cursor: tuple[Any, Any] | None,
    limit: int,
) -> tuple[LeanSelect, list[Any]]:
    """Up to `limit` children of the list after `cursor` (the last row's updated_at and
    id) in the list's order: the driver's records (app.kit.lean; the list's memo keys on
    their values) and the statement whose `row(record)` makes each a row."""
    lean = _LEAN_LIST((principal, frozenset(filters), cursor is not None))
    values = dict(filters, limit=limit)
    if cursor is not None:
        values.update(after_updated_at=cursor[0], after_id=cursor[1])
    return lean, await lean.records(conn, **values)


async def serious_illness_list(
    session: AsyncSession, on: date, district_code: str | None = None
) -> tuple[str, ...]:
    """The district's serious-illness list 重病目录 in force on `on` (the parameter's newest
    value from on or before that day, the city-wide one or `district_code`'s override, which
    wins on the same date; the bundled seed where the table has none yet)."""
    own = SubsidyStandard.district_code == district_code
    stmt = (
        select(SubsidyStandard.value)
        .where(
            SubsidyStandard.key == ILLNESS_LIST,
            SubsidyStandard.effective_from <= on,
            SubsidyStandard.district_code.is_(None) | own,
        )
        .order_by(SubsidyStandard.effective_from.desc(), SubsidyStandard.district_code.is_(None))
        .limit(1)
    )
    value = (await session.execute(stmt)).scalar_one_or_none()
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    try:
        return ParameterSet.seed().at(ILLNESS_LIST, on).strings
    except ParameterNotInForce:
        return ()


def reverifications_stmt(
    principal: Principal, *, due_before: date, area_code: str | None, category: str | None
) -> Select[Any]:
    """Active children of the caller's jurisdiction whose category needs a look by `due_before`."""
    stmt = select(Child).where(
        readable(principal),
        Child.status == "active",
        Child.reverify_on.is_not(None),
        Child.reverify_on <= due_before,
    )
    if area_code:
        stmt = stmt.where(within_area(area_code))
    if category:
        stmt = stmt.where(Child.category == category)
    return stmt


async def towns_of(session: AsyncSession, villages: set[str]) -> dict[str, tuple[str, str]]:
    """village code → (town code, town name)."""
    if not villages:
        return {}
    town = Area.__table__.alias("town")
    stmt = (
        select(Area.code, town.c.code, town.c.name)
        .join(town, town.c.code == Area.parent_code)
        .where(Area.code.in_(villages))
    )
    return {v: (t, n) for v, t, n in (await session.execute(stmt)).all()}


async def history(session: AsyncSession, child_id: uuid.UUID) -> list[ChildChange]:
    stmt = select(ChildChange).where(ChildChange.child_id == child_id).order_by(ChildChange.seq)
    return list((await session.execute(stmt)).scalars().all())


async def changes_after(
    session: AsyncSession, child_id: uuid.UUID, version: int
) -> list[ChildChange]:
    """The child's history entries that produced a version above `version`, in order."""
    stmt = (
        select(ChildChange)
        .where(ChildChange.child_id == child_id, ChildChange.version > version)
        .order_by(ChildChange.seq)
    )
    return list((await session.execute(stmt)).scalars().all())


async def may_continue_schooling(session: AsyncSession, today: date) -> list[Child]:
    """Children 18 or older by `today`, in `continued_schooling` or active in a supported
    category and a full-time stage (locked; those locked elsewhere are skipped)."""
    eighteenth = cast(Child.birth_date + func.make_interval(18), Date)
    stmt = (
        select(Child)
        .where(
            eighteenth <= today,
            or_(
                Child.status == "continued_schooling",
                and_(
                    Child.status == "active",
                    Child.category.in_(SUPPORTED_CATEGORIES),
                    Child.school_stage.in_(FULL_TIME_STAGES),
                ),
            ),
        )
        .order_by(Child.id)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(stmt)).scalars().all())


async def due_for_revocation(
    session: AsyncSession, principal: Principal, month_end: date
) -> list[Child]:
    """Active children whose 18th birthday falls on or before `month_end`."""
    eighteenth = Child.birth_date + func.make_interval(18)
    stmt = (
        select(Child)
        .where(readable(principal), Child.status == "active", eighteenth <= month_end)
        .order_by(Child.birth_date, Child.id)
    )
    return list((await session.execute(stmt)).scalars().all())


# -- the adult-placement queue 成年孤儿安置 -------------------------------------------------------


async def enqueue_placement(
    session: AsyncSession, child_id: uuid.UUID, came_of_age_on: date
) -> None:
    stmt = (
        insert(AdultPlacement)
        .values(id=uuid.uuid4(), child_id=child_id, came_of_age_on=came_of_age_on, status="waiting")
        .on_conflict_do_nothing(index_elements=[AdultPlacement.child_id])
    )
    await session.execute(stmt)


async def enqueue_come_of_age(session: AsyncSession, today: date) -> int:
    """Queue every institute orphan who has turned 18 by `today` and is not queued yet."""
    eighteenth = cast(Child.birth_date + func.make_interval(18), Date)
    src = select(func.gen_random_uuid(), Child.id, eighteenth, literal("waiting")).where(
        Child.category == "orphan",
        Child.placement == "institution",
        Child.birth_date + func.make_interval(18) <= today,
        (Child.status == "active") | (Child.revoke_reason == "aged_out"),
    )
    stmt = (
        insert(AdultPlacement)
        .from_select(["id", "child_id", "came_of_age_on", "status"], src)
        .on_conflict_do_nothing(index_elements=[AdultPlacement.child_id])
        .returning(AdultPlacement.id)
    )
    return len((await session.execute(stmt)).all())


async def placement_queue(
    session: AsyncSession, principal: Principal, *, status: str | None = "waiting"
) -> list[tuple[AdultPlacement, str]]:
    """The adult-placement queue with each child's name (the subsidy domain reads this): the
    children the caller may read (their district's institute's)."""
    stmt = select(AdultPlacement, Child.name).join(
        Child, and_(Child.id == AdultPlacement.child_id, readable(principal))
    )
    if status:
        stmt = stmt.where(AdultPlacement.status == status)
    stmt = stmt.order_by(AdultPlacement.came_of_age_on, AdultPlacement.id)
    return [(p, n) for p, n in (await session.execute(stmt)).all()]


# -- proposals 变更申请 ----------------------------------------------------------------------------


async def get_proposal(session: AsyncSession, proposal_id: uuid.UUID) -> ChildProposal | None:
    return await one_where(session, ChildProposal, ChildProposal.id == proposal_id, lock=True)


def proposals_stmt(
    principal: Principal, *, status: str | None, child_id: uuid.UUID | None
) -> Select[Any]:
    stmt = select(ChildProposal).join(
        Child, and_(Child.id == ChildProposal.child_id, readable(principal))
    )
    if status:
        stmt = stmt.where(ChildProposal.status == status)
    if child_id is not None:
        stmt = stmt.where(ChildProposal.child_id == child_id)
    return stmt
