"""智慧父母: parents' classes, attendance by ledger child, and the report per town."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import ParentClassAttendance
from tests.conftest import TOWN1, TOWN2, VILLAGE3, AuthHeaders
from tests.programmes.factories import child, fields

URL = "/api/v1/parent-classes"


def class_body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "topic": "如何与青春期的孩子沟通",
        "expert_field": "psychology",
        "mode": "school",
        "held_on": "2026-05-20",
        "place": "测试镇中心小学",
        "town_code": TOWN1,
    }
    body.update(over)
    return body


async def held(client: httpx.AsyncClient, headers: dict[str, str], **over: Any) -> dict[str, Any]:
    r = await client.post(URL, json=class_body(**over), headers=headers)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def attend(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    class_id: str,
    *children: uuid.UUID,
    **kw: Any,
) -> httpx.Response:
    body = {"child_ids": [str(c) for c in children], **kw}
    return await client.post(f"{URL}/{class_id}/attendance", json=body, headers=headers)


async def test_classes_in_a_school_and_online(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    c = await held(client, auth("admin"), others_count=12)
    assert c["expert_field"] == "psychology"
    assert (c["mode"], c["place"], c["link"]) == ("school", "测试镇中心小学", None)
    assert (c["town_code"], c["others_count"], c["ledger_families"]) == (TOWN1, 12, 0)
    online = await held(
        client,
        auth("sup1"),
        mode="online",
        place=None,
        link="https://meeting.example/room/1",
        town_code=None,
        expert_field="law",
    )
    assert online["town_code"] == TOWN1  # a supervisor's class is in their town
    district_wide = await held(client, auth("admin"), town_code=None, expert_field="education")
    assert district_wide["town_code"] is None
    r = await client.get(URL, headers=auth("dir3"), params={"year": 2026, "limit": 500})
    assert {c["id"], online["id"], district_wide["id"]} <= {x["id"] for x in r.json()["items"]}
    r = await client.get(f"{URL}/{c['id']}", headers=auth("dir1"))
    assert r.status_code == 200
    assert r.json()["topic"] == "如何与青春期的孩子沟通"
    r = await client.get(f"{URL}/{uuid.uuid4()}", headers=auth("dir1"))
    assert r.status_code == 404
    assert r.json()["code"] == "parent_class_not_found"


async def test_bad_classes_name_the_field(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    h = auth("admin")
    cases = [
        (class_body(place=None), ["place"]),
        (class_body(mode="online", place=None), ["link"]),
        (class_body(link="https://meeting.example/1"), ["link"]),
        (class_body(mode="online", place=None, link="ftp://x"), ["link"]),
        (class_body(expert_field="medicine"), ["expert_field"]),
        (class_body(mode="radio"), ["mode"]),
        (class_body(town_code="110115999"), ["town_code"]),
        (class_body(town_code=VILLAGE3), ["town_code"]),
        (class_body(held_on="2026-13-01"), ["held_on"]),
        (class_body(others_count=-1), ["others_count"]),
        (class_body(topic=""), ["topic"]),
    ]
    for body, expected in cases:
        r = await client.post(URL, json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
        assert fields(r) == expected, (body, r.text)
    r = await client.post(URL, json=class_body(town_code=TOWN2), headers=auth("sup1"))
    assert r.status_code == 422
    assert fields(r) == ["town_code"]


async def test_creation_is_idempotent_on_its_key(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    h = auth("admin") | {"Idempotency-Key": "class-1"}
    first = await client.post(URL, json=class_body(), headers=h)
    again = await client.post(URL, json=class_body(), headers=h)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]


async def test_attendance_by_ledger_child(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    a = await child(session, settings)
    b = await child(session, settings)
    c = await held(client, auth("admin"))
    r = await attend(client, auth("dir1"), c["id"], a, b, a)
    assert r.status_code == 200, r.text
    assert r.json()["ledger_families"] == 2
    assert {x["child_id"] for x in r.json()["attendees"]} == {str(a), str(b)}
    r = await attend(client, auth("sup1"), c["id"], a)  # recorded twice: still once
    assert r.json()["ledger_families"] == 2
    # another village's director sees the count, not the children
    r = await client.get(f"{URL}/{c['id']}", headers=auth("dir2"))
    assert (r.json()["ledger_families"], r.json()["attendees"]) == (2, [])
    n = await session.execute(
        select(func.count()).where(ParentClassAttendance.class_id == uuid.UUID(c["id"]))
    )
    assert n.scalar_one() == 2


async def test_the_count_of_others_is_the_organisers(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    c = await held(client, auth("admin"))
    r = await attend(client, auth("dir1"), c["id"], others_count=5)
    assert r.status_code == 403
    r = await attend(client, auth("sup2"), c["id"], others_count=5)
    assert r.status_code == 403
    r = await attend(client, auth("sup1"), c["id"], others_count=30)
    assert r.status_code == 200
    assert r.json()["others_count"] == 30


async def test_bad_attendance_writes_nothing(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    mine = await child(session, settings)
    gone = await child(session, settings, revoked_on=date(2026, 5, 1))
    c = await held(client, auth("admin"))
    r = await attend(client, auth("dir1"), c["id"], mine, gone, uuid.uuid4())
    assert r.status_code == 422
    assert fields(r) == ["child_ids.1", "child_ids.2"]
    r = await attend(client, auth("dir2"), c["id"], mine)  # not dir2's child
    assert r.status_code == 422
    assert fields(r) == ["child_ids.0"]
    r = await client.get(f"{URL}/{c['id']}", headers=auth("admin"))
    assert r.json()["ledger_families"] == 0
    future = await held(client, auth("admin"), held_on="2026-07-01")
    r = await attend(client, auth("dir1"), future["id"], mine)
    assert r.status_code == 409
    assert r.json()["code"] == "parent_class_not_held"
    r = await attend(client, auth("dir1"), str(uuid.uuid4()), mine)
    assert r.status_code == 404


async def test_report_per_town_of_the_families_that_attended_this_year(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    came = await child(session, settings)
    came_twice = await child(session, settings)
    await child(session, settings)  # town 1, did not come
    await child(session, settings, village=VILLAGE3)  # town 2, did not come
    last_year_only = await child(session, settings, village=VILLAGE3)
    resident = await child(session, settings, placement="institution")
    this_year = await held(client, auth("admin"), others_count=7)
    second = await held(client, auth("admin"), held_on="2026-06-01", others_count=3)
    last_year = await held(client, auth("admin"), held_on="2025-11-20", town_code=TOWN2)
    assert (
        await attend(client, auth("dir1"), this_year["id"], came, came_twice)
    ).status_code == 200
    assert (await attend(client, auth("dir1"), second["id"], came_twice)).status_code == 200
    r = await attend(client, auth("dir3"), last_year["id"], last_year_only)
    assert r.status_code == 200
    assert (await attend(client, auth("institute"), second["id"], resident)).status_code == 200

    r = await client.get(f"{URL}/report", headers=auth("leader"), params={"year": 2026})
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["year"], report["classes"], report["others"]) == (2026, 2, 10)
    rows = {t["town_code"]: t for t in report["towns"]}
    assert (rows[TOWN1]["ledger_children"], rows[TOWN1]["attended"]) == (3, 2)
    assert rows[TOWN1]["ratio"] == round(2 / 3, 4)
    assert (rows[TOWN2]["ledger_children"], rows[TOWN2]["attended"]) == (2, 0)
    assert (rows[None]["ledger_children"], rows[None]["attended"]) == (1, 1)
    r = await client.get(f"{URL}/report", headers=auth("admin"), params={"year": 2025})
    rows = {t["town_code"]: t for t in r.json()["towns"]}
    assert rows[TOWN2]["attended"] == 1
    # a town supervisor: their town only
    r = await client.get(f"{URL}/report", headers=auth("sup1"), params={"year": 2026})
    assert [t["town_code"] for t in r.json()["towns"]] == [TOWN1]
    assert r.json()["classes"] == 2
    r = await client.get(f"{URL}/report", headers=auth("admin"), params={"year": 1999})
    assert r.status_code == 422
