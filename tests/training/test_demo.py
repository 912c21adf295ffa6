"""The demo's training cascade: this year's district sessions, each town's session for its
directors except three towns still missing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.clock import DISTRICT_TZ
from app.models import TrainingAttendance, TrainingSession, User
from app.training.coverage import coverage_of


async def test_demo_training(demo_session: AsyncSession) -> None:
    levels = dict(
        (
            await demo_session.execute(
                select(TrainingSession.level, func.count()).group_by(TrainingSession.level)
            )
        )
        .tuples()
        .all()
    )
    assert levels == {"district": 2, "town": 17}
    year = datetime.now(UTC).astimezone(DISTRICT_TZ).year
    c = await coverage_of(demo_session, "110115", "110115/", year)
    assert len(c.towns_without_town_session) == 3
    assert c.workers >= 729
    assert 0 < c.trained < c.workers
    for town in c.towns:
        assert town.workers == town.trained + len(town.untrained)
    # every director attending a town session belongs to that town (the cascade)
    wrong = await demo_session.scalar(
        select(func.count())
        .select_from(TrainingAttendance)
        .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
        .where(TrainingSession.level == "town")
        .where(
            ~TrainingAttendance.user_id.in_(
                select(User.id).where(User.area_code.like(TrainingSession.area_code + "%"))
            )
        )
    )
    assert wrong == 0
