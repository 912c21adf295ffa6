"""The parameters many routes declare the same way.

async def list_things(session: SessionDep, _: Reader, ctx: RequestCtx, query: Filters[ThingQuery])
async def update_thing(..., if_match: IfMatch = None)
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Header, Query

T = TypeVar("T")

Filters = Annotated[T, Query()]
"""A list's query model (app.kit.crud: the filters, then `limit` and `cursor`), each of its
fields one query parameter."""

IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=100)]
"""The `If-Match` header of a change: the version the caller last read."""
