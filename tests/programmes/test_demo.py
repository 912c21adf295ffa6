"""The demo's programmes: caring mothers with their checks, pairings (some silent, one ended),
children still waiting, and this year's parents' classes with ledger families."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.clock import DISTRICT_TZ
from app.models import (
    CaringMother,
    CaringMotherContact,
    CaringMotherPairing,
    CaringMotherWish,
    ParentClass,
    ParentClassAttendance,
)
from app.programmes.mothers.service import contact_cutoff


async def test_demo_programmes(demo_session: AsyncSession) -> None:
    s = demo_session
    today = datetime.now(UTC).astimezone(DISTRICT_TZ).date()
    results = dict(
        (
            await s.execute(
                select(CaringMother.record_check_result, func.count()).group_by(
                    CaringMother.record_check_result
                )
            )
        )
        .tuples()
        .all()
    )
    assert results == {"clear": 11, None: 1}
    statuses = dict(
        (
            await s.execute(
                select(CaringMotherPairing.status, func.count()).group_by(
                    CaringMotherPairing.status
                )
            )
        )
        .tuples()
        .all()
    )
    assert statuses == {"active": 15, "ended": 1}
    assert (await s.execute(select(func.count()).select_from(CaringMotherWish))).scalar_one() == 21
    last = (
        select(CaringMotherContact.pairing_id, func.max(CaringMotherContact.contacted_on))
        .group_by(CaringMotherContact.pairing_id)
        .subquery()
    )
    cutoff = contact_cutoff(today, 2)
    silent = (
        await s.execute(
            select(func.count())
            .select_from(CaringMotherPairing)
            .join(last, last.c.pairing_id == CaringMotherPairing.id)
            .where(CaringMotherPairing.status == "active", last.c.max <= cutoff)
        )
    ).scalar_one()
    assert silent >= 3
    classes = (await s.execute(select(ParentClass))).scalars().all()
    assert len(classes) == 6
    assert {c.expert_field for c in classes} == {"education", "psychology", "law"}
    assert all(c.held_on <= today and c.held_on.year == today.year for c in classes)
    assert all((c.mode == "online") == (c.link is not None and c.place is None) for c in classes)
    families = (
        await s.execute(select(func.count(func.distinct(ParentClassAttendance.child_id))))
    ).scalar_one()
    assert families >= 6
