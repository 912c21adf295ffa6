"""The demo's charity projects: a handful in each state, money consistent with the rules."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import CHARITY_STATUSES, AgencyClient, CharityApplication, CharityDisbursement


async def test_demo_charity(demo_session: AsyncSession) -> None:
    apps = (await demo_session.execute(select(CharityApplication))).scalars().all()
    assert {a.status for a in apps} == set(CHARITY_STATUSES)
    paid = dict(
        (
            await demo_session.execute(
                select(
                    CharityDisbursement.application_id, func.sum(CharityDisbursement.amount_fen)
                ).group_by(CharityDisbursement.application_id)
            )
        )
        .tuples()
        .all()
    )
    for a in apps:
        assert a.disbursed_fen == (paid.get(a.id) or 0)
        if a.approved_fen is not None:
            assert a.disbursed_fen <= a.approved_fen <= a.requested_fen
        if a.status == "reported":
            assert a.disbursed_fen > 0
            assert (a.spent_fen or 0) <= a.disbursed_fen
    clients = (
        (
            await demo_session.execute(
                select(AgencyClient.client_id).where(AgencyClient.agency == "charity")
            )
        )
        .scalars()
        .all()
    )
    assert set(clients) == {"demo-charity", "demo-charity-finance"}
