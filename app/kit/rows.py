"""One stored row: the repositories' `get`, `get_visible` and `…(lock=True)` lookups, and the
insert of a row that may exist already."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

RowT = TypeVar("RowT")


async def one_where(
    session: AsyncSession,
    model: type[RowT],
    *where: Any,
    lock: bool = False,
    fresh: bool = False,
) -> RowT | None:
    """The one row of `model` meeting every clause of `where` (an id, a visibility clause), or
    None. `lock` reads it `FOR UPDATE` (a transition about to change it); `fresh` reloads the
    attributes of a row the session already holds (`populate_existing`), so that the checks of a
    transition see what another transaction committed.

        return await one_where(session, Case, Case.id == case_id, visible(principal), lock=lock)
    """
    stmt = select(model).where(*where)
    if lock:
        stmt = stmt.with_for_update()
    if fresh:
        stmt = stmt.execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_unless_exists(
    session: AsyncSession, model: type[RowT], values: Mapping[str, Any], unique: Sequence[str]
) -> RowT | None:
    """INSERT `values` as a new row of `model`, unless a row with the same `unique` columns
    exists (`ON CONFLICT (unique) DO NOTHING`): the new row, or None when there was one.

        row = await insert_unless_exists(session, AidRound, values, ("year", "name"))
    """
    stmt = (
        insert(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(unique))
        .returning(model)
    )
    return (await session.execute(stmt)).scalar_one_or_none()
