"""The dashboard's 12-month trends and a town supervisor's villages (issue 29).

There was no month-over-month trend anywhere, and a town supervisor saw one bar (their town)
instead of their villages.
"""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard.providers.trends import months_back
from tests.conftest import VILLAGE1, VILLAGE2, VILLAGE3, AuthHeaders
from tests.dashboard import factories

URL = "/api/v1/dashboard/summary"
MONTHS = [f"2025-{m:02d}" for m in range(7, 13)] + [f"2026-{m:02d}" for m in range(1, 7)]


def test_twelve_months_end_with_the_selected_one() -> None:
    assert [f"{m:%Y-%m}" for m in months_back(date(2026, 6, 1))] == MONTHS
    assert months_back(date(2026, 1, 1))[0] == date(2025, 2, 1)


async def test_the_district_sees_twelve_months_of_each_trend(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    await factories.child(session, village=VILLAGE1, approved_on=date(2025, 12, 5))
    await factories.child(
        session, village=VILLAGE3, category="poor_family_disabled", approved_on=date(2025, 6, 1)
    )
    await factories.child(session, village=None, approved_on=date(2026, 3, 2))  # the institute's
    r = await client.get(URL, headers=auth("admin"))
    assert r.status_code == 200, r.text
    t = r.json()["sections"]["trends"]
    assert t["months"] == MONTHS
    assert t["visit_target"] == 1.0
    orphans = t["ledger_by_category"]["orphan"]
    assert orphans == [0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2]
    assert t["ledger_by_category"]["poor_family_disabled"] == [1] * 12
    coverage = t["visit_coverage"]
    assert len(coverage) == 12
    # December's orphan is due from January on (enrolled by the month's first day).
    assert [p["due"] for p in coverage] == [1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]
    assert coverage[0]["ratio"] == 0.0
    assert len(t["incidents"]) == 12
    assert t["incidents"][-1] == {"reported": 0, "acknowledged": 0, "median_ack_hours": None}
    assert t["spending"] is not None
    assert len(t["spending"]) == 12


async def test_a_town_supervisor_sees_their_villages_and_their_trends(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    await factories.child(session, village=VILLAGE1, approved_on=date(2026, 1, 5))
    await factories.child(session, village=VILLAGE2, approved_on=date(2026, 1, 5))
    await factories.child(session, village=VILLAGE3, approved_on=date(2026, 1, 5))  # town 2
    r = await client.get(URL, headers=auth("sup1"))
    assert r.status_code == 200, r.text
    sections = r.json()["sections"]
    villages = sections["visits"]["villages"]
    assert [v["code"] for v in villages] == [VILLAGE1, VILLAGE2]
    assert all(v["due"] == 1 for v in villages)
    t = sections["trends"]
    assert t["months"] == MONTHS
    assert t["ledger_by_category"]["orphan"] == [0] * 6 + [2] * 6
    assert t["spending"] is None  # the budget is the district's
