"""A city of two districts: each district's caring mothers, pairings and parents' classes are its
own. DISTRICT's are a 404 by id to DISTRICT_B's offices and absent from their lists (and the
reverse); a class cannot be recorded for another district's town."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.conftest import TOWN1, TOWN_B, VILLAGE_B, AuthHeaders
from tests.programmes.factories import child, contact_body, mother, pair, paired

MOTHERS = "/api/v1/caring-mothers"
CLASSES = "/api/v1/parent-classes"


async def _ids(client: httpx.AsyncClient, auth: AuthHeaders, user: str, path: str) -> list[str]:
    r = await client.get(path, headers=auth(user), params={"limit": 200})
    assert r.status_code == 200, (user, path, r.text)
    return [i["id"] for i in r.json()["items"]]


def _class(town: str | None) -> dict[str, Any]:
    return {
        "topic": "家庭教育",
        "expert_field": "education",
        "mode": "online",
        "held_on": "2026-05-01",
        "link": "https://meeting.example/1",
        "town_code": town,
    }


async def test_each_district_pairs_its_own_mothers_and_children(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    ma = (await mother(client, auth("admin")))["id"]
    mb = (await mother(client, auth("admin_b")))["id"]
    ca = await child(session, settings)
    cb = await child(session, settings, village=VILLAGE_B)
    pa = (await paired(client, auth("admin"), ma, ca))["id"]
    pb = (await paired(client, auth("admin_b"), mb, cb))["id"]
    for user in ("admin_b", "sup_b", "dir_b"):
        mine = await _ids(client, auth, user, MOTHERS)
        assert ma not in mine, user
        assert mb in mine, user
        pairings = await _ids(client, auth, user, "/api/v1/pairings")
        assert pa not in pairings, user
        assert pb in pairings, user
    for user in ("admin", "leader", "sup1", "dir1"):
        mine = await _ids(client, auth, user, MOTHERS)
        assert mb not in mine, user
        assert ma in mine, user
        assert pb not in await _ids(client, auth, user, "/api/v1/pairings"), user
    # another district's mother cannot be paired, renewed; its pairing not written
    r = await pair(client, auth("admin_b"), ma, cb)
    assert r.status_code == 404, r.text
    r = await pair(client, auth("admin"), mb, ca)
    assert r.status_code == 404, r.text
    check = {"queried_on": "2026-06-01", "result": "clear", "reference": "续查-1"}
    r = await client.post(f"{MOTHERS}/{ma}/record-check", json=check, headers=auth("admin_b"))
    assert r.status_code == 404, r.text
    r = await client.post(
        f"/api/v1/pairings/{pa}/contacts", json=contact_body(), headers=auth("admin_b")
    )
    assert r.status_code == 404, r.text
    r = await client.post(
        f"/api/v1/pairings/{pb}/contacts", json=contact_body(), headers=auth("admin")
    )
    assert r.status_code == 404, r.text


async def test_each_district_keeps_its_own_classes(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.post(CLASSES, json=_class(None), headers=auth("admin"))
    assert r.status_code == 201, r.text
    a = r.json()["id"]
    r = await client.post(CLASSES, json=_class(TOWN_B), headers=auth("admin_b"))
    assert r.status_code == 201, r.text
    b = r.json()["id"]
    for user, mine, theirs in (("admin_b", b, a), ("sup_b", b, a), ("admin", a, b), ("sup1", a, b)):
        listed = await _ids(client, auth, user, CLASSES)
        assert theirs not in listed, user
        assert mine in listed, user
        r = await client.get(f"{CLASSES}/{theirs}", headers=auth(user))
        assert r.status_code == 404, (user, r.text)
    # a class for another district's town: 422 naming the town
    r = await client.post(CLASSES, json=_class(TOWN1), headers=auth("admin_b"))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "town_code"
    r = await client.post(CLASSES, json=_class(TOWN_B), headers=auth("admin"))
    assert r.status_code == 422, r.text
    # the year's report counts the own district's classes
    rep_a = (await client.get(f"{CLASSES}/report?year=2026", headers=auth("admin"))).json()
    rep_b = (await client.get(f"{CLASSES}/report?year=2026", headers=auth("admin_b"))).json()
    assert (rep_a["classes"], rep_b["classes"]) == (1, 1)
