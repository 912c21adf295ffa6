"""The whole life of a report through the API, as each party; refused transitions."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.conftest import AuthHeaders
from tests.incidents.factories import make_child, report

API = "/api/v1"


async def _police_referral(client: httpx.AsyncClient, auth: AuthHeaders, incident_id: str) -> str:
    r = await client.get(f"{API}/referrals", headers=auth(agency="police"), params={"limit": 500})
    assert r.status_code == 200
    [ref] = [x for x in r.json()["items"] if x["incident"]["id"] == incident_id]
    return str(ref["id"])


async def test_full_lifecycle(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings, name="测试小红")
    body = report(child.id, kinds=["domestic_violence"])
    r = await client.post(f"{API}/incidents", json=body, headers=auth("dir1"))
    assert r.status_code == 201
    iid = body["id"]

    # The police see their referral with identity, residence and the report itself.
    r = await client.get(f"{API}/referrals", headers=auth(agency="police"))
    [ref] = [x for x in r.json()["items"] if x["incident"]["id"] == iid]
    assert ref["child"]["name"] == "测试小红"
    assert len(ref["child"]["id_number"]) == 18
    assert ref["child"]["village_code"] == child.village_code
    assert ref["incident"]["description"] == body["description"]
    assert "school_name" not in ref["child"]

    # An update before receipt is refused; receipt moves the incident to acknowledged.
    r = await client.post(
        f"{API}/referrals/{ref['id']}/updates", json={"note": "x"}, headers=auth(agency="police")
    )
    assert r.status_code == 409
    r = await client.post(
        f"{API}/referrals/{ref['id']}/acknowledge",
        json={"case_number": "JX2026-0615-001"},
        headers=auth(agency="police"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "acknowledged"
    assert r.json()["agency_case_number"] == "JX2026-0615-001"
    again = await client.post(
        f"{API}/referrals/{ref['id']}/acknowledge", headers=auth(agency="police")
    )
    assert again.status_code == 200
    assert again.json()["acknowledged_at"] == "2026-06-15T02:00:00Z"

    r = await client.get(f"{API}/incidents/{iid}", headers=auth("admin"))
    assert r.json()["status"] == "acknowledged"
    assert r.json()["steps"][-1]["actor_kind"] == "agency"

    # The district investigates and refers to education as well.
    r = await client.post(
        f"{API}/incidents/{iid}/transitions",
        json={"to": "investigating", "note": "已联系派出所"},
        headers=auth("admin"),
    )
    assert r.status_code == 200
    assert r.json()["status"] == "investigating"
    r = await client.post(
        f"{API}/incidents/{iid}/referrals", json={"agency": "education"}, headers=auth("admin")
    )
    assert r.status_code == 201
    assert r.json()["agency"] == "education"
    r = await client.post(
        f"{API}/incidents/{iid}/referrals", json={"agency": "education"}, headers=auth("admin")
    )
    assert r.status_code == 409

    # Education sees schooling, not the description nor the whole ID number.
    r = await client.get(f"{API}/referrals", headers=auth(agency="education"))
    [edu] = [x for x in r.json()["items"] if x["incident"]["id"] == iid]
    assert edu["child"]["school_name"] == "测试小学"
    assert "description" not in edu["incident"]
    assert edu["child"]["id_number"] == child.id_number_masked
    assert "guardians" not in edu["child"]
    r = await client.post(
        f"{API}/referrals/{edu['id']}/acknowledge", headers=auth(agency="education")
    )
    assert r.status_code == 200

    # Intervention with temporary guardianship and placement.
    r = await client.post(
        f"{API}/incidents/{iid}/transitions",
        json={
            "to": "intervening",
            "note": "临时监护",
            "interventions": [
                {
                    "kind": "temporary_guardianship",
                    "since": "2026-06-15",
                    "guardian_name": "大兴区民政局",
                    "guardian_relation": "民政部门",
                },
                {
                    "kind": "protection_centre_placement",
                    "since": "2026-06-15",
                    "centre_name": "大兴区未成年人救助保护中心",
                },
            ],
        },
        headers=auth("admin"),
    )
    assert r.status_code == 200, r.text
    kinds = [i["kind"] for i in r.json()["interventions"]]
    assert kinds == ["temporary_guardianship", "protection_centre_placement"]

    # The police report progress.
    r = await client.post(
        f"{API}/referrals/{ref['id']}/updates",
        json={"status": "completed", "note": "已立案侦查", "case_number": "JX2026-0615-002"},
        headers=auth(agency="police"),
    )
    assert r.status_code == 200
    assert r.json()["status"] == "completed"
    assert r.json()["agency_case_number"] == "JX2026-0615-002"

    r = await client.post(
        f"{API}/incidents/{iid}/transitions",
        json={"to": "closed", "outcome": "substantiated", "note": "结案"},
        headers=auth("admin"),
    )
    assert r.status_code == 200
    data = r.json()
    assert (data["status"], data["outcome"]) == ("closed", "substantiated")
    assert [s["to_status"] for s in data["steps"]] == [
        "reported",
        "acknowledged",
        "investigating",
        "intervening",
        "closed",
    ]
    assert all(s["at"] and s["actor_name"] for s in data["steps"])
    police = next(x for x in data["referrals"] if x["agency"] == "police")
    assert [u["status"] for u in police["updates"]] == ["acknowledged", "completed"]

    # The reporter sees the closed case.
    r = await client.get(f"{API}/incidents/{iid}", headers=auth("dir1"))
    assert r.status_code == 200
    assert r.json()["status"] == "closed"


async def test_refused_transitions(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    body = report(child.id)
    await client.post(f"{API}/incidents", json=body, headers=auth("dir1"))
    iid = body["id"]
    url = f"{API}/incidents/{iid}/transitions"
    for to in ("investigating", "intervening"):
        r = await client.post(url, json={"to": to}, headers=auth("admin"))
        assert r.status_code == 409, to
        assert r.json()["from"] == "reported"
        assert r.json()["allowed"] == ["acknowledged"]
    r = await client.post(
        url, json={"to": "closed", "outcome": "unsubstantiated"}, headers=auth("admin")
    )
    assert r.status_code == 409
    r = await client.post(url, json={"to": "closed"}, headers=auth("admin"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "outcome"
    r = await client.post(url, json={"to": "reported"}, headers=auth("admin"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "to"
    r = await client.post(
        url,
        json={"to": "acknowledged", "interventions": [{"kind": "other", "since": "2026-06-15"}]},
        headers=auth("admin"),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "interventions"
    r = await client.post(url, json={"to": "acknowledged"}, headers=auth("admin"))
    assert r.status_code == 200
    r = await client.post(url, json={"to": "acknowledged"}, headers=auth("admin"))
    assert r.status_code == 409
    # Only district admins move incidents; the reporter may not; strangers see nothing.
    r = await client.post(url, json={"to": "investigating"}, headers=auth("dir1"))
    assert r.status_code == 403
    r = await client.post(
        f"{API}/incidents/{uuid.uuid4()}/transitions",
        json={"to": "investigating"},
        headers=auth("admin"),
    )
    assert r.status_code == 404
    r = await client.post(
        f"{API}/incidents/{iid}/referrals", json={"agency": "police"}, headers=auth("admin")
    )
    assert r.status_code == 422


async def test_draft_completed_by_the_director(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    draft_id = str(uuid.uuid4())
    r = await client.post(
        f"{API}/incidents",
        json={"id": draft_id, "draft": True, "child_id": str(child.id), "visit_id": draft_id},
        headers=auth("dir1"),
    )
    # a visit that does not exist (or is another child's) is named, not a database error
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "visit_id"
    r = await client.post(
        f"{API}/incidents",
        json={"id": draft_id, "draft": True, "child_id": str(child.id)},
        headers=auth("dir1"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "draft"
    assert r.json()["referrals"] == []
    r = await client.get(f"{API}/referrals", headers=auth(agency="police"))
    assert draft_id not in [x["incident"]["id"] for x in r.json()["items"]]
    # Not visible to the town supervisor while a draft; not completable by another director.
    assert (
        await client.get(f"{API}/incidents/{draft_id}", headers=auth("sup1"))
    ).status_code == 404
    complete = {k: v for k, v in report().items() if k != "id"}
    r = await client.post(
        f"{API}/incidents/{draft_id}/complete", json=complete, headers=auth("dir2")
    )
    assert r.status_code == 404
    r = await client.post(
        f"{API}/incidents/{draft_id}/transitions",
        json={"to": "acknowledged"},
        headers=auth("admin"),
    )
    assert r.status_code == 409
    r = await client.post(
        f"{API}/incidents/{draft_id}/complete",
        json={k: v for k, v in complete.items() if k != "location"},
        headers=auth("dir1"),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "location"
    r = await client.post(
        f"{API}/incidents/{draft_id}/complete", json=complete, headers=auth("dir1")
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "reported"
    assert [x["agency"] for x in r.json()["referrals"]] == ["police"]
    assert [s["to_status"] for s in r.json()["steps"]] == ["draft", "reported"]
    r = await client.post(
        f"{API}/incidents/{draft_id}/complete", json=complete, headers=auth("dir1")
    )
    assert r.status_code == 409
