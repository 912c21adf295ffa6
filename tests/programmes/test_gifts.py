"""Gifts in kind of the holiday runs: recorded per child (retry-safe), delivered once by the
child's village director from the phone, audited."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AuditEntry, Child, HolidayGift
from tests.conftest import TOWN1, VILLAGE2, VILLAGE3, AuthHeaders
from tests.subsidies.factories import make_child

G = "/api/v1/holiday-gifts"
H = "/api/v1/subsidy/holiday-runs"


async def _run(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> tuple[Child, Child, Child]:
    a = await make_child(session, settings)
    b = await make_child(session, settings, village_code=VILLAGE3)
    c = await make_child(session, settings, placement="institution")
    r = await client.post(
        H, json={"occasion": "childrens_day", "year": 2026}, headers=auth("admin")
    )
    assert r.status_code == 201, r.text
    return a, b, c


async def _gifts(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(HolidayGift)) or 0)


async def test_a_gift_for_every_child_of_the_run_once(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    a, b, c = await _run(client, auth, session, settings)
    body = {"occasion": "childrens_day", "year": 2026, "item": "书包", "value": "89.90"}
    r = await client.post(G, json=body, headers=auth("admin"))
    assert r.status_code == 201, r.text
    assert (r.json()["children"], r.json()["created"], r.json()["total_value"]) == (
        3,
        3,
        "269.70",
    )
    retry = await client.post(G, json=body, headers=auth("admin"))
    assert retry.status_code == 200
    assert (retry.json()["children"], retry.json()["created"]) == (3, 0)
    assert await _gifts(session) == 3
    # another item for one child only
    one = await client.post(
        G,
        json={**body, "item": "图书", "value": "30.00", "child_ids": [str(a.id)]},
        headers=auth("admin"),
    )
    assert (one.json()["children"], one.json()["total_value"]) == (1, "30.00")
    # a director sees the gifts of their village; a supervisor those of their town
    mine = (await client.get(G, headers=auth("dir1"))).json()["items"]
    assert {(g["child_id"], g["item"]) for g in mine} == {(str(a.id), "书包"), (str(a.id), "图书")}
    assert mine[0]["town_code"] == TOWN1
    assert mine[0]["occasion"] == "childrens_day"
    assert mine[0]["year"] == 2026
    assert (await client.get(G, headers=auth("dir3"))).json()["items"][0]["child_id"] == str(b.id)
    assert len((await client.get(G, headers=auth("leader"))).json()["items"]) == 4
    assert len((await client.get(G, headers=auth("institute"))).json()["items"]) == 1
    assert (await client.get(G, headers=auth("dir2"))).json()["items"] == []
    filtered = await client.get(G, headers=auth("admin"), params={"occasion": "spring_festival"})
    assert filtered.json()["items"] == []
    assert c.id  # the institute's child has her gift too


async def test_bad_gift_input(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await _run(client, auth, session, settings)
    outsider = await make_child(session, settings, approved_on=date(2026, 6, 10))  # after 1 June
    base = {"occasion": "childrens_day", "year": 2026, "item": "书包", "value": "89.90"}
    cases = [
        ({**base, "value": "89.999"}, "value", 422),
        ({**base, "value": 89}, "value", 422),
        ({**base, "value": "-1"}, "value", 422),
        ({**base, "year": 2025}, "year", 422),  # no run
        ({**base, "occasion": "mid_autumn"}, "occasion", 422),
        ({**base, "item": ""}, "item", 422),
        ({**base, "child_ids": [str(outsider.id)]}, "child_ids[0]", 422),
    ]
    for body, field, status in cases:
        r = await client.post(G, json=body, headers=auth("admin"))
        assert r.status_code == status, (body, r.text)
        assert field in [e["field"] for e in r.json()["errors"]], (body, r.json())
    assert await _gifts(session) == 0
    assert (await client.post(G, json=base, headers=auth("admin"))).status_code == 201
    other = await client.post(G, json={**base, "value": "99.00"}, headers=auth("admin"))
    assert other.status_code == 409
    assert other.json()["errors"][0]["field"] == "value"
    assert await _gifts(session) == 3


async def test_the_village_director_confirms_a_delivery_once(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    a, b, _ = await _run(client, auth, session, settings)
    body = {"occasion": "childrens_day", "year": 2026, "item": "书包", "value": "89.90"}
    await client.post(G, json=body, headers=auth("admin"))
    gift = (await client.get(G, headers=auth("dir1"))).json()["items"][0]
    url = f"{G}/{gift['id']}/delivery"
    done = {"delivered_on": "2026-06-01", "received_by": "奶奶"}
    # a director of another village: no such gift, naming the field
    for other in ("dir2", "dir3"):
        r = await client.post(url, json=done, headers=auth(other))
        assert r.status_code == 404
        assert r.json()["code"] == "gift_not_found"
        assert r.json()["errors"][0]["field"] == "gift_id"
    assert (await client.post(url, json=done, headers=auth("auditor"))).status_code == 403
    future = await client.post(url, json={"delivered_on": "2026-06-16"}, headers=auth("dir1"))
    assert future.status_code == 422
    assert future.json()["errors"][0]["field"] == "delivered_on"
    r = await client.post(url, json=done, headers=auth("dir1"))
    assert r.status_code == 200, r.text
    assert r.json()["delivered"] is True
    assert r.json()["delivered_by"] == "dir1"
    again = await client.post(url, json=done, headers=auth("dir1"))
    assert again.json() == r.json()
    changed = await client.post(url, json={"delivered_on": "2026-06-02"}, headers=auth("dir1"))
    assert changed.status_code == 409
    assert changed.json()["code"] == "gift_delivered"
    assert changed.json()["errors"][0]["field"] == "delivered_on"
    undelivered = await client.get(G, headers=auth("admin"), params={"delivered": "false"})
    assert str(a.id) not in {g["child_id"] for g in undelivered.json()["items"]}
    assert str(b.id) in {g["child_id"] for g in undelivered.json()["items"]}
    await session.commit()
    audited = await session.scalar(
        select(func.count()).where(
            AuditEntry.action == "holiday_gift.deliver", AuditEntry.resource_id == gift["id"]
        )
    )
    assert audited == 1


async def test_village_filter_and_pages(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    for _ in range(3):
        await make_child(session, settings, village_code=VILLAGE2)
    await _run(client, auth, session, settings)
    await client.post(
        G,
        json={"occasion": "childrens_day", "year": 2026, "item": "书包", "value": "10"},
        headers=auth("admin"),
    )
    first = await client.get(G, headers=auth("sup1"), params={"limit": 2})
    assert len(first.json()["items"]) == 2
    rest = await client.get(
        G, headers=auth("sup1"), params={"limit": 10, "cursor": first.json()["next_cursor"]}
    )
    assert len(rest.json()["items"]) == 2  # 4 children in town 1
    assert rest.json()["next_cursor"] is None
    v2 = await client.get(G, headers=auth("sup1"), params={"village_code": VILLAGE2})
    assert len(v2.json()["items"]) == 3
