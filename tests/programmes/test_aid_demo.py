"""The demo's programmes: the education-aid round reproduces the seed (272 children,
226,000.00 yuan), the 六一 gifts are mostly delivered, the venues held activities."""

from __future__ import annotations

from sqlalchemy import func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app import demo
from app.config import Settings
from app.models import AidApplication, AidRound, Child, CommunityActivity, HolidayGift
from app.programmes.activities import repository as activities
from app.programmes.aid import service as aid
from app.programmes.gifts import demo as gifts_demo


async def test_the_demo_round_reproduces_the_seed(
    demo_session: AsyncSession, settings: Settings
) -> None:
    session = demo_session
    await demo.load(session, settings)  # a second load changes nothing
    rounds = (await session.execute(select(AidRound))).scalars().all()
    assert len(rounds) == 1
    out = await aid.round_out(session, rounds[0])
    assert (out.children, str(out.total), str(out.disbursed)) == (272, "226000.00", "226000.00")
    assert out.by_status["disbursed"] == 272
    assert sum(p.children for p in out.by_programme) == 272
    assert sum(t.children for t in out.by_town) == 272
    assert {p.programme for p in out.by_programme if p.children} == {
        "spring_bud",
        "boys_in_difficulty",
    }
    girls = await session.scalar(
        select(func.count()).where(
            AidApplication.programme == "spring_bud", AidApplication.child_gender != "female"
        )
    )
    assert girls == 0
    children, fen = await aid.federation_fund(session, rounds[0].year)
    assert (children, fen) == (272, 22_600_000)


async def test_the_demo_gifts_and_activities(
    demo_session: AsyncSession, settings: Settings
) -> None:
    session = demo_session
    await gifts_demo.load(session, settings)  # idempotent
    total = await session.scalar(select(func.count()).select_from(HolidayGift))
    delivered = await session.scalar(
        select(func.count()).where(HolidayGift.delivered_at.is_not(None))
    )
    assert total
    assert total >= 131
    assert delivered
    assert 0 < delivered < total
    held = await session.scalar(select(func.count()).select_from(CommunityActivity))
    assert held
    assert held > 0
    last = await session.scalar(select(func.max(CommunityActivity.held_on)))
    assert last is not None
    year = last.year
    stmt = activities.without_activity_stmt(true(), year, None)
    left_out = await activities.count(session, stmt)
    dispersed = await session.scalar(
        select(func.count()).where(Child.status == "active", Child.placement == "dispersed")
    )
    assert dispersed
    assert 0 < left_out < dispersed
