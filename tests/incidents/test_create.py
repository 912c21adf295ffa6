"""POST /api/v1/incidents: the report, its police referral, idempotency, validation, access."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit import idnumber
from app.models import Incident, Referral
from tests.conftest import VILLAGE3, AuthHeaders
from tests.incidents.factories import make_child, report, stranger


async def count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(Incident))).scalar_one())


async def test_report_creates_police_referral(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    body = report(child.id)
    r = await client.post("/api/v1/incidents", json=body, headers=auth("dir1"))
    assert r.status_code == 201, r.text
    data = r.json()
    assert data["id"] == body["id"]
    assert data["status"] == "reported"
    assert data["reporter_name"] == "dir1"
    assert data["urgent"] is False
    assert data["child"]["id"] == str(child.id)
    assert data["child"]["id_number_masked"] == child.id_number_masked
    assert r.headers["ETag"]
    [ref] = data["referrals"]
    assert ref["agency"] == "police"
    assert ref["status"] == "pending"
    assert ref["ack_due_at"] == "2026-06-15T03:00:00Z"
    assert [s["to_status"] for s in data["steps"]] == ["reported"]


async def test_urgent_for_situations_1_2_3_7_and_immediate_danger(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    """15 minutes for situations 1, 2, 3, 7 and danger, 60 otherwise; kinds do not count."""
    girl_13 = await make_child(session, settings, birth=date(2013, 1, 1))
    girl_15 = await make_child(session, settings, birth=date(2011, 1, 1))
    boy = await make_child(session, settings, gender="male", birth=date(2014, 1, 1))
    cases: list[tuple[Any, dict[str, Any], bool]] = [
        (boy, {"immediate_danger": True}, True),
        (boy, {"situations": ["genital_injury"]}, True),
        (girl_13, {"situations": ["girl_under_14_sexual_assault_or_pregnancy"]}, True),
        (girl_15, {"situations": ["girl_14_plus_pregnancy_after_assault"]}, True),
        (
            boy,
            {"situations": ["abandonment_or_no_care", "unknown_origin_missing_or_trafficked"]},
            True,
        ),
        (boy, {"situations": ["other_serious_harm"], "kinds": ["sexual_abuse"]}, False),
        (boy, {"situations": ["organised_begging"], "kinds": ["trafficking"]}, False),
        (boy, {"situations": ["abandonment_or_no_care"]}, False),
    ]
    for child, overrides, urgent in cases:
        r = await client.post(
            "/api/v1/incidents", json=report(child.id, **overrides), headers=auth("dir1")
        )
        assert r.status_code == 201, r.text
        assert r.json()["urgent"] is urgent, overrides
        due = r.json()["referrals"][0]["ack_due_at"]
        assert due == ("2026-06-15T02:15:00Z" if urgent else "2026-06-15T03:00:00Z"), overrides


async def test_minor_not_on_ledger_with_id_number(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    idn = idnumber.make(date(2016, 5, 1), "male", sequence=17)
    body = report(child=stranger(id_number=idn, age=None, birth_date="2016-05-01"))
    r = await client.post("/api/v1/incidents", json=body, headers=auth("sup1"))
    assert r.status_code == 201, r.text
    child = r.json()["child"]
    assert child == {
        "id": None,
        "on_ledger": False,
        "name": "流浪儿童甲",
        "gender": "male",
        "birth_date": "2016-05-01",
        "age": None,
        "id_number_masked": idnumber.mask(idn),
    }
    row = await session.get(Incident, uuid.UUID(body["id"]))
    assert row is not None
    assert row.child_id_number_enc is not None
    assert idn.encode() not in row.child_id_number_enc
    assert row.child_id_number_hash
    assert len(row.child_id_number_hash) == 64


async def test_same_id_and_body_replays_once(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    body = report(child.id)
    first = await client.post("/api/v1/incidents", json=body, headers=auth("dir1"))
    again = await client.post("/api/v1/incidents", json=body, headers=auth("dir1"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    refs = (
        await session.execute(
            select(func.count()).where(Referral.incident_id == uuid.UUID(body["id"]))
        )
    ).scalar_one()
    assert refs == 1
    changed = await client.post(
        "/api/v1/incidents", json=body | {"location": "别处"}, headers=auth("dir1")
    )
    assert changed.status_code == 409
    other = await client.post("/api/v1/incidents", json=body, headers=auth("admin"))
    assert other.status_code == 409


async def test_bad_input_names_the_field_and_changes_nothing(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    before = await count(session)
    cases: list[tuple[dict[str, object], str]] = [
        ({k: v for k, v in report(child.id).items() if k != "situations"}, "situations"),
        (report(child.id, situations=[]), "situations"),
        (report(child.id, situations=["arson"]), "situations.0"),
        (report(child.id, situations=["genital_injury"] * 10), "situations"),
        ({k: v for k, v in report(child.id).items() if k != "kinds"}, "kinds"),
        (report(child.id, kinds=["arson"]), "kinds.0"),
        (report(child.id, kinds=[]), "kinds"),
        (report(), "child_id"),
        (report(child.id, child=stranger()), "child_id"),
        (report(child.id, discovered_at="2026-06-16T10:00:00+08:00"), "discovered_at"),
        (report(child.id, discovered_at="2026-06-15T09:00:00"), "discovered_at"),
        (report(child.id, discovered_at="0001-01-01T00:00:00+08:00"), "discovered_at"),
        (report(child=stranger(age=None)), "child"),
        (report(child=stranger(id_number="110115201601010000")), "child.id_number"),
        (report(child.id, extra="x"), "extra"),
        (report(uuid.uuid4()), "child_id"),
    ]
    for body, field in cases:
        r = await client.post("/api/v1/incidents", json=body, headers=auth("dir1", lang="en"))
        assert r.status_code == 422, (field, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert field in [e["field"] for e in r.json()["errors"]], (field, r.json())
    assert await count(session) == before


async def test_child_outside_jurisdiction_is_unknown(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings, village=VILLAGE3)
    r = await client.post("/api/v1/incidents", json=report(child.id), headers=auth("dir1"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "child_id"
    # the one wording of a child not found, as every domain gives it
    assert r.json()["errors"][0]["message"] == "儿童不存在或不在您的辖区内"
    headers = auth("dir1") | {"Accept-Language": "en"}
    r = await client.post("/api/v1/incidents", json=report(child.id), headers=headers)
    assert r.json()["errors"][0]["message"] == "No such child in your jurisdiction"


async def test_who_may_report(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    r = await client.post("/api/v1/incidents", json=report(child=stranger()))
    assert r.status_code == 401
    r = await client.post(
        "/api/v1/incidents", json=report(child=stranger()), headers=auth(agency="police")
    )
    assert r.status_code == 403
    for user in ("admin", "leader", "institute", "sup2", "dir3"):
        r = await client.post(
            "/api/v1/incidents", json=report(child=stranger()), headers=auth(user)
        )
        assert r.status_code == 201, user
        assert r.json()["reporter_name"] == user
