"""Pre-aggregated sections: served from the cache while fresh, recomputed when stale or by the
refresh job."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dashboard import jobs
from app.dashboard.sections import REGISTRY, Scope, register, section
from app.kit.clock import FixedClock
from app.models import DashboardSectionCache, User
from app.worker.registry import JobContext
from tests.conftest import DISTRICT, AuthHeaders

URL = "/api/v1/dashboard/summary"
calls: list[str] = []


async def _count_users(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    calls.append(scope.area_code)
    n = (await session.execute(select(func.count()).select_from(User))).scalar_one()
    return {"users": int(n)}


@pytest.fixture
def test_sections() -> Iterator[None]:
    calls.clear()
    register(section("test_cached", cache_seconds=60, max_age_seconds=300)(_count_users))
    yield
    REGISTRY.pop("test_cached")


@pytest.mark.usefixtures("test_sections")
async def test_cached_section_is_served_until_stale(
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth: AuthHeaders,
    clock: FixedClock,
    settings: Settings,
) -> None:
    r = await client.get(URL, headers=auth("admin"))
    assert r.status_code == 200
    sections = r.json()["sections"]
    assert sections["test_cached"]["users"] > 0
    assert sections["test_cached"]["computed_at"] == "2026-06-15T10:00:00+08:00"
    assert calls == [DISTRICT]
    row = (
        await session.execute(
            select(DashboardSectionCache).where(DashboardSectionCache.section == "test_cached")
        )
    ).scalar_one()
    assert row.area_code == DISTRICT
    assert row.computed_at == clock.now()
    # Within max_age: no recomputation.
    clock.set(clock.now() + timedelta(seconds=200))
    again = (await client.get(URL, headers=auth("admin"))).json()["sections"]["test_cached"]
    assert again["computed_at"] == "2026-06-15T10:00:00+08:00"
    assert calls == [DISTRICT]
    # Past max_age (the worker is down): the request recomputes.
    clock.set(clock.now() + timedelta(seconds=200))
    await client.get(URL, headers=auth("admin"))
    assert calls == [DISTRICT, DISTRICT]
    # The refresh job recomputes recently read rows older than 45 s.
    clock.set(clock.now() + timedelta(seconds=50))
    ctx = JobContext(1, 1, settings, clock, "test")
    await jobs.refresh(session, {}, ctx)
    assert calls == [DISTRICT, DISTRICT, DISTRICT]
    await session.refresh(row)
    assert row.computed_at == clock.now()
