"""Keyset pagination: `limit` and an opaque `cursor`; answers `{"items": [...], "next_cursor"}`."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.errors import ValidationFailed

T = TypeVar("T")
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size (1–500).")]
CursorQuery = Annotated[
    str | None, Query(max_length=500, description="Opaque cursor from `next_cursor`.")
]


def _enc(v: Any) -> Any:
    if isinstance(v, datetime):
        return {"t": v.isoformat()}
    if isinstance(v, date):
        return {"d": v.isoformat()}
    if isinstance(v, uuid.UUID):
        return {"u": str(v)}
    return v


def _dec(v: Any) -> Any:
    if isinstance(v, dict):
        if "t" in v:
            return datetime.fromisoformat(v["t"])
        if "d" in v:
            return date.fromisoformat(v["d"])
        if "u" in v:
            return uuid.UUID(v["u"])
    return v


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_enc(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != width:
            raise ValueError
        return [_dec(v) for v in values]
    except (ValueError, TypeError, KeyError):
        raise ValidationFailed(errors=[("cursor", "分页游标无效", "Invalid cursor")]) from None


def _fits(column: Any, value: Any) -> bool:
    """Whether a decoded cursor value can be compared with `column` (else the DB errors: 500)."""
    if value is None or isinstance(value, (bool, list, dict, float)):
        return False
    try:
        expected = column.type.python_type
    except (AttributeError, NotImplementedError):
        return True
    if not isinstance(value, expected):
        return False
    if expected is date and isinstance(value, datetime):
        return False
    if isinstance(value, str) and "\x00" in value:
        return False
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        return False
    return not (
        isinstance(value, datetime)
        and value.tzinfo is None
        and getattr(column.type, "timezone", False)
    )


def checked_cursor(cursor: str, keys: Sequence[Any]) -> list[Any]:
    """Decode `cursor` for `keys`; a value of the wrong type for its key is a 422 naming cursor."""
    values = decode_cursor(cursor, len(keys))
    if not all(_fits(k, v) for k, v in zip(keys, values, strict=True)):
        raise ValidationFailed(errors=[("cursor", "分页游标无效", "Invalid cursor")])
    return values


def after(keys: Sequence[ColumnElement[Any]], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in ascending order of `keys` (a lexicographic comparison)."""
    clauses = []
    for i in range(len(keys)):
        eqs = [keys[j] == values[j] for j in range(i)]
        clauses.append(and_(*eqs, keys[i] > values[i]))
    return or_(*clauses)


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    keys: Sequence[Any],
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[Any], str | None]:
    """Run `stmt` ordered by `keys` (unique together), one page; return rows and the next cursor.

    `stmt` selects one entity (or a row); each key is a column also readable from that row by name.
    """
    cols: list[ColumnElement[Any]] = list(keys)
    if cursor:
        stmt = stmt.where(after(cols, checked_cursor(cursor, cols)))
    stmt = stmt.order_by(*cols).limit(limit + 1)
    rows = list((await session.execute(stmt)).scalars().all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, str(c.key)) for c in cols])
    return rows, next_cursor


async def page_of(
    session: AsyncSession,
    stmt: Select[Any],
    keys: Sequence[Any],
    limit: int,
    cursor: str | None,
    item: Callable[[Any], T],
) -> Page[T]:
    """`paginate`, each row answered as `item(row)`: one page in the API's shape."""
    rows, next_cursor = await paginate(session, stmt, keys, limit=limit, cursor=cursor)
    return Page(items=[item(row) for row in rows], next_cursor=next_cursor)
