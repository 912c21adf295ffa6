"""养治教康: the welfare institute's month — residents, care records by domain, counselling
sessions and hours, residents without counselling for COUNSELLING_GAP_MONTHS months, care plans
overdue for review, activities, tutoring hours and volunteers who may not be scheduled.

The institute is the district's: the section is shown on the district's summary only. It is
the monthly institute report's figures (`app.institution.report.figures`), counts only: no
resident's name and never a counselling note.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.roles import Role
from app.config import get_settings
from app.dashboard.sections import Scope, section
from app.institution.report import Period, figures


@section("institution", order=45, district_only=True)
async def institution(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    # the institute of the scope's district (another district's residents are not counted)
    district = Principal(
        kind="user",
        id=uuid.UUID(int=0),
        name="dashboard",
        role=Role.DISTRICT_LEADER,
        area_code=scope.area_code,
        area_path=scope.area_path,
        area_level=scope.area_level,
        district_code=scope.area_code,
    )
    period = Period(scope.month, scope.month_end, scope.as_of, scope.today)
    r = await figures(session, district, period, get_settings())
    c = r.counselling
    return {
        "residents": r.residents,
        "care_records": r.care_records,
        "counselling_sessions": c.sessions,
        "counselling_hours": c.hours,
        "one_to_one_sessions": c.one_to_one_sessions,
        "group_sessions": c.group_sessions,
        "counselling_risks": c.risks,
        "without_counselling": len(r.without_counselling),
        "care_plans_overdue": len(r.care_plans_overdue),
        "activities": sum(r.activities.values()),
        "tutoring_hours": r.tutoring_hours,
        "volunteers_not_schedulable": r.volunteers_not_schedulable,
    }
