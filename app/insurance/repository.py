"""SQL of the insurance enrolment. Which enrolments and children exist for a caller is the
ledger's own clause (`app.children.access.readable`): the district sees every child, a town
supervisor the dispersed children of their town's villages; a row outside is a 404."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, exists, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.auth.principal import Principal
from app.children.access import readable as child_readable
from app.children.access import readable_child as readable_child
from app.children.repository import within_area
from app.kit.listing import where_given
from app.kit.rows import insert_unless_exists, one_where
from app.models import Child, InsuranceEnrolment, InsuranceScheme

E = InsuranceEnrolment
S = InsuranceScheme
# An enrolment in these states settles the child for the year: nothing more to do.
SETTLED = ("submitted", "enrolled", "not_required")


def _in_force(on: date) -> ColumnElement[bool]:
    """The newest row of each scheme and year effective on `on` (effective-dated parameters)."""
    newer = S.__table__.alias("newer")
    return and_(
        S.effective_from <= on,
        ~exists().where(
            newer.c.scheme == S.scheme,
            newer.c.year == S.year,
            newer.c.effective_from > S.effective_from,
            newer.c.effective_from <= on,
        ),
    )


async def scheme_in_force(
    session: AsyncSession, scheme: str, year: int, on: date
) -> InsuranceScheme | None:
    return await one_where(session, S, S.scheme == scheme, S.year == year, _in_force(on))


async def schemes(
    session: AsyncSession, year: int | None, scheme: str | None, on: date
) -> list[tuple[InsuranceScheme, bool]]:
    """Every parameter row (of `year`, `scheme`), with whether it is the one in force on `on`."""
    in_force = select(S.id).where(_in_force(on)).scalar_subquery()
    stmt = select(S, S.id.in_(in_force)).order_by(S.year, S.scheme, S.effective_from)
    stmt = where_given(stmt, (S.year, year), (S.scheme, scheme))
    return [(row, bool(flag)) for row, flag in (await session.execute(stmt)).tuples()]


async def insert_scheme(session: AsyncSession, values: dict[str, Any]) -> InsuranceScheme | None:
    return await insert_unless_exists(session, S, values, ("scheme", "year", "effective_from"))


def _readable(principal: Principal, *where: Any) -> Select[tuple[InsuranceEnrolment, Child]]:
    """The enrolments meeting `where`, each with its child, of the children the caller may read."""
    return (
        select(E, Child)
        .join(Child, Child.id == E.child_id)
        .where(child_readable(principal), *where)
    )


async def enrolment(
    session: AsyncSession, principal: Principal, enrolment_id: uuid.UUID, *, lock: bool = False
) -> tuple[InsuranceEnrolment, Child] | None:
    stmt = _readable(principal, E.id == enrolment_id)
    if lock:
        stmt = stmt.with_for_update(of=E)
    row = (await session.execute(stmt.execution_options(populate_existing=True))).first()
    return None if row is None else (row[0], row[1])


def enrolments_stmt(
    principal: Principal,
    *,
    year: int | None,
    scheme: str | None,
    status: str | None,
    area_code: str | None,
    child_id: uuid.UUID | None,
) -> Select[Any]:
    stmt = select(E).join(Child, Child.id == E.child_id).where(child_readable(principal))
    stmt = where_given(stmt, (E.year, year), (E.scheme, scheme), (E.status, status))
    if area_code is not None:
        stmt = stmt.where(within_area(area_code))
    if child_id is not None:
        stmt = stmt.where(E.child_id == child_id)
    return stmt


async def children(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Child]:
    if not ids:
        return {}
    rows = await session.execute(select(Child).where(Child.id.in_(set(ids))))
    return {c.id: c for c in rows.scalars()}


def eligible_clause(categories: Sequence[str], year: int) -> ColumnElement[bool]:
    """On the ledger today, in a category the scheme covers, under 18 on the year's first day
    (a child whose 18th birthday is 1 January or earlier is an adult for the whole year)."""
    return and_(
        Child.status == "active",
        Child.category.in_(list(categories)),
        Child.birth_date > date(year - 18, 1, 1),
    )


def worklist_stmt(
    principal: Principal,
    *,
    scheme: str,
    year: int,
    categories: Sequence[str],
    area_code: str | None,
) -> Select[Any]:
    """The children due for `scheme` and `year`: eligible, and without an enrolment that
    settles the year (a `due` or `refused_by_insurer` row keeps them on the list)."""
    settled = exists().where(
        E.child_id == Child.id, E.scheme == scheme, E.year == year, E.status.in_(SETTLED)
    )
    stmt = select(Child).where(
        child_readable(principal), eligible_clause(categories, year), ~settled
    )
    if area_code is not None:
        stmt = stmt.where(within_area(area_code))
    return stmt


async def enrolments_of(
    session: AsyncSession, child_ids: Sequence[uuid.UUID], scheme: str, year: int
) -> dict[uuid.UUID, InsuranceEnrolment]:
    if not child_ids:
        return {}
    stmt = select(E).where(E.child_id.in_(list(child_ids)), E.scheme == scheme, E.year == year)
    return {e.child_id: e for e in (await session.execute(stmt)).scalars()}


async def insert_due(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """`due` rows; a child that has a row for the scheme and year already keeps it."""
    if not rows:
        return 0
    stmt = (
        insert(E)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["child_id", "scheme", "year"])
        .returning(E.id)
    )
    return len((await session.execute(stmt)).all())


async def to_submit(
    session: AsyncSession, principal: Principal, scheme: str, year: int
) -> list[tuple[InsuranceEnrolment, Child]]:
    """The enrolments of the insurer's submission file: due (now sent) and submitted (again)."""
    stmt = (
        _readable(principal, E.scheme == scheme, E.year == year, E.status.in_(("due", "submitted")))
        .order_by(Child.village_code, Child.id)
        .with_for_update(of=E)
    )
    return [(e, c) for e, c in (await session.execute(stmt)).tuples()]


async def leaving(
    session: AsyncSession,
    principal: Principal,
    scheme: str,
    year: int,
    categories: Sequence[str],
) -> list[tuple[InsuranceEnrolment, Child]]:
    """Enrolled last year and not eligible this year (turned 18, left the ledger, category no
    longer covered), and not enrolled for this year: the insurer stops their cover."""
    now = E.__table__.alias("this_year")
    this_year = exists().where(
        now.c.child_id == Child.id,
        now.c.scheme == scheme,
        now.c.year == year,
        now.c.status == "enrolled",
    )
    last_year = (E.scheme == scheme, E.year == year - 1, E.status == "enrolled")
    stmt = _readable(
        principal, *last_year, ~eligible_clause(categories, year), ~this_year
    ).order_by(Child.village_code, Child.id)
    return [(e, c) for e, c in (await session.execute(stmt)).tuples()]


async def by_id_hash(
    session: AsyncSession, principal: Principal, hashes: Sequence[str], scheme: str, year: int
) -> dict[str, tuple[InsuranceEnrolment, Child]]:
    """The year's enrolments of the children with these ID hashes, by hash (locked)."""
    if not hashes:
        return {}
    stmt = _readable(
        principal, Child.id_number_hash.in_(list(hashes)), E.scheme == scheme, E.year == year
    ).with_for_update(of=E)
    return {c.id_number_hash: (e, c) for e, c in (await session.execute(stmt)).tuples()}


async def premiums(
    session: AsyncSession, year: int, district: str | None = None
) -> dict[str, tuple[int, int]]:
    """scheme → (children enrolled, premium fen) of the year's enrolments (of `district`'s
    children when given)."""
    stmt = (
        select(E.scheme, func.count(), func.coalesce(func.sum(E.premium_fen), 0))
        .where(E.year == year, E.status == "enrolled")
        .group_by(E.scheme)
    )
    if district is not None:
        stmt = stmt.where(E.child_id.in_(select(Child.id).where(Child.district_code == district)))
    return {s: (int(n), int(fen or 0)) for s, n, fen in (await session.execute(stmt)).tuples()}


def premium_spending(year: int) -> Select[Any]:
    """(heading, month "YYYY-MM", fen) of the premiums of `year`'s enrolments, for the subsidy
    spending: in the month the cover was confirmed, within the insurance year (rule we set: an
    enrolment confirmed before 1 January counts in January)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    day = func.least(func.greatest(func.coalesce(E.enrolled_on, first), first), last)
    month = func.to_char(day, "YYYY-MM")
    return (
        select(text("'medical_insurance'"), month, func.sum(E.premium_fen))
        .where(E.year == year, E.status == "enrolled", E.premium_fen.is_not(None))
        .group_by(month)
    )
