"""The dashboard's programme sections: pairings and parents' classes, for the district and a town."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.conftest import TOWN1, TOWN2, VILLAGE3, AuthHeaders
from tests.programmes.factories import child, contact_body, mother, paired

URL = "/api/v1/dashboard/summary"


async def test_pairings_and_classes_sections(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    h = auth("admin")
    m = await mother(client, h)
    town1 = await child(session, settings)
    town2 = await child(session, settings, village=VILLAGE3)
    waiting = await child(session, settings, village=VILLAGE3)
    p1 = await paired(client, h, m["id"], town1, since="2026-06-02")
    await paired(client, h, m["id"], town2, since="2026-03-01")
    r = await client.post(
        f"/api/v1/pairings/{p1['id']}/contacts",
        json=contact_body(contacted_on="2026-06-10"),
        headers=h,
    )
    assert r.status_code == 201
    r = await client.post(
        "/api/v1/caring-mother-wishes",
        json={"child_id": str(waiting), "wished_on": "2026-05-01"},
        headers=h,
    )
    assert r.status_code == 201
    body = {
        "topic": "亲子沟通",
        "expert_field": "psychology",
        "mode": "school",
        "held_on": "2026-06-10",
        "place": "测试小学",
        "town_code": TOWN1,
        "others_count": 9,
    }
    c = (await client.post("/api/v1/parent-classes", json=body, headers=h)).json()
    r = await client.post(
        f"/api/v1/parent-classes/{c['id']}/attendance",
        json={"child_ids": [str(town1)]},
        headers=h,
    )
    assert r.status_code == 200
    whole = (await client.get(URL, headers=auth("leader"))).json()["sections"]
    assert whole["pairings"] == {
        "active": 2,
        "started": 1,
        "ended": 0,
        "contacts": 1,
        "unmatched_wishes": 1,
    }
    assert whole["parent_classes"] == {
        "held_in_month": 1,
        "held_this_year": 1,
        "others_this_year": 9,
        "families_this_year": 1,
    }
    town = (await client.get(URL, params={"area_code": TOWN2}, headers=auth("sup2"))).json()
    assert town["sections"]["pairings"]["active"] == 1
    assert town["sections"]["pairings"]["contacts"] == 0
    assert town["sections"]["parent_classes"]["held_this_year"] == 0
    one = (await client.get(URL, params={"area_code": TOWN1}, headers=auth("sup1"))).json()
    assert one["sections"]["parent_classes"]["families_this_year"] == 1
