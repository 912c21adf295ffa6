"""The demo ledger: 205 children as in the seed, history, and a few discovery candidates."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.clock import SystemClock, local_today
from app.ledger import demo
from app.ledger import service as ledger
from app.models import Child, ChildChange, DiscoveryCandidate


async def test_demo_ledger_matches_the_seed_and_loads_once(
    demo_session: AsyncSession, settings: Settings
) -> None:
    session = demo_session
    await demo.load(session, settings)  # a second load changes nothing
    rows = (
        await session.execute(
            select(Child.placement, func.count())
            .where(Child.status == "active")
            .group_by(Child.placement)
        )
    ).all()
    assert {p: n for p, n in rows} == {"dispersed": 131, "institution": 74}
    revoked = await session.scalar(select(func.count()).where(Child.status == "revoked"))
    assert revoked is not None
    assert revoked > 0
    months = await session.scalar(select(func.count(func.distinct(ChildChange.ledger_month))))
    assert months is not None
    assert months >= 12
    open_candidates = await session.scalar(
        select(func.count())
        .select_from(DiscoveryCandidate)
        .where(DiscoveryCandidate.status == "open")
    )
    assert open_candidates == 5
    this_month = local_today(SystemClock()).replace(day=1)
    report = await ledger.compute(session, this_month)
    assert report["totals"]["total"] == 205
    assert report["totals"]["by_placement"] == {"dispersed": 131, "institution": 74}
