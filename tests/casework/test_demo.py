"""The demo's case work and screening referrals."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Case, CaseService, CaseworkAgency, Referral, User


async def test_demo_has_agencies_cases_and_referrals(demo_session: AsyncSession) -> None:
    s = demo_session
    assert (await s.execute(select(func.count()).select_from(CaseworkAgency))).scalar_one() == 2
    workers = (await s.execute(select(func.count()).where(User.role == "case_worker"))).scalar_one()
    assert workers == 4
    statuses = dict(
        (await s.execute(select(Case.status, func.count()).group_by(Case.status))).tuples().all()
    )
    assert sum(statuses.values()) == 12
    assert set(statuses) == {"open", "assessed", "in_service", "closed"}
    assert (await s.execute(select(func.count()).select_from(CaseService))).scalar_one() > 20
    referrals = dict(
        (
            await s.execute(
                select(Referral.finding, func.count())
                .where(Referral.screening_record_id.is_not(None))
                .group_by(Referral.finding)
            )
        )
        .tuples()
        .all()
    )
    assert sum(referrals.values()) >= 200
    assert set(referrals) == {"out_of_school", "uninsured"}
    outcomes = set(
        (await s.execute(select(Referral.outcome).where(Referral.outcome.is_not(None))))
        .scalars()
        .all()
    )
    assert {"enrolled", "insured"} <= outcomes
