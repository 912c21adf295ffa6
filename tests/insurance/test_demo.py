"""The demo's insurance year: parameters for this year and the next, every eligible child
enrolled in basic medical insurance, 普惠保 for de-facto-unsupported children only."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Child, InsuranceEnrolment, InsuranceScheme


async def test_demo_insurance(demo_session: AsyncSession) -> None:
    years = set((await demo_session.execute(select(InsuranceScheme.year))).scalars())
    assert len(years) == 2
    year = min(years)
    rows = (
        await demo_session.execute(
            select(InsuranceEnrolment.scheme, InsuranceEnrolment.status, Child.category).join(
                Child, Child.id == InsuranceEnrolment.child_id
            )
        )
    ).all()
    assert rows
    assert {scheme for scheme, _, _ in rows} == {"basic_medical", "puhuibao", "supplementary"}
    assert {c for s, _, c in rows if s == "puhuibao"} == {"de_facto_unsupported"}
    statuses = {status for _, status, _ in rows}
    assert {"enrolled", "not_required", "refused_by_insurer"} <= statuses
    enrolled = (
        await demo_session.execute(
            select(func.count()).where(
                InsuranceEnrolment.status == "enrolled",
                InsuranceEnrolment.year == year,
                InsuranceEnrolment.policy_number.is_(None),
            )
        )
    ).scalar_one()
    assert enrolled == 0
