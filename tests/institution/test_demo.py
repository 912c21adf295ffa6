"""The demo's institute: every resident of the demo ledger has a plan and is cared for."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.roles import Role
from app.config import get_settings
from app.institution.report import figures, period
from app.institution.repository import resident_clause
from app.kit.clock import SystemClock, local_today
from app.kit.record_check import RecordCheck, refusal
from app.models import CarePlan, Child, CounsellingSession, TutoringSession, User, Volunteer
from tests.conftest import area_path


async def test_the_demo_institute(demo_session: AsyncSession) -> None:
    s = demo_session
    residents = (
        await s.execute(select(func.count()).select_from(Child).where(resident_clause()))
    ).scalar_one()
    assert residents == 74
    planned = (await s.execute(select(func.count(func.distinct(CarePlan.child_id))))).scalar_one()
    assert planned == 74
    counsellor = (await s.execute(select(User).where(User.username == "counsellor"))).scalar_one()
    today = local_today(SystemClock())
    assert refusal(RecordCheck.from_columns(counsellor), today, 12) is None
    assert (await s.execute(select(func.count()).select_from(CounsellingSession))).scalar_one() > 60
    # art. 62 in the demo too: every tutor was cleared before each session
    checks = {
        v.id: RecordCheck.from_columns(v) for v in (await s.execute(select(Volunteer))).scalars()
    }
    reasons = sorted(str(refusal(c, today, 12)) for c in checks.values())
    assert reasons == ["None"] * 6 + ["expired", "missing"]
    for t in (await s.execute(select(TutoringSession))).scalars():
        for vid in t.volunteer_ids:
            assert refusal(checks[vid], t.held_on, 12) is None
    district = get_settings().district_code
    admin = Principal(
        kind="user",
        id=uuid.uuid4(),
        name="admin",
        role=Role.DISTRICT_ADMIN,
        area_code=district,
        area_path=area_path(district),
        area_level="district",
        district_code=district,
    )
    report = await figures(s, admin, period(today.replace(day=1), today), get_settings())
    assert report.residents == 74
    assert 0 < len(report.without_counselling) < 74
    assert 0 < len(report.care_plans_overdue) < 74
