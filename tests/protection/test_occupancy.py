"""Occupancy and the dashboard's section: beds, residents by kind, stays, months, outcomes."""

from __future__ import annotations

import httpx

from tests.conftest import AuthHeaders
from tests.protection.factories import API, create, post


async def test_occupancy_counts_residents_stays_and_months(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    before = (await client.get(f"{API}/occupancy", headers=auth("leader"))).json()
    await create(client, auth, kind="trafficking_rescued", admitted_at="2026-05-05T09:00:00+08:00")
    await create(client, auth, kind="street_begging", admitted_at="2026-06-15T08:00:00+08:00")
    gone = await create(client, auth, admitted_at="2026-06-01T08:00:00+08:00")
    r = await post(
        client,
        auth,
        gone["id"],
        "discharge",
        {"outcome": "family_foster_care", "discharged_on": "2026-06-10"},
    )
    assert r.status_code == 200
    r = await client.get(f"{API}/occupancy", headers=auth("leader"), params={"months": 2})
    assert r.status_code == 200, r.text
    now = r.json()
    assert now["beds"] == 40
    assert now["residents"] == before["residents"] + 2
    assert now["free_beds"] == now["beds"] - now["residents"]
    assert now["residents_by_kind"]["trafficking_rescued"] >= 1
    assert now["longest_stay_days"] >= 41  # 2026-05-05 to 2026-06-15
    months = {m["month"]: m for m in now["by_month"]}
    assert list(months) == ["2026-05", "2026-06"]
    assert months["2026-06"]["admissions"] >= 2
    assert months["2026-06"]["discharges"]["family_foster_care"] >= 1
    assert (
        await client.get(f"{API}/occupancy", params={"months": 0}, headers=auth("admin"))
    ).status_code == 422


async def test_the_dashboard_shows_the_centre_to_the_district_only(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    await create(client, auth, kind="domestic_violence_shelter", notes="机密备注")
    r = await client.get("/api/v1/dashboard/summary", headers=auth("admin"))
    assert r.status_code == 200, r.text
    section = r.json()["sections"]["protection"]
    assert section["residents"] >= 1
    assert section["residents_by_kind"]["domestic_violence_shelter"] >= 1
    assert section["admissions"] >= 1
    assert "机密备注" not in r.text
    town = await client.get(
        "/api/v1/dashboard/summary", params={"area_code": "110115001"}, headers=auth("admin")
    )
    assert "protection" not in town.json()["sections"]
