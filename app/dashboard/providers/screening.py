"""监测摸排: screening records by classification, flagged rows, and the not-in-school children of
compulsory school age (6–15 on the day the figures are taken) — the number education acts on.

Written against the screening domain's planned `screening_records` (`classification`
migrant|left_behind|neither, `village_code`, `birth_date`, `school_status`, and a boolean `flagged` when
the model has one) — the field names of `app.screening.imports.rows.ValidRow`.

A district has a million records: the section is pre-aggregated (`cache_seconds`), refreshed by
the `dashboard.refresh` job, never counted per request.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard.providers.common import areas_within
from app.dashboard.sections import Scope, section
from app.models import ScreeningRecord

RECORDS = ScreeningRecord.__table__
CLASSIFICATIONS = ("migrant", "left_behind", "neither")
COMPULSORY_MIN_AGE, COMPULSORY_MAX_AGE = 6, 15


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@section("screening", order=60, cache_seconds=60)
async def screening(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    r = RECORDS
    where: Any = r.c.village_code.in_(areas_within(scope))  # a district: its own villages
    as_of = scope.as_of
    # Age 6..15 on as_of: born after as_of - 16 years, on or before as_of - 6 years.
    compulsory = and_(
        r.c.birth_date > _years_before(as_of, COMPULSORY_MAX_AGE + 1),
        r.c.birth_date <= _years_before(as_of, COMPULSORY_MIN_AGE),
    )
    # Flagged rows are counted when the model carries a boolean `flagged` column.
    flagged: Any = func.count().filter(r.c.flagged.is_(True)) if "flagged" in r.c else None
    columns: list[Any] = [
        r.c.classification,
        func.count(),
        func.count().filter(and_(r.c.school_status == "not_in_school", compulsory)),
    ]
    if flagged is not None:
        columns.append(flagged)
    stmt = select(*columns).group_by(r.c.classification)
    if where is not True:
        stmt = stmt.where(where)
    by_classification = dict.fromkeys(CLASSIFICATIONS, 0)
    not_in_school = flagged_total = 0
    for row in (await session.execute(stmt)).tuples():
        by_classification[str(row[0])] = int(row[1])
        not_in_school += int(row[2])
        if flagged is not None:
            flagged_total += int(row[3])
    return {
        "as_of": as_of.isoformat(),
        "total": sum(by_classification.values()),
        "by_classification": by_classification,
        "flagged": flagged_total if flagged is not None else None,
        "not_in_school_compulsory_age": not_in_school,
    }
