"""An agency's mandate: a partner agency reads the children and screening records its own open
referrals concern, projected to its field, and nothing else — no bulk listing, a 404 outside,
the whole ID number only for the police (decrypted, never silently masked)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit import idnumber
from app.models import AuditEntry, Child
from tests.conftest import VILLAGE3, AuthHeaders
from tests.incidents.factories import keyring, make_child, report, stranger
from tests.screening.factories import load_records, row

API = "/api/v1"
RECORDS = f"{API}/screening/records"


@dataclass
class Case:
    """A ledger child with a screening record, reported (→ a police referral), beside a child
    and a screening record no referral concerns."""

    child: Child
    id_number: str
    record: str
    other: Child
    other_record: str
    other_id_number: str
    incident: str = ""
    police_referral: str = ""


async def _record_id(client: httpx.AsyncClient, auth: AuthHeaders, name: str) -> str:
    r = await client.get(RECORDS, headers=auth("admin"), params={"q": name})
    [item] = r.json()["items"]
    return str(item["id"])


async def _case(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> Case:
    mine, theirs = row(school_status="小学", school_name="测试小学"), row(village_code=VILLAGE3)
    await load_records(session, settings, [mine, theirs])
    child = await make_child(session, settings, id_number=mine["id_number"], name="测试小明")
    other = await make_child(session, settings, name="测试小刚")
    case = Case(
        child=child,
        id_number=mine["id_number"],
        record=await _record_id(client, auth, mine["name"]),
        other=other,
        other_record=await _record_id(client, auth, theirs["name"]),
        other_id_number=theirs["id_number"],
    )
    body = report(child.id)
    r = await client.post(f"{API}/incidents", json=body, headers=auth("dir1"))
    assert r.status_code == 201, r.text
    case.incident = body["id"]
    case.police_referral = str(r.json()["referrals"][0]["id"])
    return case


async def _refer(client: httpx.AsyncClient, auth: AuthHeaders, incident: str, agency: str) -> str:
    r = await client.post(
        f"{API}/incidents/{incident}/referrals", json={"agency": agency}, headers=auth("admin")
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _ids(client: httpx.AsyncClient, url: str, h: dict[str, str]) -> list[str]:
    """Every id of a list, all pages of 500 followed."""
    out: list[str] = []
    params: dict[str, Any] = {"limit": 500}
    while True:
        r = await client.get(url, headers=h, params=params)
        assert r.status_code == 200, r.text
        out += [i["id"] for i in r.json()["items"]]
        if r.json()["next_cursor"] is None:
            return out
        params["cursor"] = r.json()["next_cursor"]


async def test_police_cannot_list_or_read_what_no_open_referral_concerns(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    case = await _case(client, auth, session, settings)
    police = auth(agency="police")
    # no bulk listing: the lists hold the children and records of its open referrals only
    assert await _ids(client, RECORDS, police) == [case.record]
    assert await _ids(client, f"{API}/children", police) == [str(case.child.id)]
    # outside the mandate a record does not exist
    r = await client.get(f"{RECORDS}/{case.other_record}", headers=police)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (await client.get(f"{API}/children/{case.other.id}", headers=police)).status_code == 404
    # nor can a search reach past it
    r = await client.get(RECORDS, headers=police, params={"q": case.other_id_number})
    assert r.json()["items"] == []
    # an agency no referral is addressed to reads nothing, but keeps the aggregate counts
    health = auth(agency="health")
    assert await _ids(client, RECORDS, health) == []
    assert await _ids(client, f"{API}/children", health) == []
    assert (await client.get(f"{RECORDS}/{case.record}", headers=health)).status_code == 404
    assert (await client.get(f"{API}/children/{case.child.id}", headers=health)).status_code == 404
    stats = await client.get(f"{API}/screening/stats", headers=health)
    assert stats.status_code == 200
    assert stats.json()["total"] >= 2
    assert not {"items", "name", "id_number"} & set(stats.json())


async def test_police_read_what_its_open_referral_concerns_projected_and_audited(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    case = await _case(client, auth, session, settings)
    police = auth(agency="police")
    r = await client.get(f"{RECORDS}/{case.record}", headers=police)
    assert r.status_code == 200, r.text
    record = r.json()
    assert record["id_number"] == case.id_number  # identity: the whole number
    assert {"guardian_phone", "hukou_code", "residence_since"} <= set(record)
    assert not {"school_status", "school_name", "health_status", "history"} & set(record)
    r = await client.get(f"{API}/children/{case.child.id}", headers=police)
    assert r.status_code == 200, r.text
    child = r.json()
    assert child["id_number"] == case.id_number  # decrypted with the children's context
    assert child["village_code"] == case.child.village_code
    assert not {"school_name", "guardians", "category", "insurance"} & set(child)
    # every read of a child's record is audited, as staff reads are
    rows = (
        await session.execute(
            select(AuditEntry.action, AuditEntry.principal_kind, AuditEntry.resource_id).where(
                AuditEntry.resource_id.in_((str(case.child.id), case.record))
            )
        )
    ).all()
    assert ("child.read", "agency", str(case.child.id)) in rows
    assert ("screening_record.read", "agency", case.record) in rows
    await client.get(f"{API}/children", headers=police)
    listed = (
        await session.execute(
            select(AuditEntry.detail).where(
                AuditEntry.action == "child.list", AuditEntry.principal_kind == "agency"
            )
        )
    ).scalars()
    assert any(str(case.child.id) in d["ids"] for d in listed)


async def test_a_closed_referral_ends_the_mandate(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    case = await _case(client, auth, session, settings)
    police = auth(agency="police")
    ref = f"{API}/referrals/{case.police_referral}"
    assert (await client.post(f"{ref}/acknowledge", headers=police)).status_code == 200
    assert (await client.get(f"{RECORDS}/{case.record}", headers=police)).status_code == 200
    r = await client.post(f"{ref}/updates", json={"status": "completed"}, headers=police)
    assert r.status_code == 200, r.text
    assert (await client.get(f"{RECORDS}/{case.record}", headers=police)).status_code == 404
    assert (await client.get(f"{API}/children/{case.child.id}", headers=police)).status_code == 404
    assert await _ids(client, RECORDS, police) == []
    # the referral itself stays the agency's to read
    assert (await client.get(ref, headers=police)).status_code == 200


async def test_a_closed_incident_ends_the_mandate(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    case = await _case(client, auth, session, settings)
    await _refer(client, auth, case.incident, "education")
    education = auth(agency="education")
    assert (await client.get(f"{API}/children/{case.child.id}", headers=education)).is_success
    for to in ("acknowledged", "investigating", "intervening", "closed"):
        body: dict[str, Any] = {"to": to}
        if to == "closed":
            body["outcome"] = "substantiated"
        r = await client.post(
            f"{API}/incidents/{case.incident}/transitions", json=body, headers=auth("admin")
        )
        assert r.status_code == 200, r.text
    r = await client.get(f"{API}/children/{case.child.id}", headers=education)
    assert r.status_code == 404
    assert (await client.get(f"{RECORDS}/{case.record}", headers=education)).status_code == 404


async def test_education_sees_schooling_and_a_masked_id_number(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    case = await _case(client, auth, session, settings)
    await _refer(client, auth, case.incident, "education")
    education = auth(agency="education")
    masked = idnumber.mask(case.id_number)
    r = await client.get(f"{API}/children/{case.child.id}", headers=education)
    assert r.status_code == 200, r.text
    child = r.json()
    assert (child["school_stage"], child["school_name"]) == ("primary", "测试小学")
    assert child["id_number"] == masked
    assert not {"village_code", "guardians", "insurance", "disability"} & set(child)
    r = await client.get(f"{RECORDS}/{case.record}", headers=education)
    assert r.status_code == 200, r.text
    record = r.json()
    assert (record["school_status"], record["school_name"]) == ("primary", "测试小学")
    assert record["id_number"] == masked
    assert not {"guardian_phone", "guardian_name", "hukou_code", "health_status"} & set(record)
    r = await client.get(f"{API}/referrals", headers=education, params={"limit": 500})
    [referral] = [x for x in r.json()["items"] if x["incident"]["id"] == case.incident]
    assert referral["child"]["id_number"] == masked


async def test_police_referral_shows_the_whole_id_number(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    case = await _case(client, auth, session, settings)
    r = await client.get(f"{API}/referrals/{case.police_referral}", headers=auth(agency="police"))
    assert r.status_code == 200, r.text
    assert r.json()["child"]["id_number"] == case.id_number


async def test_a_minor_not_on_the_ledger_brings_its_screening_record_into_the_mandate(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    found = row()
    await load_records(session, settings, [found])
    record = await _record_id(client, auth, found["name"])
    police = auth(agency="police")
    assert (await client.get(f"{RECORDS}/{record}", headers=police)).status_code == 404
    facts = stranger(
        id_number=found["id_number"], gender="female", age=None, birth_date="2016-03-05"
    )
    body = report(child=facts)
    r = await client.post(f"{API}/incidents", json=body, headers=auth("dir1"))
    assert r.status_code == 201, r.text
    r = await client.get(f"{RECORDS}/{record}", headers=police)
    assert r.status_code == 200
    assert r.json()["id_number"] == found["id_number"]


async def test_a_decryption_failure_is_an_error_not_a_mask(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    case = await _case(client, auth, session, settings)
    # the ID number written without the children's context (as the referral read it): it
    # does not authenticate under the context the column is read with
    await session.execute(
        update(Child)
        .where(Child.id == case.child.id)
        .values(id_number_enc=keyring(settings).encrypt(case.id_number))
    )
    await session.commit()
    police = auth(agency="police")
    # the referral (a mandatory report) still reaches the police: the number withheld and said
    # so, never masked, and the fault logged as an error
    with caplog.at_level(logging.ERROR, logger="app.kit.reveal"):
        r = await client.get(f"{API}/referrals/{case.police_referral}", headers=police)
    assert r.status_code == 200, r.text
    child = r.json()["child"]
    assert child["id_number"] is None
    assert child["id_number_unreadable"] is True
    assert child["name"] == case.child.name
    assert case.child.id_number_masked not in r.text
    [logged] = [rec for rec in caplog.records if rec.name == "app.kit.reveal"]
    assert logged.levelno == logging.ERROR
    assert logged.__dict__["column"] == "children.id_number_enc"
    assert logged.__dict__["record_id"] == str(case.child.id)
    # the child's record itself is not readable whole: an error, not a mask
    r = await client.get(f"{API}/children/{case.child.id}", headers=police)
    assert r.status_code == 500
    assert r.json()["code"] == "identifier_unreadable"
    # the masked number needs no decryption: other agencies still read it
    await _refer(client, auth, case.incident, "education")
    r = await client.get(f"{API}/children/{case.child.id}", headers=auth(agency="education"))
    assert r.status_code == 200
    assert r.json()["id_number"] == case.child.id_number_masked
