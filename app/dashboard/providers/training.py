"""培训覆盖: the year's training coverage by town (workers, trained, ratio), the towns that held
no session for their directors yet, and the workers never trained on mandatory reporting.

Written against the training domain's own computation (`app.training.coverage.coverage_of`):
the same figures as `GET /api/v1/training/coverage` for the scope's area and the month's year.
No names or user ids: the coverage route decides who sees those.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard.sections import Scope, section
from app.training.coverage import coverage_of


@section("training", order=85)
async def training(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    year = scope.month.year
    c = await coverage_of(session, scope.area_code, scope.area_path, year)
    return {
        "year": year,
        "workers": c.workers,
        "trained": c.trained,
        "untrained": c.untrained_count,
        "coverage": c.coverage,
        "hours": float(c.hours),
        "never_trained_on_mandatory_reporting": c.never_trained_on_mandatory_reporting_count,
        "towns_without_town_session": len(c.towns_without_town_session),
        "towns": [
            {
                "code": t.code,
                "name": t.name,
                "level": t.level,
                "workers": t.workers,
                "trained": t.trained,
                "coverage": t.coverage,
                "town_sessions": t.town_sessions,
                "never_trained_on_mandatory_reporting": len(t.never_trained_on_mandatory_reporting),
            }
            for t in c.towns
        ],
    }
