from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AreaLocation
from app.visits.flags import distance_km
from tests.conftest import NOW, VILLAGE1, AuthHeaders
from tests.visits.factories import make_child, make_town, make_user, visit_body

URL = "/api/v1/visits/flags"


def test_distance() -> None:
    # One degree of latitude is about 111 km.
    assert round(distance_km((39.0, 116.0), (40.0, 116.0))) == 111


async def test_flags_on_arrival_listed_for_supervisors(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await session.execute(insert(AreaLocation).values(code=VILLAGE1, lat=39.70, lon=116.30))
    kids = [await make_child(session, settings) for _ in range(6)]
    await session.commit()
    copied = "家中一切正常，孩子身体健康，学习认真，监护人照料到位。"
    bodies = [
        visit_body(
            k,
            visited_at=(NOW - timedelta(hours=3, minutes=-10 * i)).isoformat(),
            notes=copied if i < 2 else f"第{i}次探访，情况各不相同。",
            location={"lat": 39.70, "lon": 116.30 + (0.2 if i == 5 else 0)},
        )
        for i, k in enumerate(kids)
    ]
    r = await client.post("/api/v1/visits/batch", json={"visits": bodies}, headers=auth("dir1"))
    assert r.json()["created"] == 6
    r = await client.get(URL, headers=auth("sup1"))
    assert r.status_code == 200
    flags = r.json()["items"]
    by_kind: dict[str, set[str]] = {}
    for f in flags:
        by_kind.setdefault(f["kind"], set()).add(f["visit_id"])
    # 6 visits within 50 minutes: more than 4 in an hour → the 5th and 6th arrivals are flagged
    assert by_kind["burst"] == {bodies[4]["id"], bodies[5]["id"]}
    assert by_kind["copied_notes"] == {bodies[1]["id"]}
    assert by_kind["far_location"] == {bodies[5]["id"]}
    far = next(f for f in flags if f["kind"] == "far_location")
    assert 15 < far["detail"]["distance_km"] < 20
    r = await client.get(URL, params={"kind": "burst"}, headers=auth("admin"))
    assert {f["visit_id"] for f in r.json()["items"]} >= by_kind["burst"]
    assert all(f["kind"] == "burst" for f in r.json()["items"])
    r = await client.get(URL, headers=auth("sup2"))
    assert {f["visit_id"] for f in r.json()["items"]} & {b["id"] for b in bodies} == set()
    assert (await client.get(URL, headers=auth("dir1"))).status_code == 403


async def test_directors_without_visits_in_a_month(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await make_town(session, "110115009", ["110115009001", "110115009002", "110115009003"])
    busy = await make_user(session, "dir9a", "village_director", "110115009001")
    await make_user(session, "dir9b", "village_director", "110115009002")
    await make_user(session, "dir9c", "village_director", "110115009003")  # nobody due
    sup9 = await make_user(session, "sup9", "town_supervisor", "110115009")
    a = await make_child(session, settings, village="110115009001")
    await make_child(session, settings, village="110115009002")
    await make_child(session, settings, village="110115009002")
    await session.commit()
    r = await client.post("/api/v1/visits", json=visit_body(a), headers=auth(user_id=busy))
    assert r.status_code == 201
    r = await client.get(URL, params={"month": "2026-06"}, headers=auth(user_id=sup9))
    assert r.status_code == 200
    assert [(d["username"], d["children_due"]) for d in r.json()["directors_without_visits"]] == [
        ("dir9b", 2)
    ]
    r = await client.get(URL, params={"month": "2026-06"}, headers=auth("admin"))
    assert "dir9b" in {d["username"] for d in r.json()["directors_without_visits"]}
    r = await client.get(URL, params={"month": "2026-06"}, headers=auth("sup1"))
    assert "dir9b" not in {d["username"] for d in r.json()["directors_without_visits"]}
    r = await client.get(URL, headers=auth("admin"))
    assert r.json()["directors_without_visits"] is None
