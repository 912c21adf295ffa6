"""A child's facts on a past date, read from the history (child_changes).

Every change of a child's record is kept with its per-field `from`/`to` and the date it took
effect (`effective_on`: the day the change was made). The value of a field on a day D is
therefore the `from` of the first change of that field that took effect after D, or — when
none did — the record's current value. Only children changed after D differ from their record,
so a whole run reads only those few rows, not every child's history.

(rule we set) A change counts from the day it is made, not retroactively: a medical bill of
the day before a category change is reimbursed under the old category, a month is computed
with the category of its last day (a change made during the month counts for that month, as
the payroll always counted it).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_VALUES_AFTER = text(
    """
    SELECT DISTINCT ON (c.child_id) c.child_id, e.value -> 'from' AS value
    FROM child_changes AS c
    CROSS JOIN LATERAL jsonb_array_elements(c.changes) AS e(value)
    WHERE c.kind = 'changed'
      AND c.effective_on > :day
      AND e.value ->> 'field' = :field
      AND (CAST(:ids AS uuid[]) IS NULL OR c.child_id = ANY(CAST(:ids AS uuid[])))
    ORDER BY c.child_id, c.seq
    """
)


async def values_on(
    session: AsyncSession,
    field: str,
    day: date,
    child_ids: Sequence[uuid.UUID] | None = None,
) -> dict[uuid.UUID, Any]:
    """`field`'s value on `day` of each child (of `child_ids`, or all) changed since then.

    A child absent from the result had on `day` the value its record has now.
    """
    rows = await session.execute(
        _VALUES_AFTER,
        {"day": day, "field": field, "ids": None if child_ids is None else list(child_ids)},
    )
    return {child_id: value for child_id, value in rows.tuples()}


async def value_on(
    session: AsyncSession, child_id: uuid.UUID, field: str, day: date, current: Any
) -> Any:
    """`field`'s value on `day` for one child whose record holds `current` now."""
    found = await values_on(session, field, day, [child_id])
    return found.get(child_id, current)
