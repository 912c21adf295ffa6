"""The demo's mandatory reports: every one names situations that fit the child on the ledger."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.incidents.situations import SITUATION_CODES, contradictions, is_urgent
from app.kit.clock import DISTRICT_TZ
from app.models import Child, Incident, Referral


async def test_demo_reports_name_fitting_situations(demo_session: AsyncSession) -> None:
    rows = (
        await demo_session.execute(
            select(Incident, Child).outerjoin(Child, Child.id == Incident.child_id)
        )
    ).all()
    assert len(rows) >= 5
    statuses = {incident.status for incident, _ in rows}
    assert {"reported", "acknowledged", "closed"} <= statuses
    assert any(incident.child_id is None for incident, _ in rows)  # a minor not on the ledger
    assert [i.situations_inferred for i, _ in rows].count(True) == 1
    named = {s for incident, _ in rows for s in incident.situations}
    assert "girl_under_14_sexual_assault_or_pregnancy" in named
    for incident, child in rows:
        assert incident.situations, incident.id
        assert set(incident.situations) <= set(SITUATION_CODES)
        assert incident.urgent == is_urgent(incident.situations, incident.immediate_danger)
        if child is not None:
            assert incident.discovered_at is not None
            day = incident.discovered_at.astimezone(DISTRICT_TZ).date()
            found = contradictions(
                incident.situations, gender=child.gender, birth_date=child.birth_date, on=day
            )
            assert found == [], (incident.situations, child.gender, child.birth_date)
    # the incidents' referrals (the demo's screening referrals have no incident)
    refs = (
        (await demo_session.execute(select(Referral).where(Referral.incident_id.is_not(None))))
        .scalars()
        .all()
    )
    assert {r.incident_id for r in refs} == {i.id for i, _ in rows}
    assert all(r.agency == "police" for r in refs)
