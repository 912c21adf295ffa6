"""Demo data of the holiday gifts (synthetic): the last 六一 run (created and approved if the
subsidy demo has none) gives every child a school-supplies pack worth 120.00 yuan; the
village directors have confirmed most deliveries (about one in eight is still open, so the
dashboard shows some). Runs after the subsidy demo; skips what exists."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.roles import Role
from app.config import Settings
from app.kit.clock import DISTRICT_TZ, FixedClock
from app.kit.context import RequestContext
from app.models import Child, HolidayGift
from app.programmes.gifts import repository as repo
from app.programmes.gifts.schemas import GiftsCreate
from app.programmes.gifts.service import add_gifts
from app.subsidies.runs import service as runs
from app.users import repository as users

ITEM = "学习用品礼包"
VALUE = Decimal("120.00")


async def load(session: AsyncSession, settings: Settings) -> None:
    today = datetime.now(UTC).astimezone(DISTRICT_TZ).date()
    year = today.year if today >= date(today.year, 6, 1) else today.year - 1
    run = await repo.holiday_run(session, settings.district_code, f"childrens_day-{year}")
    if not await session.scalar(select(Child.id).limit(1)):
        return  # no ledger yet
    if run is not None and await session.scalar(
        select(HolidayGift.id).where(HolidayGift.run_id == run.id).limit(1)
    ):
        return
    at = FixedClock(datetime(year, 5, 25, 2, 0, tzinfo=UTC))
    admin = Principal(
        kind="user",
        id=uuid.UUID(int=0),
        name="demo-admin",
        role=Role.DISTRICT_ADMIN,
        district_code=settings.district_code,
    )
    leader = Principal(
        kind="user",
        id=uuid.UUID(int=0),
        name="demo-leader",
        role=Role.DISTRICT_LEADER,
        district_code=settings.district_code,
    )
    as_admin = RequestContext.for_job(settings, at, principal=admin)
    if run is None:
        await runs.create_holiday_run(session, as_admin, "childrens_day", year)
        await runs.approve_benefit_run(
            session,
            RequestContext.for_job(settings, at, principal=leader),
            "holiday_condolence",
            f"childrens_day-{year}",
        )
    out = await add_gifts(
        session, as_admin, GiftsCreate(occasion="childrens_day", year=year, item=ITEM, value=VALUE)
    )
    if not out.created:
        return
    run = await repo.holiday_run(session, settings.district_code, f"childrens_day-{year}")
    assert run is not None
    directors = await users.usernames_by_area(session, Role.VILLAGE_DIRECTOR)
    rng = random.Random(20260601)
    gifts = (
        await session.execute(
            select(HolidayGift.id, HolidayGift.village_code)
            .where(HolidayGift.run_id == run.id)
            .order_by(HolidayGift.id)
        )
    ).tuples()
    delivered = []
    for gift_id, village in gifts:
        if village is None or rng.random() < 0.125:
            continue  # the institute's children: handed over by the institute; some still open
        on = date(year, 6, 1) + timedelta(days=rng.randint(0, 3))
        delivered.append(
            {
                "id": gift_id,
                "delivered_on": on,
                "received_by": rng.choice(("本人", "奶奶", "爷爷", "母亲", "监护人")),
                "delivered_at": datetime(on.year, on.month, on.day, 8, 0, tzinfo=UTC),
                "delivered_by": directors.get(village, "demo-director"),
            }
        )
    if delivered:
        await session.execute(update(HolidayGift), delivered)
    await session.flush()
