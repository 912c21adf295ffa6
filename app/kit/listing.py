"""Lists: the query parameters the lists share, and a page answered in one batch.

@router.get("/things", **lists(Page[ThingOut], "List things"))
async def list_things(..., year: YearFilter = None, town_code: AreaFilter = None,
                      limit: LimitQuery = 50, cursor: CursorQuery = None) -> Page[ThingOut]:

return await page_in_batch(session, stmt, keys, limit, cursor, lambda rows: outs(session, rows))
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import Query
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.kit.pagination import Page, paginate

T = TypeVar("T")

Year = Annotated[int, Query(ge=2000, le=2100, description="The calendar year.")]
"""A required calendar year (a report's)."""

YearFilter = Annotated[int | None, Query(ge=2000, le=2100)]
"""An optional calendar year a list is filtered on."""

AreaFilter = Annotated[str | None, Query(max_length=12)]
"""An optional area code (town, village) a list is filtered on."""

AreaCodeFilter = Annotated[str | None, Query(max_length=12, pattern=r"^\d{6,12}$")]
"""An optional area code, checked to be one (6 to 12 digits)."""


async def page_in_batch(
    session: AsyncSession,
    stmt: Select[Any],
    keys: Sequence[Any],
    limit: int,
    cursor: str | None,
    answer: Callable[[list[Any]], Awaitable[list[T]]],
) -> Page[T]:
    """One keyset page whose rows are answered together (`answer(rows)`: one query for all
    their names or counts, not one per row)."""
    rows, next_cursor = await paginate(session, stmt, keys, limit=limit, cursor=cursor)
    return Page(items=await answer(rows), next_cursor=next_cursor)


def where_given(stmt: Select[Any], *filters: tuple[Any, Any]) -> Select[Any]:
    """`stmt` narrowed by `column == value` for each `(column, value)` whose value was given
    (not None): a list's optional filters.

        where_given(select(Thing), (Thing.status, status), (Thing.town_code, town_code))
    """
    for column, value in filters:
        if value is not None:
            stmt = stmt.where(column == value)
    return stmt


def in_year(column: Any, year: int) -> ColumnElement[bool]:
    """A date `column` within the calendar `year`."""
    return column.between(date(year, 1, 1), date(year, 12, 31))  # type: ignore[no-any-return]
