"""The police see their own intakes' status only; a protected child's placement and the centre's
notes stay within the circle (centre staff, district admins); every read is audited."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEntry
from tests.conftest import AuthHeaders
from tests.protection.conftest import PoliceHeaders
from tests.protection.factories import API, create, id_number, intake, post

# `view` names the projection (the OpenAPI discriminator): "status", nothing of the child.
STATUS_FIELDS = {"view", "id", "status", "kind", "admitted_at"}


async def test_the_police_announce_a_child_and_see_its_status_only(
    client: httpx.AsyncClient, auth: AuthHeaders, police: PoliceHeaders
) -> None:
    body = intake(
        admitted_at="2026-06-15T14:00:00+08:00",  # on the way: arrives this afternoon
        child={"name": "测试儿童辛", "id_number": id_number()},
        notes="嫌疑人为其叔叔",
    )
    r = await client.post(f"{API}/intakes", json=body, headers=police())
    assert r.status_code == 201, r.text
    assert set(r.json()) == STATUS_FIELDS
    assert r.json()["status"] == "open"
    again = await client.post(f"{API}/intakes", json=body, headers=police())
    assert again.status_code == 200
    assert again.json() == r.json()
    one = await client.get(f"{API}/intakes/{body['id']}", headers=police())
    assert one.status_code == 200
    assert set(one.json()) == STATUS_FIELDS
    # the centre sees the whole, and the centre's records are not the police's to read
    staff = await client.get(f"{API}/intakes/{body['id']}", headers=auth("institute"))
    assert staff.json()["child"]["name"] == "测试儿童辛"
    assert staff.json()["notes"] == "嫌疑人为其叔叔"
    # the centre discharges: the police see the status change
    await client.post(
        f"{API}/intakes/{body['id']}/discharge",
        json={"outcome": "family_foster_care", "discharged_on": "2026-06-15"},
        headers=auth("institute"),
    )
    one = await client.get(f"{API}/intakes/{body['id']}", headers=police())
    assert one.json()["status"] == "closed"


async def test_the_police_list_only_their_own_intakes(
    client: httpx.AsyncClient, auth: AuthHeaders, police: PoliceHeaders
) -> None:
    mine = intake()
    assert (await client.post(f"{API}/intakes", json=mine, headers=police())).status_code == 201
    theirs = await create(client, auth)
    r = await client.get(f"{API}/intakes", headers=police(), params={"limit": 500})
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["id"] for i in items] == [mine["id"]]
    assert all(set(i) == STATUS_FIELDS for i in items)
    assert (await client.get(f"{API}/intakes/{theirs['id']}", headers=police())).status_code == 404


async def test_the_police_write_nothing_else(
    client: httpx.AsyncClient, auth: AuthHeaders, police: PoliceHeaders
) -> None:
    body = intake()
    await client.post(f"{API}/intakes", json=body, headers=police())
    url = f"{API}/intakes/{body['id']}"
    step = {"method": "police_identity_check", "traced_on": "2026-06-15"}
    assert (await client.post(f"{url}/tracing", json=step, headers=police())).status_code == 403
    patch = await client.patch(url, json={"notes": "x"}, headers=police() | {"If-Match": '"1"'})
    assert patch.status_code == 403
    assert (await client.get(f"{API}/occupancy", headers=police())).status_code == 403


async def test_without_the_scope_or_as_another_agency_nothing(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    body = intake()
    r = await client.post(f"{API}/intakes", json=body, headers=auth(agency="police"))
    assert r.status_code == 403
    health = auth(agency="health", scopes=["protection:write"])
    assert (await client.post(f"{API}/intakes", json=body, headers=health)).status_code == 403
    assert (await client.get(f"{API}/intakes", headers=health)).status_code == 403


async def _protected(client: httpx.AsyncClient, auth: AuthHeaders, **kw: Any) -> dict[str, Any]:
    out = await create(
        client,
        auth,
        notes="母亲称父亲常酗酒打人",
        do_not_disclose_to=["测试父亲"],
        **kw,
    )
    placement = {
        "setting": "relatives",
        "start_on": "2026-06-15",
        "with_whom": "测试姨妈，测试二村8号",
    }
    r = await post(client, auth, out["id"], "placements", placement)
    assert r.status_code == 201, r.text
    return out


async def test_a_shelter_child_is_hidden_outside_the_circle(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    out = await _protected(client, auth, kind="domestic_violence_shelter", basis="guardian_neglect")
    url = f"{API}/intakes/{out['id']}"
    for user in ("institute", "protect", "admin"):
        got = (await client.get(url, headers=auth(user))).json()
        assert got["confidential"] is True
        assert got["withheld"] == []
        assert got["current_placement"]["with_whom"] == "测试姨妈，测试二村8号"
        assert got["notes"] == "母亲称父亲常酗酒打人"
        assert got["do_not_disclose_to"] == ["测试父亲"]
    for user in ("leader", "auditor"):
        r = await client.get(url, headers=auth(user))
        assert r.status_code == 200
        got = r.json()
        assert got["current_placement"] is None
        assert got["placements"] is None
        assert got["notes"] is None
        assert got["do_not_disclose_to"] is None
        assert "测试姨妈" not in r.text
        assert "测试父亲" not in r.text
        assert set(got["withheld"]) >= {"notes", "current_placement", "do_not_disclose_to"}
        listed = await client.get(f"{API}/intakes", headers=auth(user), params={"limit": 500})
        assert "测试姨妈" not in listed.text
        assert "测试父亲" not in listed.text
    for user in ("dir1", "sup1", "counsel", "caseworker"):
        assert (await client.get(url, headers=auth(user))).status_code == 403
    reads = (
        await session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "protection_intake.read",
                AuditEntry.resource_id == out["id"],
            )
        )
    ).all()
    assert sorted(str(e.principal_name) for e in reads) == sorted(
        ["institute", "protect", "admin", "leader", "auditor"]
    )
    assert all(e.detail["confidential"] is True for e in reads)


async def test_harm_by_the_guardian_is_confidential_whatever_the_kind(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    out = await _protected(client, auth, kind="temporary_guardianship", basis="harm_by_guardian")
    got = (await client.get(f"{API}/intakes/{out['id']}", headers=auth("leader"))).json()
    assert got["confidential"] is True
    assert got["notes"] is None


async def test_an_ordinary_intake_is_whole_for_every_reader(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    out = await _protected(client, auth)
    got = (await client.get(f"{API}/intakes/{out['id']}", headers=auth("auditor"))).json()
    assert got["confidential"] is False
    assert got["withheld"] == []
    assert got["current_placement"]["setting"] == "relatives"
    assert got["placements"][0]["end_on"] == "2026-06-15"  # the centre's stay ended then
