"""The dashboard's programme sections: aid paid, gifts delivered, activities held — by area."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.conftest import TOWN1, TOWN2, VILLAGE1, VILLAGE3, AuthHeaders
from tests.programmes.aid_factories import ROUNDS, named_child
from tests.subsidies.factories import make_child

URL = "/api/v1/dashboard/summary"


async def test_programme_sections(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    one = await make_child(session, settings, village_code=VILLAGE1)
    await make_child(session, settings, village_code=VILLAGE3)
    rid = (
        await client.post(ROUNDS, json={"year": 2026, "name": "x"}, headers=auth("admin"))
    ).json()["id"]
    for village, amount in ((VILLAGE1, "1000.00"), (VILLAGE3, "500.50"), (VILLAGE3, "7.00")):
        a = await client.post(
            f"{ROUNDS}/{rid}/applications",
            json={
                "child": named_child("male", village),
                "programme": "boys_in_difficulty",
                "amount": amount,
            },
            headers=auth("admin"),
        )
        url = f"{ROUNDS}/{rid}/applications/{a.json()['id']}"
        await client.post(f"{url}/approve", json={"amount": amount}, headers=auth("leader"))
        if amount != "7.00":  # approved, not yet paid
            await client.post(f"{url}/disburse", headers=auth("admin"))
    await client.post(
        "/api/v1/subsidy/holiday-runs",
        json={"occasion": "childrens_day", "year": 2026},
        headers=auth("admin"),
    )
    await client.post(
        "/api/v1/holiday-gifts",
        json={"occasion": "childrens_day", "year": 2026, "item": "书包", "value": "50.00"},
        headers=auth("admin"),
    )
    gift = (await client.get("/api/v1/holiday-gifts", headers=auth("dir1"))).json()["items"][0]
    await client.post(
        f"/api/v1/holiday-gifts/{gift['id']}/delivery",
        json={"delivered_on": "2026-06-01"},
        headers=auth("dir1"),
    )
    await client.post(
        "/api/v1/activities",
        json={
            "id": str(uuid.uuid4()),
            "village_code": VILLAGE1,
            "held_on": "2026-06-01",
            "kind": "festival",
            "title": "游园",
            "child_ids": [str(one.id)],
            "others": 9,
        },
        headers=auth("dir1"),
    )
    whole = (await client.get(URL, headers=auth("admin"))).json()["sections"]
    assert whole["education_aid"] == {
        "year": 2026,
        "through": "2026-06-30",
        "children_paid": 2,
        "paid": "1500.50",
        "by_programme": {
            "spring_bud": {"children": 0, "paid": "0.00"},
            "boys_in_difficulty": {"children": 2, "paid": "1500.50"},
        },
        "fund": "women_federation",
    }
    assert whole["holiday_gifts"] == {
        "year": 2026,
        "gifts": 2,
        "delivered": 1,
        "not_delivered": 1,
        "value": "100.00",
        "delivered_value": "50.00",
    }
    assert whole["community_activities"] == {
        "year": 2026,
        "activities": 1,
        "villages": 1,
        "ledger_children": 1,
        "other_participants": 9,
        "children_without_activity": 1,
    }
    town2 = (await client.get(URL, headers=auth("sup2"), params={"area_code": TOWN2})).json()[
        "sections"
    ]
    assert town2["education_aid"]["paid"] == "500.50"
    assert town2["holiday_gifts"]["delivered"] == 0
    assert town2["community_activities"]["activities"] == 0
    assert town2["community_activities"]["children_without_activity"] == 1
    town1 = (await client.get(URL, headers=auth("sup1"), params={"area_code": TOWN1})).json()[
        "sections"
    ]
    assert town1["community_activities"]["children_without_activity"] == 0
    # May: nothing paid, delivered or held yet
    may = (await client.get(URL, headers=auth("admin"), params={"month": "2026-05"})).json()[
        "sections"
    ]
    assert may["education_aid"]["paid"] == "0.00"
    assert may["holiday_gifts"]["delivered"] == 0
    assert may["community_activities"]["activities"] == 0
