"""Who sees an incident: its reporter, district admins, the auditor, the referred agencies (their
fields only); town supervisors a summary; everyone else a 404. Every read is audited."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AuditEntry
from tests.conftest import AuthHeaders
from tests.incidents.factories import make_child, report

API = "/api/v1"


async def _incident(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> tuple[str, str]:
    child = await make_child(session, settings)
    body = report(child.id)
    r = await client.post(f"{API}/incidents", json=body, headers=auth("dir1"))
    assert r.status_code == 201
    return body["id"], str(r.json()["referrals"][0]["id"])


async def test_circle_sees_everything(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    iid, _ = await _incident(client, auth, session, settings)
    for user in ("dir1", "admin", "auditor"):
        r = await client.get(f"{API}/incidents/{iid}", headers=auth(user))
        assert r.status_code == 200, user
        assert r.json()["view"] == "full"
        assert r.json()["description"]
        listed = await client.get(f"{API}/incidents", headers=auth(user), params={"limit": 500})
        assert iid in [x["id"] for x in listed.json()["items"]]


async def test_town_supervisor_sees_only_that_it_exists(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    iid, _ = await _incident(client, auth, session, settings)
    r = await client.get(f"{API}/incidents/{iid}", headers=auth("sup1"))
    assert r.status_code == 200
    data = r.json()
    assert data["view"] == "summary"
    assert data["status"] == "reported"
    assert set(data) == {
        "view",
        "id",
        "status",
        "child_id",
        "child_name",
        "reported_at",
        "updated_at",
    }
    r = await client.get(f"{API}/incidents", headers=auth("sup1"), params={"limit": 500})
    [item] = [x for x in r.json()["items"] if x["id"] == iid]
    assert "description" not in item
    assert "kinds" not in item


async def test_outside_the_circle_it_does_not_exist(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    iid, ref = await _incident(client, auth, session, settings)
    for user in ("dir2", "dir3", "sup2", "leader", "institute"):
        r = await client.get(f"{API}/incidents/{iid}", headers=auth(user))
        assert r.status_code == 404, user
        r = await client.get(f"{API}/incidents", headers=auth(user), params={"limit": 500})
        assert iid not in [x["id"] for x in r.json()["items"]], user
    # Agencies have no access to the staff API; other agencies do not see the police referral.
    r = await client.get(f"{API}/incidents/{iid}", headers=auth(agency="police"))
    assert r.status_code == 403
    for agency in ("health", "education", "disabled_federation", "women_federation"):
        r = await client.get(f"{API}/referrals/{ref}", headers=auth(agency=agency))
        assert r.status_code == 404, agency
        r = await client.get(f"{API}/referrals", headers=auth(agency=agency), params={"limit": 500})
        assert ref not in [x["id"] for x in r.json()["items"]]
        r = await client.post(f"{API}/referrals/{ref}/acknowledge", headers=auth(agency=agency))
        assert r.status_code == 404
    # Staff cannot use the partner API; a token without the scope is refused.
    assert (await client.get(f"{API}/referrals", headers=auth("admin"))).status_code == 403
    r = await client.get(
        f"{API}/referrals", headers=auth(agency="police", scopes=["children:read"])
    )
    assert r.status_code == 403
    r = await client.post(
        f"{API}/referrals/{ref}/acknowledge",
        headers=auth(agency="police", scopes=["referrals:read"]),
    )
    assert r.status_code == 403
    assert (await client.get(f"{API}/incidents/{iid}")).status_code == 401
    assert (
        await client.get(f"{API}/incidents/{uuid.uuid4()}", headers=auth("admin"))
    ).status_code == 404


async def test_each_agency_sees_its_mandate_only(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    iid, _ = await _incident(client, auth, session, settings)
    for agency in ("health", "disabled_federation", "women_federation"):
        r = await client.post(
            f"{API}/incidents/{iid}/referrals", json={"agency": agency}, headers=auth("admin")
        )
        assert r.status_code == 201
    seen = {}
    for agency in ("health", "disabled_federation", "women_federation"):
        r = await client.get(f"{API}/referrals", headers=auth(agency=agency), params={"limit": 500})
        [ref] = [x for x in r.json()["items"] if x["incident"]["id"] == iid]
        seen[agency] = ref
    assert set(seen["health"]["child"]) == {
        "name", "gender", "birth_date", "age", "id_number", "serious_illness", "disability",
        "insurance",
    }  # fmt: skip
    assert "description" in seen["health"]["incident"]
    assert set(seen["disabled_federation"]["child"]) == {
        "name", "gender", "birth_date", "age", "id_number", "disability"
    }  # fmt: skip
    # the ID number masked for all but the police
    assert {len(s["child"]["id_number"]) for s in seen.values()} == {18}
    assert {s["child"]["id_number"][6:14] for s in seen.values()} == {"********"}
    assert "description" not in seen["disabled_federation"]["incident"]
    assert "location" not in seen["women_federation"]["incident"]
    assert "guardians" in seen["women_federation"]["child"]


async def test_every_read_is_audited(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    iid, ref = await _incident(client, auth, session, settings)
    await client.get(f"{API}/incidents/{iid}", headers=auth("auditor"))
    await client.get(f"{API}/incidents/{iid}", headers=auth("sup1"))
    await client.get(f"{API}/referrals/{ref}", headers=auth(agency="police"))
    await client.get(f"{API}/referrals", headers=auth(agency="police"))
    rows = (
        await session.execute(
            select(AuditEntry.action, AuditEntry.principal_name, AuditEntry.resource_id).where(
                AuditEntry.action.in_(("incident.read", "referral.read", "referral.list"))
            )
        )
    ).all()
    assert ("incident.read", "auditor", iid) in rows
    assert ("incident.read", "sup1", iid) in rows
    assert ("referral.read", "测试police", ref) in rows
    assert any(a == "referral.list" for a, _, _ in rows)
