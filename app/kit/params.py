"""The parameters many routes declare the same way.

async def list_things(session: SessionDep, _: Reader, ctx: RequestCtx, query: Filters[ThingQuery])
async def update_thing(..., if_match: IfMatch = None)
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from app.kit.crud import Cursor, Limit
from app.kit.routes import IfMatch

__all__ = ["AreaCodeField", "AreaField", "Filters", "IfMatch", "PageQuery", "YearField"]

T = TypeVar("T")

Filters = Annotated[T, Query()]
"""A list's query model (app.kit.crud: the filters, then `limit` and `cursor`), each of its
fields one query parameter."""


class PageQuery(BaseModel):
    """The query of a list without filters: its page."""

    limit: Limit = 50
    cursor: Cursor = None


YearField = Annotated[int | None, Field(ge=2000, le=2100)]
"""A query model's optional calendar year (app.kit.listing.YearFilter as a field)."""

AreaField = Annotated[str | None, Field(max_length=12)]
"""A query model's optional area code, town or village (listing.AreaFilter as a field)."""

AreaCodeField = Annotated[str | None, Field(max_length=12, pattern=r"^\d{6,12}$")]
"""The same, checked to be one (6 to 12 digits; listing.AreaCodeFilter as a field)."""
