"""Keyset pages of rows of several columns (`app.kit.pagination.paginate` pages one entity)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.pagination import after, checked_cursor, encode_cursor


async def page_rows(
    session: AsyncSession, stmt: Select[Any], key: Any, label: str, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """One page of `stmt`'s rows ordered by the unique column `key` (read back from each row
    as `label`), and the next cursor."""
    keys = [key]
    if cursor:
        stmt = stmt.where(after(keys, checked_cursor(cursor, keys)))
    rows = list((await session.execute(stmt.order_by(key).limit(limit + 1))).all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor([getattr(rows[-1], label)])
