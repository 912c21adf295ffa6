"""Change proposals 变更申请: directors and supervisors propose, district admins decide."""

from __future__ import annotations

import httpx
import pytest

from tests.children.factories import create
from tests.conftest import AuthHeaders

URL = "/api/v1/children"
PROPOSALS = f"{URL}/proposals"


async def propose(
    client: httpx.AsyncClient, headers: dict[str, str], cid: str, **changes: object
) -> httpx.Response:
    return await client.post(
        f"{URL}/{cid}/proposals",
        json={"changes": changes, "reason": "入户走访发现已升学"},
        headers=headers,
    )


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("dir1", 201),
        ("sup1", 201),
        ("dir2", 404),
        ("sup2", 404),
        ("admin", 403),
        ("institute", 403),
        ("leader", 403),
    ],
)
async def test_who_may_propose(
    client: httpx.AsyncClient, auth: AuthHeaders, user: str, status: int
) -> None:
    c = await create(client, auth("admin"))
    r = await propose(client, auth(user), c["id"], school_stage="junior_secondary")
    assert r.status_code == status, r.text


async def test_bad_proposals_are_refused(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    c = await create(client, auth("admin"))
    r = await propose(client, auth("dir1"), c["id"], category="de_facto_unsupported")
    assert r.status_code == 422
    assert "category" in [e["field"] for e in r.json()["errors"]]
    r = await propose(client, auth("dir1"), c["id"], id_number="110115201503040035")
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["changes.id_number"]
    r = await propose(client, auth("dir1"), c["id"])
    assert r.status_code == 422
    r = await propose(client, auth("dir1"), c["id"], school_stage="kindergarten")
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["changes.school_stage"]
    r = await propose(client, auth("dir1"), c["id"], placement="institution")
    assert r.status_code == 403


async def test_approval_applies_the_change_with_history(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    c = await create(client, auth("admin"))
    p = (await propose(client, auth("dir1"), c["id"], school_stage="junior_secondary")).json()
    assert p["status"] == "pending"
    listed = await client.get(PROPOSALS, params={"status": "pending"}, headers=auth("sup1"))
    assert [x["id"] for x in listed.json()["items"]] == [p["id"]]
    assert (await client.get(PROPOSALS, headers=auth("dir3"))).json()["items"] == []
    assert (
        await client.post(f"{PROPOSALS}/{p['id']}/approve", headers=auth("dir1"))
    ).status_code == 403
    r = await client.post(f"{PROPOSALS}/{p['id']}/approve", headers=auth("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"
    assert r.json()["decided_by_name"] == "admin"
    child = (await client.get(f"{URL}/{c['id']}", headers=auth("dir1"))).json()
    assert child["school_stage"] == "junior_secondary"
    assert child["version"] == 2
    h = (await client.get(f"{URL}/{c['id']}/history", headers=auth("admin"))).json()
    assert h[-1]["actor_name"] == "admin"
    assert p["id"] in h[-1]["reason"]
    assert h[-1]["changes"] == [
        {"field": "school_stage", "from": "primary", "to": "junior_secondary"}
    ]
    again = await client.post(f"{PROPOSALS}/{p['id']}/approve", headers=auth("admin"))
    assert again.status_code == 409


async def test_rejection_needs_a_reason(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    c = await create(client, auth("admin"))
    p = (await propose(client, auth("sup1"), c["id"], school_name="新学校")).json()
    url = f"{PROPOSALS}/{p['id']}/reject"
    assert (await client.post(url, json={}, headers=auth("admin"))).status_code == 422
    r = await client.post(url, json={"reason": "无佐证材料"}, headers=auth("admin"))
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["decision_reason"]) == ("rejected", "无佐证材料")
    child = (await client.get(f"{URL}/{c['id']}", headers=auth("admin"))).json()
    assert child["school_name"] == "测试小学"
    assert (await client.post(url, json={"reason": "x"}, headers=auth("admin"))).status_code == 409
    missing = f"{PROPOSALS}/00000000-0000-0000-0000-000000000000/reject"
    assert (
        await client.post(missing, json={"reason": "x"}, headers=auth("admin"))
    ).status_code == 404
