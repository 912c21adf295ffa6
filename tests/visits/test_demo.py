from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import FollowUp, Visit, VisitFlag
from app.visits import demo
from tests.conftest import VILLAGE2
from tests.visits.factories import make_child


async def test_demo_loader_skips_without_children_then_loads_once(
    session: AsyncSession, settings: Settings
) -> None:
    # Start from an empty visits table (inside this test's rolled-back transaction).
    await session.execute(delete(VisitFlag))
    await session.execute(delete(FollowUp))
    await session.execute(delete(Visit))
    kids = [await make_child(session, settings, approved_on=date(2020, 1, 1)) for _ in range(30)]
    kids += [await make_child(session, settings, village=VILLAGE2, approved_on=date(2020, 1, 1))]
    kids += [
        await make_child(session, settings, placement="institution", approved_on=date(2020, 1, 1))
    ]
    await demo.load(session, settings)
    visits = (await session.execute(select(Visit.child_id, Visit.visit_month))).all()
    months = {m for _, m in visits}
    assert len(months) >= 12
    # most children visited in most months
    per_month = Counter(m for _, m in visits)
    full_months = sorted(per_month)[:-1]
    assert all(per_month[m] >= 0.6 * len(kids) for m in full_months)
    statuses = set(await session.scalars(select(FollowUp.status).distinct()))
    assert statuses  # difficulties were recorded
    n = await session.scalar(select(func.count()).select_from(Visit))
    await demo.load(session, settings)
    assert await session.scalar(select(func.count()).select_from(Visit)) == n
