"""Community activities in the villages' venues: recorded once by client id, the ledger
children who took part and a count of others; the children who took part in none."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import CommunityActivity
from tests.conftest import TOWN1, VILLAGE1, VILLAGE2, VILLAGE3, AuthHeaders
from tests.subsidies.factories import make_child

A = "/api/v1/activities"
WITHOUT = "/api/v1/activities/children-without"


def _body(**kw: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "village_code": VILLAGE1,
        "held_on": "2026-06-01",
        "kind": "festival",
        "title": "六一游园会",
        "child_ids": [],
        "others": 12,
        **kw,
    }


async def _count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(CommunityActivity)) or 0)


async def test_an_activity_recorded_once_and_who_was_left_out(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    came = await make_child(session, settings)
    stayed = await make_child(session, settings)
    elsewhere = await make_child(session, settings, village_code=VILLAGE3)
    await make_child(session, settings, placement="institution")  # no village venue
    await make_child(session, settings, status="revoked", revoked_on=date(2026, 2, 1))
    body = _body(child_ids=[str(came.id)])
    r = await client.post(A, json=body, headers=auth("dir1"))
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["ledger_children"], out["others"], out["participants"]) == (1, 12, 13)
    assert out["town_code"] == TOWN1
    replay = await client.post(A, json=body, headers=auth("dir1"))
    assert replay.status_code == 200
    assert replay.json() == out
    other = await client.post(A, json={**body, "others": 13}, headers=auth("dir1"))
    assert other.status_code == 409
    assert other.json()["errors"][0]["field"] == "id"
    assert await _count(session) == 1
    # last year's activity does not count for this year
    old = _body(held_on="2025-12-20", child_ids=[str(stayed.id)])
    assert (await client.post(A, json=old, headers=auth("dir1"))).status_code == 201
    left = (await client.get(WITHOUT, headers=auth("admin"))).json()["items"]
    assert {c["child_id"] for c in left} == {str(stayed.id), str(elsewhere.id)}
    assert {
        c["child_id"] for c in (await client.get(WITHOUT, headers=auth("dir1"))).json()["items"]
    } == {str(stayed.id)}
    by_area = await client.get(WITHOUT, headers=auth("leader"), params={"area_code": VILLAGE3})
    assert [c["child_id"] for c in by_area.json()["items"]] == [str(elsewhere.id)]
    last_year = await client.get(WITHOUT, headers=auth("admin"), params={"year": 2025})
    assert {c["child_id"] for c in last_year.json()["items"]} == {str(came.id), str(elsewhere.id)}
    # the lists of activities follow the areas
    assert len((await client.get(A, headers=auth("sup1"))).json()["items"]) == 2
    assert (
        len((await client.get(A, headers=auth("sup1"), params={"year": 2026})).json()["items"]) == 1
    )
    assert (await client.get(A, headers=auth("dir3"))).json()["items"] == []
    assert (await client.get(A, headers=auth("institute"))).json()["items"] == []


async def test_bad_activity_input_names_the_field(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    mine = await make_child(session, settings)
    theirs = await make_child(session, settings, village_code=VILLAGE3)
    cases = [
        (_body(village_code=VILLAGE3), "village_code"),  # another town's venue
        (_body(village_code="110115009999"), "village_code"),
        (_body(held_on="2026-06-16"), "held_on"),
        (_body(held_on="2024-06-01"), "held_on"),
        (_body(kind="party"), "kind"),
        (_body(others=-1), "others"),
        (_body(others=0), "others"),
        (_body(child_ids=[str(theirs.id)]), "child_ids[0]"),
        (_body(child_ids=[str(mine.id), str(mine.id)]), "child_ids[1]"),
        (_body(title=""), "title"),
    ]
    for body, field in cases:
        r = await client.post(A, json=body, headers=auth("dir1"))
        assert r.status_code == 422, (body, r.text)
        assert field in [e["field"] for e in r.json()["errors"]], (body, r.json())
    assert await _count(session) == 0
    # a town supervisor records for the villages of the town
    ok = await client.post(A, json=_body(village_code=VILLAGE2), headers=auth("sup1"))
    assert ok.status_code == 201


async def test_an_activity_id_of_another_village_is_not_replayed(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    body = _body()
    assert (await client.post(A, json=body, headers=auth("dir1"))).status_code == 201
    r = await client.post(A, json=body, headers=auth("dir3"))
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "id"
