"""A city of two districts: each district trains its own workers.

A session of DISTRICT is absent from DISTRICT_B's lists and a 404 by id to its offices and
supervisor (and the reverse); B's workers cannot be recorded at A's district session, nor
check in to it; B's admin cannot hold a session in A's district or its towns; coverage counts
the caller's district's workers only."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import DISTRICT, DISTRICT_B, TOWN1, TOWN_B, AuthHeaders, Base
from tests.training.factories import T, attend, create


async def _ids(client: httpx.AsyncClient, auth: AuthHeaders, user: str) -> set[str]:
    r = await client.get(T, headers=auth(user), params={"limit": 500})
    assert r.status_code == 200, r.text
    return {i["id"] for i in r.json()["items"]}


async def test_sessions_stay_within_their_district(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    town_a = await create(client, auth, "sup1")
    district_a = await create(client, auth, "admin", level="district")
    town_b = await create(client, auth, "sup_b", area_code=TOWN_B)
    district_b = await create(client, auth, "admin_b", level="district", area_code=DISTRICT_B)
    assert await _ids(client, auth, "admin") == {town_a["id"], district_a["id"]}
    assert await _ids(client, auth, "sup1") == {town_a["id"], district_a["id"]}
    assert await _ids(client, auth, "admin_b") == {town_b["id"], district_b["id"]}
    assert await _ids(client, auth, "sup_b") == {town_b["id"], district_b["id"]}
    for user, other in (("admin_b", town_a), ("sup_b", district_a), ("admin", district_b)):
        r = await client.get(f"{T}/{other['id']}", headers=auth(user))
        assert r.status_code == 404, (user, r.text)


async def test_no_session_in_another_districts_area(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    body: dict[str, Any]
    for body in (
        {"level": "district", "area_code": DISTRICT},
        {"level": "town", "area_code": TOWN1},
    ):
        r = await client.post(
            T,
            json={
                "id": "6c1a3a52-0000-4000-8000-00000000000"
                + ("1" if body["level"] == "town" else "2"),
                "held_on": "2026-06-15",
                "hours": 2,
                "topics": ["home_visits"],
                "trainer": "乙区",
                **body,
            },
            headers=auth("admin_b"),
        )
        assert r.status_code == 422, (body, r.text)
        assert r.json()["errors"][0]["field"] == "area_code"


async def test_another_districts_workers_are_not_recorded_at_a_district_session(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base
) -> None:
    s = await create(client, auth, "admin", level="district")
    for who in ("sup_b", "dir_b", "protect_b"):
        r = await attend(client, auth, s["id"], base.users[who])
        assert r.status_code == 422, (who, r.text)
    # nor by B's admin at all: the session does not exist for them
    r = await attend(client, auth, s["id"], base.users["sup_b"], by="admin_b")
    assert r.status_code == 404
    r = await client.post(
        "/api/v1/training/check-in", json={"code": s["code"]}, headers=auth("dir_b")
    )
    assert r.status_code == 422


async def test_coverage_counts_the_own_districts_workers(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    year = {"year": 2026}
    r_a = await client.get("/api/v1/training/coverage", params=year, headers=auth("admin"))
    r_b = await client.get("/api/v1/training/coverage", params=year, headers=auth("admin_b"))
    assert r_a.status_code == r_b.status_code == 200, (r_a.text, r_b.text)
    towns_a = {t["code"] for t in r_a.json()["towns"]}
    towns_b = {t["code"] for t in r_b.json()["towns"]}
    assert r_a.json()["workers"] == 9  # the base's nine workers of DISTRICT (as before)
    assert r_b.json()["workers"] == 3  # sup_b, dir_b, protect_b
    assert TOWN1 in towns_a
    assert TOWN_B not in towns_a
    assert TOWN1 not in towns_b
    assert TOWN_B in towns_b
