"""The follow-up visits of a returned child come to the village director's phone with the sync."""

from __future__ import annotations

import httpx

from tests.conftest import VILLAGE1, AuthHeaders
from tests.protection.factories import create, post


async def test_visits_due_appear_in_the_directors_sync_until_made(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    out = await create(client, auth, child={"name": "测试儿童壬"})
    safe = {"assessed_on": "2026-06-15", "conclusion": "safe_to_return"}
    assert (await post(client, auth, out["id"], "family-assessments", safe)).status_code == 201
    first = await client.get("/api/v1/sync", headers=auth("dir1"))
    assert first.status_code == 200
    assert first.json()["protection_visits_due"] == []
    discharge = {
        "outcome": "returned_to_family",
        "discharged_on": "2026-06-15",
        "family_village_code": VILLAGE1,
        "family_address": "测试一村9号",
    }
    assert (await post(client, auth, out["id"], "discharge", discharge)).status_code == 200
    # an incremental sync with no ledger change still carries the visits due
    cursor = first.json()["next_cursor"]
    r = await client.get("/api/v1/sync", params={"cursor": cursor}, headers=auth("dir1"))
    due = [v for v in r.json()["protection_visits_due"] if v["intake_id"] == out["id"]]
    assert [v["due_on"] for v in due] == ["2026-07-15", "2026-08-15", "2026-09-15"]
    assert due[0]["child_name"] == "测试儿童壬"
    # nobody else's phone gets them
    for user in ("dir2", "sup1", "institute"):
        other = await client.get("/api/v1/sync", headers=auth(user))
        assert all(v["intake_id"] != out["id"] for v in other.json()["protection_visits_due"])
    done = await client.post(
        f"/api/v1/protection/follow-up-visits/{due[0]['id']}/done",
        json={"visited_on": "2026-06-15"},
        headers=auth("dir1"),
    )
    assert done.status_code == 200
    r = await client.get("/api/v1/sync", params={"cursor": cursor}, headers=auth("dir1"))
    left = [v["seq"] for v in r.json()["protection_visits_due"] if v["intake_id"] == out["id"]]
    assert left == [2, 3]
