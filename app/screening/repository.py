"""The screening domain's read SQL (the import's writes are in `imports.merge`).

Jurisdiction: a record belongs to a village and, through it, a town (`town_code` is stored
with the record, so a town's records are one index range). Village directors read their
village, town supervisors their town, district roles the district. A partner agency reads only
the records of the children its own open referrals concern (`app.auth.mandate`), never the
table; the district's counts (`stats_cells`) hold no personal data and stay open to it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, false, func, literal, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.auth import mandate
from app.auth.principal import Principal
from app.auth.roles import Role
from app.kit.pagination import decode_cursor, encode_cursor
from app.kit.rows import one_where
from app.models import (
    Area,
    ScreeningImport,
    ScreeningRecord,
    ScreeningRecordChange,
    ScreeningStat,
    ScreeningStatsState,
)
from app.screening.imports.merge import age_band_sql

R = ScreeningRecord


async def area(session: AsyncSession, code: str) -> Area | None:
    return await session.get(Area, code)


def scope_clause(level: str, code: str) -> ColumnElement[bool]:
    """Records within an area given by its level and code."""
    if level == "village":
        return R.village_code == code
    if level == "town":
        return R.town_code == code
    if level == "district":
        return R.town_code.in_(_towns_of(code))
    return false()


def _towns_of(district_code: str) -> Select[tuple[str]]:
    """The towns of a district (a city holds several: a district reaches its own only)."""
    return select(Area.code).where(Area.parent_code == district_code, Area.level == "town")


def readable_clause(principal: Principal) -> ColumnElement[bool]:
    """The records that exist for this caller (agencies: those their open referrals concern)."""
    if principal.kind == "agency":
        if "screening:read" not in principal.scopes:
            return false()
        return mandate.screening_records(principal)
    if principal.role == Role.INSTITUTION_STAFF or principal.area_code is None:
        return false()
    return scope_clause(principal.area_level or "", principal.area_code)


# ------------------------------------------------------------------------------ imports


async def get_import(session: AsyncSession, import_id: uuid.UUID) -> ScreeningImport | None:
    return await session.get(ScreeningImport, import_id)


async def get_import_for_update(
    session: AsyncSession, import_id: uuid.UUID
) -> ScreeningImport | None:
    result = await session.execute(
        select(ScreeningImport).where(ScreeningImport.id == import_id).with_for_update()
    )
    return result.scalar_one_or_none()


async def import_errors_page(
    session: AsyncSession, import_id: uuid.UUID, after_id: int, limit: int
) -> list[tuple[int, int, str, str, str]]:
    """Rejected rows after `after_id` in insertion (= file) order:
    (id, row, column, reason, rejected value)."""
    rows = await session.execute(
        text(
            "SELECT id, row_number, \"column\", reason, coalesce(value, '') "
            "FROM screening_import_errors "
            "WHERE import_id = :imp AND id > :after ORDER BY id LIMIT :lim"
        ),
        {"imp": import_id, "after": after_id, "lim": limit},
    )
    return [(int(i), int(r), c, reason, v) for i, r, c, reason, v in rows.tuples()]


# ------------------------------------------------------------------------------ records


def birth_on_or_before(today: date, years: int) -> date:
    """The latest birth date of someone aged at least `years` on `today` (29 Feb → 28 Feb)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def records_query(
    where: list[ColumnElement[bool]],
    *,
    classification: str | None,
    area_clause: ColumnElement[bool] | None,
    age_min: int | None,
    age_max: int | None,
    today: date,
    school_status: str | None,
    name_prefix: str | None,
    id_number_key: bytes | None,
    updated_since: datetime | None,
) -> Select[Any]:
    stmt = select(R).where(*where)
    if area_clause is not None:
        stmt = stmt.where(area_clause)
    if classification == "flagged":
        stmt = stmt.where(R.flagged.is_(True))
    elif classification is not None:
        stmt = stmt.where(R.classification == classification)
    if age_min is not None:
        stmt = stmt.where(R.birth_date <= birth_on_or_before(today, age_min))
    if age_max is not None:
        stmt = stmt.where(R.birth_date > birth_on_or_before(today, age_max + 1))
    if school_status is not None:
        stmt = stmt.where(R.school_status == school_status)
    if id_number_key is not None:
        # a record with an ID number has the ID's HMAC as its identity key: the index finds it
        stmt = stmt.where(R.identity_key == id_number_key, R.id_number_enc.is_not(None))
    elif name_prefix is not None:
        escaped = name_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(R.name.like(escaped + "%", escape="\\"))
    if updated_since is not None:
        stmt = stmt.where(R.updated_at > updated_since)
    return stmt


async def page(
    session: AsyncSession, stmt: Select[Any], *, limit: int, cursor: str | None
) -> tuple[list[ScreeningRecord], str | None]:
    """A keyset page in (updated_at, id) order: a row comparison the index serves directly."""
    if cursor:
        at, rid = decode_cursor(cursor, 2)
        if not isinstance(at, datetime) or not isinstance(rid, uuid.UUID):
            from app.errors import ValidationFailed

            raise ValidationFailed(errors=[("cursor", "分页游标无效", "Invalid cursor")])
        stmt = stmt.where(tuple_(R.updated_at, R.id) > tuple_(literal(at), literal(rid)))
    stmt = stmt.order_by(R.updated_at, R.id).limit(limit + 1)
    rows = list((await session.execute(stmt)).scalars().all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].updated_at, rows[-1].id])
    return rows, next_cursor


async def get_record(
    session: AsyncSession, record_id: uuid.UUID, readable: ColumnElement[bool]
) -> ScreeningRecord | None:
    return await one_where(session, R, R.id == record_id, readable)


async def history(session: AsyncSession, record_id: uuid.UUID) -> list[ScreeningRecordChange]:
    stmt = (
        select(ScreeningRecordChange)
        .where(ScreeningRecordChange.record_id == record_id)
        .order_by(ScreeningRecordChange.id)
    )
    return list((await session.execute(stmt)).scalars().all())


# ------------------------------------------------------------------------------ statistics


async def stats_as_of(session: AsyncSession) -> date | None:
    return (
        await session.execute(select(ScreeningStatsState.as_of).where(ScreeningStatsState.id == 1))
    ).scalar_one_or_none()


async def stats_cells(
    session: AsyncSession, level: str, code: str, today: date, *, precounted: bool
) -> list[tuple[str, str, bool, str, str, int]]:
    """(town, classification, flagged, school_status, age_band, n) cells of the area.

    From the pre-aggregated table when it is counted on `today` (`precounted`), else by a
    GROUP BY over the records themselves (only until the daily recount has run).
    """
    if precounted:
        s = ScreeningStat
        where: ColumnElement[bool] = false()
        if level == "village":
            where = s.village_code == code
        elif level == "town":
            where = s.town_code == code
        elif level == "district":
            where = s.town_code.in_(_towns_of(code))
        stmt = (
            select(
                s.town_code,
                s.classification,
                s.flagged,
                s.school_status,
                s.age_band,
                func.sum(s.n),
            )
            .where(where, s.n != 0)
            .group_by(s.town_code, s.classification, s.flagged, s.school_status, s.age_band)
        )
        rows = (await session.execute(stmt)).tuples().all()
        return [(t, c, f, sc, b, int(n)) for t, c, f, sc, b, n in rows]
    band = age_band_sql("birth_date", "CAST(:today AS date)")
    scope = {
        "village": "village_code = :code",
        "town": "town_code = :code",
        "district": "town_code IN (SELECT code FROM areas WHERE parent_code = :code)",
    }.get(level, "FALSE")
    result = await session.execute(
        text(
            f"SELECT town_code, classification, flagged, coalesce(school_status, ''), {band}, "  # noqa: S608
            f"count(*) FROM screening_records WHERE {scope} GROUP BY 1, 2, 3, 4, 5"
        ),
        {"today": today, "code": code},
    )
    return [(t, c, f, sc, b, int(n)) for t, c, f, sc, b, n in result.tuples().all()]


async def area_names(session: AsyncSession, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = await session.execute(select(Area.code, Area.name).where(Area.code.in_(codes)))
    return dict(rows.tuples().all())
