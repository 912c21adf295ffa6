"""Care records 照护记录 and activities 集体活动: per child and per domain, idempotent by id."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.conftest import AuthHeaders
from tests.incidents.factories import make_child
from tests.institution.factories import (
    ACTIVITIES,
    CARE_RECORDS,
    activity,
    care_record,
    fields,
    resident,
)


async def test_care_records_listed_per_child_and_per_domain(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    a, b = await resident(session, settings), await resident(session, settings)
    h = auth("institute")
    bodies = [
        care_record(a.id),
        care_record(a.id, domain="rehabilitation", kind="rehabilitation_session", minutes=45),
        care_record(b.id, domain="education", kind="school_meeting", recorded_on="2026-05-20"),
    ]
    for body in bodies:
        r = await client.post(CARE_RECORDS, json=body, headers=h)
        assert r.status_code == 201, r.text
        assert r.json()["staff_name"] == "institute"
    r = await client.get(CARE_RECORDS, params={"child_id": str(a.id)}, headers=auth("leader"))
    assert [i["id"] for i in r.json()["items"]] == sorted([bodies[0]["id"], bodies[1]["id"]])
    r = await client.get(CARE_RECORDS, params={"domain": "rehabilitation"}, headers=h)
    assert [(i["id"], i["minutes"]) for i in r.json()["items"]] == [(bodies[1]["id"], 45)]
    r = await client.get(CARE_RECORDS, params={"month": "2026-05"}, headers=h)
    assert [i["id"] for i in r.json()["items"]] == [bodies[2]["id"]]


async def test_care_record_retry_and_conflict(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await resident(session, settings)
    body = care_record(child.id)
    first = await client.post(CARE_RECORDS, json=body, headers=auth("institute"))
    again = await client.post(CARE_RECORDS, json=body, headers=auth("institute"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    r = await client.post(CARE_RECORDS, json=body | {"notes": "改"}, headers=auth("institute"))
    assert r.status_code == 409
    assert fields(r.json()) == ["id"]


async def test_care_record_bad_input_names_the_field(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await resident(session, settings)
    dispersed = await make_child(session, settings)
    left = await resident(session, settings, left_on=__import__("datetime").date(2026, 5, 1))
    cases = [
        (care_record(child.id, recorded_on="2026-06-16"), "recorded_on"),
        (care_record(child.id, domain="care", kind="medical_appointment"), "kind"),
        (care_record(child.id, domain="rehabilitation", kind="rehabilitation_session"), "minutes"),
        (care_record(dispersed.id), "child_id"),
        (care_record(left.id), "child_id"),
        (care_record(uuid.uuid4()), "child_id"),
        (care_record(child.id, domain="play"), "domain"),
        (care_record(child.id, kind="singing"), "kind"),
        (care_record(child.id, minutes=0), "minutes"),
        (care_record(child.id, recorded_on="2026-13-01"), "recorded_on"),
        (care_record(child.id, notes="x" * 4001), "notes"),
        (care_record(child.id, id="not-a-uuid"), "id"),
    ]
    for body, field in cases:
        r = await client.post(CARE_RECORDS, json=body, headers=auth("admin"))
        assert r.status_code == 422, (field, r.text)
        assert field in fields(r.json()), (field, r.json())


async def test_activities_with_partner_children_and_photos(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    a, b = await resident(session, settings), await resident(session, settings)
    body = activity([a.id, b.id])
    r = await client.post(ACTIVITIES, json=body, headers=auth("institute"))
    assert r.status_code == 201, r.text
    assert r.json()["partner_organisation"] == "区文化馆"
    assert r.json()["photos"] == ["photo://2026-06-06/001"]
    again = await client.post(ACTIVITIES, json=body, headers=auth("institute"))
    assert again.status_code == 200
    r = await client.get(ACTIVITIES, params={"child_id": str(b.id)}, headers=auth("auditor"))
    assert [i["id"] for i in r.json()["items"]] == [body["id"]]
    r = await client.get(ACTIVITIES, params={"kind": "class"}, headers=auth("auditor"))
    assert r.json()["items"] == []


async def test_activity_bad_input_names_the_field(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await resident(session, settings)
    dispersed = await make_child(session, settings)
    cases = [
        (activity([child.id], held_on="2026-07-01"), "held_on"),
        (activity([child.id, dispersed.id]), "child_ids.1"),
        (activity([]), "child_ids"),
        (activity([child.id], kind="party"), "kind"),
        (activity([child.id], title=""), "title"),
        (activity([child.id], volunteer_ids=[str(uuid.uuid4())]), "volunteer_ids.0"),
    ]
    for body, field in cases:
        r = await client.post(ACTIVITIES, json=body, headers=auth("institute"))
        assert r.status_code == 422, (field, r.text)
        assert field in fields(r.json()), (field, r.json())
