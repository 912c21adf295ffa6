"""Screening → referrals: by record or filter, the agency's round trip, no double referral,
escalation, the agency's mandate over the record, counts."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import Referral, ScreeningRecord
from tests.conftest import TOWN1, TOWN2, VILLAGE3, AuthHeaders
from tests.screening.factories import load_records, row

API = "/api/v1/screening/referrals"


async def records(
    session: AsyncSession, settings: Settings, rows: list[dict[str, Any]]
) -> list[ScreeningRecord]:
    await load_records(session, settings, rows)
    names = [r["name"] for r in rows]
    found = (
        (await session.execute(select(ScreeningRecord).where(ScreeningRecord.name.in_(names))))
        .scalars()
        .all()
    )
    by_name = {r.name: r for r in found}
    return [by_name[n] for n in names]


def out_of_school(**kw: Any) -> dict[str, Any]:
    return row(school_status="未入学", school_name="", **kw)


async def refer(client: httpx.AsyncClient, auth: AuthHeaders, **body: Any) -> httpx.Response:
    return await client.post(API, json=body, headers=auth("admin"))


async def test_round_trip_by_record(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    [rec] = await records(session, settings, [out_of_school()])
    r = await refer(
        client, auth, record_ids=[str(rec.id)], agency="education", finding="out_of_school"
    )
    assert r.status_code == 201, r.text
    [created] = r.json()["created"]
    assert created["status"] == "pending"
    assert created["ack_due_at"] == "2026-06-20T02:00:00Z"  # five days
    assert created["town_code"] == TOWN1
    rid = created["id"]
    edu = auth(agency="education")

    # the agency sees it, with the record in its mandate's fields only
    r = await client.get(API, headers=edu)
    assert [x["id"] for x in r.json()["items"]] == [rid]
    record = r.json()["items"][0]["record"]
    assert record["school_status"] == "not_in_school"
    assert "guardian_phone" not in record
    assert "*" in record["id_number"]
    # the screening record itself opens to it while the referral is open (app.auth.mandate)
    r = await client.get(f"/api/v1/screening/records/{rec.id}", headers=edu)
    assert r.status_code == 200
    # no other agency sees either
    for other in ("health", "police", "disabled_federation"):
        h = auth(agency=other)
        assert (await client.get(f"{API}/{rid}", headers=h)).status_code == 404
        assert (await client.get(API, headers=h)).json()["items"] == []
        assert (
            await client.get(f"/api/v1/screening/records/{rec.id}", headers=h)
        ).status_code == 404
    # the incidents' referral API does not list it (its shape is an incident's)
    assert (await client.get("/api/v1/referrals", headers=edu)).json()["items"] == []

    # an outcome before the receipt: 409
    r = await client.post(f"{API}/{rid}/outcome", json={"outcome": "enrolled"}, headers=edu)
    assert r.status_code == 409
    r = await client.post(f"{API}/{rid}/acknowledge", json={"case_number": "JY-1"}, headers=edu)
    assert r.status_code == 200
    assert r.json()["status"] == "acknowledged"
    assert r.json()["agency_case_number"] == "JY-1"
    again = await client.post(f"{API}/{rid}/acknowledge", headers=edu)
    assert again.json()["acknowledged_at"] == r.json()["acknowledged_at"]
    # an outcome the finding does not know: 422 on `outcome`
    r = await client.post(f"{API}/{rid}/outcome", json={"outcome": "insured"}, headers=edu)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "outcome"
    r = await client.post(
        f"{API}/{rid}/outcome", json={"outcome": "enrolled", "note": "已入读测试小学"}, headers=edu
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "completed"
    assert r.json()["outcome"] == "enrolled"
    assert r.json()["record"] == {"id": str(rec.id)}  # the mandate ended with the referral
    r = await client.post(f"{API}/{rid}/outcome", json={"outcome": "other"}, headers=edu)
    assert r.status_code == 409
    assert (await client.get(f"/api/v1/screening/records/{rec.id}", headers=edu)).status_code == 404

    # counts: resolved per finding, by outcome and town
    stats = (await client.get(f"{API}/stats", headers=auth("leader"))).json()
    assert stats["by_finding"]["out_of_school"]["resolved"] >= 1
    assert stats["by_outcome"]["enrolled"] >= 1
    assert any(t["town_code"] == TOWN1 and t["resolved"] >= 1 for t in stats["by_town"])
    # and the screening statistics show it per finding
    s = (await client.get("/api/v1/screening/stats", headers=auth("admin"))).json()
    assert s["referrals_by_finding"]["out_of_school"]["resolved"] >= 1


async def test_no_double_referral_for_the_same_finding(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    [rec] = await records(session, settings, [out_of_school()])
    body = {"record_ids": [str(rec.id)], "agency": "education", "finding": "out_of_school"}
    first = await refer(client, auth, **body)
    assert first.status_code == 201
    open_id = first.json()["created"][0]["id"]
    r = await refer(client, auth, **body)
    assert r.status_code == 409
    [link] = r.json()["open_referrals"]
    assert link["open_referral_id"] == open_id
    assert link["href"] == f"{API}/{open_id}"
    n = (
        await session.execute(select(Referral).where(Referral.screening_record_id == rec.id))
    ).all()
    assert len(n) == 1
    # once finished, the record may be referred again
    edu = auth(agency="education")
    await client.post(f"{API}/{open_id}/acknowledge", headers=edu)
    await client.post(f"{API}/{open_id}/outcome", json={"outcome": "not_found"}, headers=edu)
    assert (await refer(client, auth, **body)).status_code == 201


async def test_referral_by_filter_skips_records_already_referred(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    town2 = {"village_code": VILLAGE3}
    recs = await records(
        session,
        settings,
        [
            out_of_school(**town2),
            out_of_school(**town2),
            row(**town2),  # in school: not selected
            out_of_school(),  # another town: not selected
        ],
    )
    first = await refer(
        client, auth, record_ids=[str(recs[0].id)], agency="education", finding="out_of_school"
    )
    assert first.status_code == 201
    r = await refer(
        client,
        auth,
        filter={"area_code": TOWN2, "classification": "migrant"},
        agency="education",
        finding="out_of_school",
    )
    assert r.status_code == 201, r.text
    body = r.json()
    created = {c["record_id"] for c in body["created"]}
    assert str(recs[1].id) in created
    assert not {str(recs[2].id), str(recs[3].id), str(recs[0].id)} & created
    assert [s["record_id"] for s in body["skipped"]] == [str(recs[0].id)]


async def test_bad_input_names_the_field(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    [rec, in_school] = await records(session, settings, [out_of_school(), row()])
    cases: list[tuple[dict[str, Any], str]] = [
        ({"record_ids": [str(rec.id)], "agency": "health", "finding": "out_of_school"}, "agency"),
        (
            {"record_ids": [str(in_school.id)], "agency": "education", "finding": "out_of_school"},
            "record_ids[0]",
        ),
        (
            {"record_ids": [str(uuid.uuid4())], "agency": "education", "finding": "out_of_school"},
            "record_ids[0]",
        ),
        ({"filter": {}, "agency": "health", "finding": "uninsured"}, "filter"),
        ({"agency": "education", "finding": "out_of_school"}, "body"),
        ({"record_ids": [str(rec.id)], "agency": "police", "finding": "out_of_school"}, "agency"),
        ({"record_ids": [str(rec.id)], "agency": "education", "finding": "poor"}, "finding"),
        (
            {
                "filter": {"area_code": "999999999"},
                "agency": "education",
                "finding": "out_of_school",
            },
            "filter.area_code",
        ),
    ]
    for body, field in cases:
        r = await refer(client, auth, **body)
        assert r.status_code == 422, (body, r.text)
        fields = [e["field"] for e in r.json()["errors"]]
        assert any(f == field or f.startswith(field) for f in fields), (field, fields)
    assert (
        await session.execute(select(Referral).where(Referral.screening_record_id == rec.id))
    ).first() is None
