"""The city's view 市级看板: each district as a row, aggregates only, for the city's offices.

Before: nobody above a district saw anything, and a district's dashboard (by its prefix of the
area tree) could not show two districts side by side."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEntry
from tests.conftest import CITY, DISTRICT, DISTRICT_B, VILLAGE1, VILLAGE3, VILLAGE_B, AuthHeaders
from tests.dashboard import factories
from tests.incidents.factories import report
from tests.visits.factories import visit_body

URL = "/api/v1/city/dashboard"


async def _world(client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession) -> None:
    """DISTRICT: three children (two orphans), one visited, one incident; DISTRICT_B: one
    child, one incident; the institute: one child of no district."""
    a1 = await factories.child(session, village=VILLAGE1, name="测试儿童甲一")
    await factories.child(session, village=VILLAGE1)
    await factories.child(session, village=VILLAGE3, category="poor_family_disabled")
    b1 = await factories.child(session, village=VILLAGE_B, name="乙区儿童乙一")
    await factories.child(session, village=None, approved_on=date(2026, 3, 2))
    await session.commit()
    r = await client.post("/api/v1/visits", json=visit_body(a1), headers=auth("dir1"))
    assert r.status_code == 201, r.text
    r = await client.post("/api/v1/incidents", json=report(a1), headers=auth("dir1"))
    assert r.status_code == 201, r.text
    r = await client.post("/api/v1/incidents", json=report(b1), headers=auth("dir_b"))
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("who", ["city_admin", "city_viewer"])
async def test_the_city_sees_each_district_as_a_row(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, who: str
) -> None:
    await _world(client, auth, session)
    r = await client.get(URL, headers=auth(who))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["month"] == "2026-06"
    assert body["city"]["code"] == CITY
    rows = {d["code"]: d for d in body["districts"]}
    assert list(rows) == [DISTRICT, DISTRICT_B]
    a, b = rows[DISTRICT], rows[DISTRICT_B]
    assert a["children"]["total"] == 3
    assert a["children"]["by_category"]["orphan"] == 2
    assert a["children"]["by_category"]["poor_family_disabled"] == 1
    assert b["children"]["total"] == 1
    assert (a["visits"]["due"], a["visits"]["visited"]) == (3, 1)
    assert (b["visits"]["due"], b["visits"]["visited"]) == (1, 0)
    assert (a["incidents"]["reported"], a["incidents"]["open"]) == (1, 1)
    assert (b["incidents"]["reported"], b["incidents"]["open"]) == (1, 1)
    assert body["unplaced"]["children"]["total"] == 1  # the institute's child
    assert body["totals"]["children"]["total"] == 5
    assert body["totals"]["incidents"]["open"] == 2
    assert body["totals"]["spending"]["spent"] == "0.00"
    t = body["trends"]
    assert len(t["months"]) == 12
    assert t["months"][-1] == "2026-06"
    assert t["incidents"][-1]["reported"] == 2
    assert t["visit_coverage"][-1] == {"due": 4, "visited": 1, "ratio": 0.25}
    assert len(t["spending"]) == 12
    # aggregates only: no child's name anywhere
    assert "测试儿童甲一" not in r.text
    assert "乙区儿童乙一" not in r.text


async def test_the_city_view_is_audited(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    r = await client.get(URL, params={"month": "2026-05"}, headers=auth("city_viewer"))
    assert r.status_code == 200, r.text
    assert r.json()["month"] == "2026-05"
    n = await session.scalar(
        select(func.count()).where(AuditEntry.action == "dashboard.city_summary")
    )
    assert n == 1


@pytest.mark.parametrize("who", ["admin", "leader", "auditor", "admin_b", "sup1", "dir1"])
async def test_district_staff_do_not_read_the_city_view(
    client: httpx.AsyncClient, auth: AuthHeaders, who: str
) -> None:
    r = await client.get(URL, headers=auth(who))
    assert r.status_code == 403


async def test_the_city_does_not_read_a_districts_records(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    """The city's offices see aggregates: a child's record is a 404 to them by default."""
    child = await factories.child(session, village=VILLAGE1)
    await session.commit()
    for who in ("city_admin", "city_viewer"):
        r = await client.get(f"/api/v1/children/{child}", headers=auth(who))
        assert r.status_code in (403, 404), (who, r.status_code)


async def test_the_city_page_is_served_with_its_policy(client: httpx.AsyncClient) -> None:
    r = await client.get("/dashboard/city")
    assert r.status_code == 200
    assert "市级看板" in r.text
    assert "/dashboard/static/city.js" in r.text
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    js = await client.get("/dashboard/static/city.js")
    assert js.status_code == 200
    assert "/city/dashboard" in js.text
