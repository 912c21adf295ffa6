from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import Visit
from tests.conftest import NOW, VILLAGE2, VILLAGE3, AuthHeaders
from tests.visits.factories import make_child, visit_body

BATCH = "/api/v1/visits/batch"


async def test_mixed_batch_gives_a_result_per_item(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    mine = await make_child(session, settings)
    other = await make_child(session, settings, village=VILLAGE3)
    await session.commit()
    stored = visit_body(mine)
    assert (
        await client.post("/api/v1/visits", json=stored, headers=auth("dir1"))
    ).status_code == 201
    good = visit_body(mine, visited_at=(NOW - timedelta(days=2)).isoformat())
    conflicting = dict(stored, notes="另一份内容")
    future = visit_body(mine, visited_at=(NOW + timedelta(days=1)).isoformat())
    outside = visit_body(other)
    malformed = visit_body(mine, mode="teleport")
    no_id = {"child_id": str(mine)}
    items = [good, stored, conflicting, future, outside, malformed, no_id, good]
    r = await client.post(BATCH, json={"visits": items}, headers=auth("dir1", lang="en"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert [x["status"] for x in out["results"]] == [
        "created",
        "duplicate",
        "conflict",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "duplicate",
    ]
    assert [x["index"] for x in out["results"]] == list(range(8))
    assert out["results"][0]["id"] == good["id"]
    assert out["results"][6]["id"] is None
    assert (out["created"], out["duplicate"], out["conflict"], out["invalid"]) == (1, 2, 1, 4)
    reasons = {i: out["results"][i]["errors"] for i in (3, 4, 5)}
    assert reasons[3] == [{"field": "visited_at", "message": "The visit cannot be in the future"}]
    assert reasons[4][0]["field"] == "child_id"
    assert reasons[5][0]["field"] == "mode"
    assert "住房整洁" not in r.text  # the answer is small: ids and statuses, no bodies
    n = await session.scalar(
        select(func.count()).select_from(Visit).where(Visit.child_id.in_([mine, other]))
    )
    assert n == 2


async def test_batch_limits_and_roles(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    await session.commit()
    too_many = {"visits": [visit_body(child) for _ in range(201)]}
    r = await client.post(BATCH, json=too_many, headers=auth("dir1"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "visits"
    assert (await client.post(BATCH, json={"visits": []}, headers=auth("dir1"))).status_code == 422
    one = {"visits": [visit_body(child)]}
    assert (await client.post(BATCH, json=one)).status_code == 401
    assert (await client.post(BATCH, json=one, headers=auth("leader"))).status_code == 403
    r = await client.post(BATCH, json=one, headers=auth("dir2"))
    assert r.json()["results"][0]["status"] == "invalid"


async def test_list_filters_and_jurisdiction(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    a = await make_child(session, settings)
    b = await make_child(session, settings, village=VILLAGE2)
    c = await make_child(session, settings, village=VILLAGE3)
    await session.commit()
    june = visit_body(a)
    may = visit_body(a, visited_at="2026-05-31T23:30:00+08:00")
    vb = visit_body(b)
    vc = visit_body(c)
    for body, who in ((june, "dir1"), (may, "dir1"), (vb, "dir2"), (vc, "dir3")):
        r = await client.post("/api/v1/visits", json=body, headers=auth(who))
        assert r.status_code == 201

    async def ids(who: str, **params: str) -> set[str]:
        r = await client.get("/api/v1/visits", params=params, headers=auth(who))
        assert r.status_code == 200, r.text
        return {v["id"] for v in r.json()["items"]}

    ours = {june["id"], may["id"], vb["id"], vc["id"]}
    assert await ids("dir1") & ours == {june["id"], may["id"]}
    assert await ids("sup1") & ours == {june["id"], may["id"], vb["id"]}
    assert await ids("admin") & ours == ours
    assert await ids("institute") & ours == set()
    assert await ids("dir1", month="2026-05") & ours == {may["id"]}
    assert await ids("admin", area_code=VILLAGE2) & ours == {vb["id"]}
    assert await ids("admin", child_id=str(c)) == {vc["id"]}
    assert await ids("sup1", child_id=str(c)) == set()
    assert await ids("admin", updated_since="2999-01-01T00:00:00Z") == set()
    r = await client.get("/api/v1/visits", params={"month": "2026-13"}, headers=auth("admin"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "month"
    r = await client.get(
        "/api/v1/visits", params={"updated_since": "yesterday"}, headers=auth("admin")
    )
    assert r.json()["errors"][0]["field"] == "updated_since"
    r = await client.get("/api/v1/visits", headers=auth(agency="police"))
    assert r.status_code == 403
    # keyset pages
    r = await client.get("/api/v1/visits", params={"limit": 1}, headers=auth("dir1"))
    page1 = r.json()
    assert len(page1["items"]) == 1
    assert page1["next_cursor"]
    r = await client.get(
        "/api/v1/visits", params={"limit": 1, "cursor": page1["next_cursor"]}, headers=auth("dir1")
    )
    assert r.json()["items"][0]["id"] != page1["items"][0]["id"]
    # a single visit
    r = await client.get(f"/api/v1/visits/{vc['id']}", headers=auth("dir3"))
    assert r.status_code == 200
    assert r.json()["child_id"] == str(c)
    r = await client.get(f"/api/v1/visits/{vc['id']}", headers=auth("dir1"))
    assert r.status_code == 404
    r = await client.get(f"/api/v1/visits/{uuid.uuid4()}", headers=auth("admin"))
    assert r.status_code == 404
