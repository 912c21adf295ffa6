"""Demo screening data: 34,000 synthetic records over the demo villages, no left-behind child."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import demo
from app.models import ScreeningRecord, User
from app.screening import demo as screening_demo
from tests.conftest import make_settings


async def test_demo_screening_records(session: AsyncSession, database_url: str) -> None:
    settings = make_settings(database_url, district_code="110113", demo_data=True)
    await session.execute(update(User).values(username=User.username + "-base"))
    await demo.load(session, settings)
    in_demo = ScreeningRecord.village_code.like("110113%")
    counts = dict(
        (
            await session.execute(
                select(ScreeningRecord.classification, func.count())
                .where(in_demo)
                .group_by(ScreeningRecord.classification)
            )
        ).tuples()
    )
    assert sum(counts.values()) == screening_demo.DEMO_RECORDS
    assert "left_behind" not in counts
    assert counts["migrant"] > 0.8 * screening_demo.DEMO_RECORDS
    towns = (
        await session.execute(
            select(func.count(func.distinct(ScreeningRecord.town_code))).where(in_demo)
        )
    ).scalar_one()
    assert towns == 20
    await screening_demo.load(session, settings)  # idempotent
    total = (
        await session.execute(select(func.count()).select_from(ScreeningRecord).where(in_demo))
    ).scalar_one()
    assert total == screening_demo.DEMO_RECORDS
