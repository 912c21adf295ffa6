"""The demo's protection centre: a handful of intakes in each state, each outcome once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ProtectionFollowUpVisit, ProtectionIntake, User
from app.protection.rules import confidential


async def test_demo_intakes_in_each_state(demo_session: AsyncSession) -> None:
    intakes = (await demo_session.scalars(select(ProtectionIntake))).all()
    open_ = [i for i in intakes if i.status == "open"]
    closed = [i for i in intakes if i.status == "closed"]
    assert len(open_) >= 4
    assert {i.outcome for i in closed} == {
        "returned_to_family",
        "transferred",
        "family_foster_care",
        "long_term_guardianship",
        "adulthood",
    }
    assert any(confidential(i.kind, i.basis) for i in open_)
    assert any(i.child_id_number_hash is None for i in open_)  # an unidentified child
    assert any(i.announced_by_client_id is not None for i in open_)
    visits = (await demo_session.scalars(select(ProtectionFollowUpVisit))).all()
    assert len(visits) == 3
    users = (await demo_session.scalars(select(User.role))).all()
    assert "protection_staff" in users
