"""The burst flag's count: the most visits in any one-hour window around a visit (issue 30:
counted in O(n log n); a burst of visits, the case it looks for, made it quadratic)."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import Visit
from app.visits.flags import HOUR, densest_hour
from app.visits.repository import densest_hours
from tests.visits.factories import make_child

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _by_definition(at: datetime, times: Sequence[datetime]) -> int:
    """Every window [start, start+1h) with its start among the times in (at-1h, at], counted."""
    best = 0
    for start in times:
        if at - HOUR < start <= at:
            best = max(best, sum(1 for t in times if start <= t < start + HOUR))
    return best


def test_counts_the_densest_window_around_the_visit() -> None:
    times = [T0, T0 + timedelta(minutes=10), T0 + timedelta(minutes=59), T0 + timedelta(hours=1)]
    assert densest_hour(T0 + timedelta(minutes=30), times) == 3
    # The window [09:10, 10:10) holds the visits at 09:10, 09:59 and 10:00.
    assert densest_hour(T0 + timedelta(hours=1), times) == 3
    assert densest_hour(T0 + timedelta(hours=3), times) == 0
    assert densest_hour(T0, []) == 0


def test_agrees_with_the_definition_on_random_days() -> None:
    rng = random.Random(30)
    for _ in range(2000):
        times = [
            T0 + timedelta(minutes=rng.choice([0, 60, 120, rng.randint(0, 240)]))
            for _ in range(rng.randint(0, 25))
        ]
        at = rng.choice(times) if times and rng.random() < 0.5 else T0 + timedelta(minutes=30)
        assert densest_hour(at, times) == _by_definition(at, times)


def test_a_large_burst_is_counted_quickly() -> None:
    # 20,000 visits in one hour (a runaway client): counted one window at a time this took
    # minutes; on the sorted times it is a few bisections each.
    times = [T0 + timedelta(seconds=i * 0.18) for i in range(20_000)]
    started = time.process_time()
    assert densest_hour(times[-1], times) == 20_000
    assert time.process_time() - started < 2.0


async def test_the_database_counts_as_the_definition(
    session: AsyncSession, settings: Settings
) -> None:
    """repository.densest_hours (a window function in PostgreSQL) gives densest_hour's count for
    every visit of a batch, each seeing the visits stored before and its batch's earlier ones."""
    child = await make_child(session, settings)
    rng = random.Random(31)
    for _ in range(15):
        visitor = uuid.uuid4()
        stored = [
            T0 + timedelta(minutes=rng.choice([0, 60, 120, rng.randint(0, 240)]))
            for _ in range(rng.randint(0, 12))
        ]
        batch = [
            T0
            + timedelta(minutes=rng.choice([30, 60, rng.randint(0, 240)]))
            + timedelta(microseconds=rng.choice([0, 0, -1, 1]))
            for _ in range(rng.randint(1, 6))
        ]
        ids = [uuid.uuid4() for _ in stored + batch]
        await session.execute(
            insert(Visit),
            [
                {
                    "id": vid,
                    "child_id": child,
                    "visited_at": at,
                    "visit_month": at.date().replace(day=1),
                    "mode": "home",
                    "findings": {},
                    "visitor_id": visitor,
                    "visitor_name": "测试",
                    "body_hash": "x",
                }
                for vid, at in zip(ids, stored + batch, strict=True)
            ],
        )
        mine = list(zip(ids[len(stored) :], batch, strict=True))
        got = await densest_hours(session, visitor, mine, HOUR)
        want = [densest_hour(at, stored + batch[: k + 1]) for k, at in enumerate(batch)]
        assert got == want
