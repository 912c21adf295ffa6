"""受理: the unknown child, identified children, idempotent retries, bad input per field, PATCH."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import AuthHeaders
from tests.protection.factories import API, create, id_number, intake


async def test_an_unknown_child_is_taken_in_without_name_or_id(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    body = intake(child={"description": "约八岁男孩，不能说出姓名"})
    r = await client.post(f"{API}/intakes", json=body, headers=auth("institute"))
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["id"] == body["id"]
    assert out["status"] == "open"
    assert out["child"]["name"] is None
    assert out["child"]["id_number"] is None
    assert out["current_placement"]["setting"] == "centre"
    assert out["current_placement"]["start_on"] == "2026-06-15"
    assert out["health_check"]["belongings"] == "书包一个"
    assert r.headers["ETag"] == '"1"'
    got = await client.get(f"{API}/intakes/{body['id']}", headers=auth("protect"))
    assert got.status_code == 200
    assert got.json()["child"]["description"] == "约八岁男孩，不能说出姓名"


async def test_an_identified_child_shows_a_masked_id_number(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    number = id_number()
    out = await create(client, auth, child={"name": "测试儿童乙", "id_number": number})
    assert out["child"]["id_number"] == number[:6] + "********" + number[14:]
    assert out["child"]["gender"] == "male"  # from the ID number


async def test_the_same_id_and_body_is_answered_again_another_body_is_409(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    body = intake()
    first = await client.post(f"{API}/intakes", json=body, headers=auth("institute"))
    again = await client.post(f"{API}/intakes", json=body, headers=auth("institute"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    other = await client.post(
        f"{API}/intakes", json=body | {"found_at": "别处"}, headers=auth("institute")
    )
    assert other.status_code == 409
    listed = await client.get(f"{API}/intakes", headers=auth("admin"), params={"limit": 500})
    assert [i["id"] for i in listed.json()["items"]].count(body["id"]) == 1


async def test_a_second_open_intake_of_an_identified_child_is_409(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    number = id_number()
    first = await create(client, auth, child={"id_number": number})
    r = await client.post(
        f"{API}/intakes", json=intake(child={"id_number": number}), headers=auth("protect")
    )
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "open_intake_exists"
    assert r.json()["errors"][0]["field"] == "child.id_number"
    assert r.json()["existing_id"] == first["id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "runaway"}, "kind"),
        ({"basis": "poverty"}, "basis"),
        ({"admitted_at": "2026-06-15"}, "admitted_at"),
        ({"admitted_at": "2026-06-16T10:00:00+08:00"}, "admitted_at"),
        ({"brought_by": {"kind": "neighbour", "name": "某人"}}, "brought_by.kind"),
        ({"brought_by": {"kind": "person"}}, "brought_by.name"),
        ({"child": {"id_number": "110115201503090011"}}, "child.id_number"),
        ({"child": {"id_number": "12345"}}, "child.id_number"),
        ({"child": {"estimated_birth_year": 1990}}, "child.estimated_birth_year"),
        ({"child": {"gender": "boy"}}, "child.gender"),
        ({"incident_id": str(uuid.uuid4())}, "incident_id"),
        ({"previous_intake_id": str(uuid.uuid4())}, "previous_intake_id"),
        ({"do_not_disclose_to": ["x"] * 21}, "do_not_disclose_to"),
        ({"unknown": 1}, "unknown"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field_and_nothing_is_stored(
    client: httpx.AsyncClient, auth: AuthHeaders, change: dict[str, Any], field: str
) -> None:
    body = intake(**change)
    r = await client.post(f"{API}/intakes", json=body, headers=auth("institute", lang="en"))
    assert r.status_code == 422, r.text
    fields = [e["field"] for e in r.json()["errors"]]
    assert any(f == field or f.endswith(field) for f in fields), fields
    got = await client.get(f"{API}/intakes/{body['id']}", headers=auth("institute"))
    assert got.status_code == 404


async def test_the_gender_must_agree_with_the_id_number(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    body = intake(child={"id_number": id_number(gender="male"), "gender": "female"})
    r = await client.post(f"{API}/intakes", json=body, headers=auth("institute"))
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["child.gender"]


async def test_patch_needs_if_match_and_changes_what_is_sent(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    out = await create(client, auth)
    url = f"{API}/intakes/{out['id']}"
    body = {"child": {"name": "测试儿童丙"}, "care_plan": "每日心理疏导"}
    assert (await client.patch(url, json=body, headers=auth("institute"))).status_code == 428
    stale = auth("institute") | {"If-Match": '"7"'}
    assert (await client.patch(url, json=body, headers=stale)).status_code == 412
    ok = await client.patch(url, json=body, headers=auth("institute") | {"If-Match": '"1"'})
    assert ok.status_code == 200, ok.text
    got = ok.json()
    assert got["child"]["name"] == "测试儿童丙"
    assert got["child"]["description"] == "蓝色外套"  # untouched
    assert got["care_plan"] == "每日心理疏导"
    assert got["care_plan_at"] is not None
    assert ok.headers["ETag"] == '"2"'
    bad = await client.patch(
        url, json={"kind": None}, headers=auth("institute") | {"If-Match": '"2"'}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "kind"


async def test_a_reopening_is_a_new_intake_linked_to_the_closed_one(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    number = id_number()
    first = await create(client, auth, child={"name": "测试儿童丁", "id_number": number})
    r = await client.post(
        f"{API}/intakes/{first['id']}/discharge",
        json={
            "outcome": "transferred",
            "discharged_on": "2026-06-15",
            "transferred_to": {"to_whom": "外省救助站", "place": "某省"},
        },
        headers=auth("institute"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed"
    # closed: no more changes, no more steps
    url = f"{API}/intakes/{first['id']}"
    patch = await client.patch(
        url, json={"notes": "x"}, headers=auth("institute") | {"If-Match": r.headers["ETag"]}
    )
    assert patch.status_code == 409
    assert patch.json()["code"] == "intake_closed"
    again = await create(client, auth, previous_intake_id=first["id"], child={})
    assert again["previous_intake_id"] == first["id"]
    assert again["child"]["name"] == "测试儿童丁"  # carried over
    assert again["child"]["id_number"] == first["child"]["id_number"]
    # an open intake cannot be "reopened"
    r = await client.post(
        f"{API}/intakes",
        json=intake(previous_intake_id=again["id"]),
        headers=auth("institute"),
    )
    assert r.status_code == 422


async def test_list_filters(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    a = await create(client, auth, kind="trafficking_rescued")
    b = await create(client, auth, admitted_at="2026-05-01T08:00:00+08:00")
    h = auth("leader")
    r = await client.get(f"{API}/intakes", params={"kind": "trafficking_rescued"}, headers=h)
    ids = [i["id"] for i in r.json()["items"]]
    assert a["id"] in ids
    assert b["id"] not in ids
    r = await client.get(
        f"{API}/intakes",
        params={"admitted_to": "2026-06-01T00:00:00+08:00", "status": "open"},
        headers=h,
    )
    ids = [i["id"] for i in r.json()["items"]]
    assert b["id"] in ids
    assert a["id"] not in ids
    r = await client.get(f"{API}/intakes", params={"status": "lost"}, headers=h)
    assert r.status_code == 422
