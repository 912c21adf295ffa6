"""爱心妈妈: registering caring mothers, pairing (art. 62 check, consent, one active pairing of a
pair), contacts from the phone (client id), ending, and the two lists."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AuditEntry, CaringMotherContact, CaringMotherPairing
from tests.conftest import AuthHeaders
from tests.programmes.factories import (
    child,
    contact_body,
    fields,
    mother,
    mother_body,
    pair,
    paired,
)

MOTHERS = "/api/v1/caring-mothers"


async def count(session: AsyncSession, model: Any) -> int:
    return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


# -- mothers -----------------------------------------------------------------------------------


async def test_register_a_caring_mother_with_her_record_check(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    m = await mother(client, auth("admin"))
    assert m["name"] == "测试爱心妈妈"
    assert m["organisation"] == "测试镇妇联"
    assert m["record_check"]["result"] == "clear"
    assert m["record_check_standing"] == {"ok": True, "reason": None, "valid_until": "2027-03-01"}
    assert m["active_pairings"] == 0
    listed = (await client.get(MOTHERS, headers=auth("dir1"))).json()["items"]
    assert m["id"] in [x["id"] for x in listed]


async def test_a_mother_without_a_check_is_registered_but_cannot_be_paired_yet(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    m = await mother(client, auth("admin"), record_check=None)
    assert m["record_check"] is None
    assert m["record_check_standing"]["ok"] is False
    assert m["record_check_standing"]["reason"] == "missing"


async def test_a_renewed_check_allows_the_pairing(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    cid = await child(session, settings)
    old = {"queried_on": "2025-05-01", "result": "clear", "reference": "旧-1"}
    m = await mother(client, auth("admin"), record_check=old)
    assert m["record_check_standing"]["reason"] == "expired"
    r = await pair(client, auth("dir1"), m["id"], cid)
    assert r.status_code == 409
    url = f"{MOTHERS}/{m['id']}/record-check"
    future = {"queried_on": "2026-06-16", "result": "clear", "reference": "新-1"}
    r = await client.post(url, json=future, headers=auth("admin"))
    assert r.status_code == 422
    assert fields(r) == ["queried_on"]
    new = {"queried_on": "2026-06-01", "result": "clear", "reference": "新-1"}
    r = await client.post(url, json=new, headers=auth("admin"))
    assert r.status_code == 200
    assert r.json()["record_check"] == new
    assert r.json()["record_check_standing"]["ok"] is True
    await paired(client, auth("dir1"), m["id"], cid)
    found = {"queried_on": "2026-06-10", "result": "record_found", "reference": "新-2"}
    r = await client.post(url, json=found, headers=auth("admin"))
    assert r.json()["record_check_standing"]["reason"] == "record_found"
    assert r.json()["active_pairings"] == 1
    other = await child(session, settings)
    r = await pair(client, auth("dir1"), m["id"], other)
    assert r.status_code == 409
    assert r.json()["reason"] == "record_found"
    r = await client.post(f"{MOTHERS}/{uuid.uuid4()}/record-check", json=new, headers=auth("admin"))
    assert r.status_code == 404


async def test_registration_is_idempotent_on_its_key(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    h = auth("admin") | {"Idempotency-Key": "mother-1"}
    first = await client.post(MOTHERS, json=mother_body(), headers=h)
    again = await client.post(MOTHERS, json=mother_body(), headers=h)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    other = await client.post(MOTHERS, json=mother_body(name="另一位"), headers=h)
    assert other.status_code == 409


async def test_bad_registrations_name_the_field(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    h = auth("admin", lang="en")
    r = await client.post(MOTHERS, json=mother_body(phone="call me"), headers=h)
    assert r.status_code == 422
    assert "phone" in fields(r)[0]
    future = {"queried_on": "2026-07-01", "result": "clear", "reference": "x"}
    r = await client.post(MOTHERS, json=mother_body(record_check=future), headers=h)
    assert r.status_code == 422
    assert fields(r) == ["record_check.queried_on"]
    bad = {"queried_on": "2026-03-01", "result": "fine", "reference": "x"}
    r = await client.post(MOTHERS, json=mother_body(record_check=bad), headers=h)
    assert r.status_code == 422
    assert "record_check" in fields(r)[0]
    r = await client.post(MOTHERS, json=mother_body(name=""), headers=h)
    assert r.status_code == 422
    assert "name" in fields(r)[0]


# -- pairings ----------------------------------------------------------------------------------


async def test_a_village_director_pairs_a_mother_with_a_child_of_the_village(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    cid = await child(session, settings)
    m = await mother(client, auth("admin"))
    p = await paired(client, auth("dir1"), m["id"], cid)
    assert p["mother"] == {"id": m["id"], "name": "测试爱心妈妈", "organisation": "测试镇妇联"}
    assert p["child_id"] == str(cid)
    assert p["since"] == "2026-03-01"
    assert p["consent"] == {"child": True, "guardian": True}
    assert p["status"] == "active"
    assert p["last_contact_on"] is None
    assert p["contacts"] == 0
    audited = await session.execute(
        select(AuditEntry.action).where(AuditEntry.resource_id == p["id"])
    )
    assert "pairing.create" in audited.scalars().all()


async def test_no_pairing_without_a_clear_valid_record_check(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    cid = await child(session, settings)
    before = await count(session, CaringMotherPairing)
    cases = {
        "missing": None,
        "expired": {"queried_on": "2025-05-01", "result": "clear", "reference": "旧-1"},
        "record_found": {"queried_on": "2026-03-01", "result": "record_found", "reference": "有"},
    }
    for reason, check in cases.items():
        m = await mother(client, auth("admin"), record_check=check)
        r = await pair(client, auth("dir1"), m["id"], cid)
        assert r.status_code == 409, (reason, r.text)
        body = r.json()
        assert body["code"] == "record_check_failed"
        assert body["reason"] == reason
        assert body["person_id"] == m["id"]
        assert fields(r) == ["record_check"]
    assert await count(session, CaringMotherPairing) == before


async def test_bad_pairings_name_the_field_and_write_nothing(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    cid = await child(session, settings)
    gone = await child(session, settings, revoked_on=date(2026, 4, 1))
    m = await mother(client, auth("admin"))
    h = auth("dir1")
    before = await count(session, CaringMotherPairing)
    r = await pair(client, h, m["id"], gone)
    assert r.status_code == 422
    assert fields(r) == ["child_id"]
    r = await pair(client, h, m["id"], cid, consent={"child": False, "guardian": False})
    assert r.status_code == 422
    assert fields(r) == ["consent.child", "consent.guardian"]
    r = await pair(client, h, m["id"], cid, since="2026-07-01")
    assert r.status_code == 422
    assert fields(r) == ["since"]
    r = await pair(client, h, m["id"], cid, since="2024-12-31")  # before enrolment
    assert r.status_code == 422
    assert fields(r) == ["since"]
    r = await pair(client, h, m["id"], cid, consent={"child": True})
    assert r.status_code == 422
    assert "consent.guardian" in fields(r)[0]
    r = await pair(client, h, str(uuid.uuid4()), cid)
    assert r.status_code == 404
    assert r.json()["code"] == "caring_mother_not_found"
    r = await pair(client, h, m["id"], uuid.uuid4())
    assert r.status_code == 404
    assert r.json()["code"] == "child_not_found"
    assert await count(session, CaringMotherPairing) == before


async def test_a_second_active_pairing_of_the_same_mother_and_child_is_a_conflict(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    cid = await child(session, settings)
    m = await mother(client, auth("admin"))
    p = await paired(client, auth("dir1"), m["id"], cid)
    r = await pair(client, auth("sup1"), m["id"], cid, since="2026-04-01")
    assert r.status_code == 409
    assert r.json()["code"] == "pairing_exists"
    assert fields(r) == ["child_id"]
    # another mother may care for the same child; and once ended, the pair may start again
    other = await mother(client, auth("admin"), name="第二位妈妈")
    await paired(client, auth("dir1"), other["id"], cid)
    end = {"ended_on": "2026-05-01", "reason": "孩子随家人搬迁"}
    r = await client.post(f"/api/v1/pairings/{p['id']}/end", json=end, headers=auth("dir1"))
    assert r.status_code == 200, r.text
    again = await paired(client, auth("dir1"), m["id"], cid, since="2026-06-01")
    assert again["id"] != p["id"]
    listed = (await client.get(MOTHERS, headers=auth("admin"), params={"limit": 500})).json()
    mine = next(x for x in listed["items"] if x["id"] == m["id"])
    assert mine["active_pairings"] == 1


async def test_a_child_outside_ones_jurisdiction_cannot_be_paired(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    cid = await child(session, settings)  # village 1 of town 1
    inst = await child(session, settings, placement="institution")
    m = await mother(client, auth("admin"))
    for user in ("dir2", "sup2", "institute"):
        r = await pair(client, auth(user), m["id"], cid)
        assert (r.status_code, r.json()["code"]) == (404, "child_not_found"), user
    for user in ("dir1", "sup1"):
        r = await pair(client, auth(user), m["id"], inst)
        assert r.status_code == 404, user
    await paired(client, auth("institute"), m["id"], inst)
    await paired(client, auth("sup1"), m["id"], cid)


async def test_ending_a_pairing(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    cid = await child(session, settings)
    m = await mother(client, auth("admin"))
    p = await paired(client, auth("dir1"), m["id"], cid)
    url = f"/api/v1/pairings/{p['id']}/end"
    r = await client.post(url, json={"ended_on": "2026-02-01", "reason": "x"}, headers=auth("dir1"))
    assert r.status_code == 422
    assert fields(r) == ["ended_on"]
    r = await client.post(url, json={"ended_on": "2026-05-01", "reason": "x"}, headers=auth("dir2"))
    assert r.status_code == 404
    assert r.json()["code"] == "pairing_not_found"
    r = await client.post(
        url, json={"ended_on": "2026-05-01", "reason": "搬迁"}, headers=auth("dir1")
    )
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["ended_on"], r.json()["end_reason"]) == (
        "ended",
        "2026-05-01",
        "搬迁",
    )
    r = await client.post(url, json={"ended_on": "2026-05-02", "reason": "x"}, headers=auth("dir1"))
    assert r.status_code == 409
    assert r.json()["code"] == "pairing_ended"


# -- contacts ----------------------------------------------------------------------------------


async def test_contacts_are_idempotent_on_their_client_id(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    cid = await child(session, settings)
    m = await mother(client, auth("admin"))
    p = await paired(client, auth("dir1"), m["id"], cid)
    url = f"/api/v1/pairings/{p['id']}/contacts"
    body = contact_body()
    first = await client.post(url, json=body, headers=auth("dir1"))
    assert first.status_code == 201, first.text
    assert first.json()["mode"] == "visit"
    assert first.json()["recorded_by"] == "dir1"
    again = await client.post(url, json=body, headers=auth("dir1"))
    assert again.status_code == 200
    assert again.json() == first.json()
    other = await client.post(url, json=body | {"mode": "phone"}, headers=auth("dir1"))
    assert other.status_code == 409
    assert other.json()["code"] == "contact_id_conflict"
    n = await session.execute(
        select(func.count()).where(CaringMotherContact.pairing_id == uuid.UUID(p["id"]))
    )
    assert n.scalar_one() == 1
    shown = (await client.get("/api/v1/pairings", headers=auth("dir1"))).json()["items"]
    mine = next(x for x in shown if x["id"] == p["id"])
    assert (mine["last_contact_on"], mine["contacts"]) == ("2026-06-01", 1)


async def test_bad_contacts_are_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    cid = await child(session, settings)
    m = await mother(client, auth("admin"))
    p = await paired(client, auth("dir1"), m["id"], cid)
    url = f"/api/v1/pairings/{p['id']}/contacts"
    h = auth("dir1")
    r = await client.post(url, json=contact_body(contacted_on="2026-02-01"), headers=h)
    assert r.status_code == 422
    assert fields(r) == ["contacted_on"]
    r = await client.post(url, json=contact_body(contacted_on="2026-06-16"), headers=h)
    assert r.status_code == 422
    assert fields(r) == ["contacted_on"]
    r = await client.post(url, json=contact_body(mode="letter"), headers=h)
    assert r.status_code == 422
    assert fields(r) == ["mode"]
    r = await client.post(url, json=contact_body(), headers=auth("dir2"))
    assert r.status_code == 404
    assert r.json()["code"] == "pairing_not_found"
    r = await client.post(
        "/api/v1/pairings/" + str(uuid.uuid4()) + "/contacts", json=contact_body(), headers=h
    )
    assert r.status_code == 404
    await client.post(
        f"/api/v1/pairings/{p['id']}/end", json={"ended_on": "2026-05-01", "reason": "x"}, headers=h
    )
    r = await client.post(url, json=contact_body(), headers=h)
    assert r.status_code == 409
    assert r.json()["code"] == "pairing_ended"


# -- lists -------------------------------------------------------------------------------------


async def test_pairings_without_a_contact_for_two_months(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    """Today is 2026-06-15: the cutoff is 2026-04-15 (PAIRING_CONTACT_GAP_MONTHS = 2)."""
    m = await mother(client, auth("admin"))
    h = auth("dir1")
    silent = await paired(client, h, m["id"], await child(session, settings), since="2026-01-10")
    old_contact = await paired(client, h, m["id"], await child(session, settings))
    recent = await paired(client, h, m["id"], await child(session, settings))
    too_new = await paired(client, h, m["id"], await child(session, settings), since="2026-05-01")
    ended = await paired(client, h, m["id"], await child(session, settings), since="2026-01-10")
    for p, day in ((old_contact, "2026-04-15"), (recent, "2026-04-16")):
        r = await client.post(
            f"/api/v1/pairings/{p['id']}/contacts",
            json=contact_body(contacted_on=day),
            headers=h,
        )
        assert r.status_code == 201
    await client.post(
        f"/api/v1/pairings/{ended['id']}/end",
        json={"ended_on": "2026-02-01", "reason": "x"},
        headers=h,
    )
    url = "/api/v1/pairings/without-contact"
    listed = (await client.get(url, headers=h, params={"limit": 500})).json()["items"]
    ids = {x["id"] for x in listed}
    assert silent["id"] in ids
    assert old_contact["id"] in ids
    assert not ids & {recent["id"], too_new["id"], ended["id"]}
    # a wider gap (3 months: cutoff 2026-03-15) keeps only the silent one
    listed = (await client.get(url, headers=h, params={"months": 3})).json()["items"]
    assert {x["id"] for x in listed} & {silent["id"], old_contact["id"]} == {silent["id"]}
    # another village's director sees none of them
    other = (await client.get(url, headers=auth("dir2"))).json()["items"]
    assert not {x["id"] for x in other} & ids
    r = await client.get(url, headers=h, params={"months": 0})
    assert r.status_code == 422


async def test_the_gap_is_a_setting(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    m = await mother(client, auth("admin"))
    p = await paired(client, auth("dir1"), m["id"], await child(session, settings))
    await client.post(
        f"/api/v1/pairings/{p['id']}/contacts",
        json=contact_body(contacted_on="2026-04-01"),
        headers=auth("dir1"),
    )
    url = "/api/v1/pairings/without-contact"
    listed = (await client.get(url, headers=auth("dir1"))).json()["items"]
    assert p["id"] in {x["id"] for x in listed}
    settings.pairing_contact_gap_months = 3
    try:
        listed = (await client.get(url, headers=auth("dir1"))).json()["items"]
    finally:
        settings.pairing_contact_gap_months = 2
    assert p["id"] not in {x["id"] for x in listed}


async def test_wishes_and_the_children_still_waiting_for_a_caring_mother(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    waiting = await child(session, settings)
    matched = await child(session, settings)
    left = await child(session, settings)
    h = auth("dir1")
    url = "/api/v1/caring-mother-wishes"
    for cid in (waiting, matched, left):
        r = await client.post(
            url, json={"child_id": str(cid), "wished_on": "2026-02-01"}, headers=h
        )
        assert r.status_code == 201, r.text
        assert r.json()["paired"] is False
    again = await client.post(
        url, json={"child_id": str(waiting), "wished_on": "2026-02-01"}, headers=h
    )
    assert again.status_code == 200
    other = await client.post(
        url, json={"child_id": str(waiting), "wished_on": "2026-03-01"}, headers=h
    )
    assert other.status_code == 409
    assert other.json()["code"] == "wish_exists"
    m = await mother(client, auth("admin"))
    await paired(client, h, m["id"], matched)
    r = await client.post(
        f"/api/v1/children/{left}/revoke",
        json={"reason": "moved_away", "effective_on": "2026-06-01"},
        headers=auth("admin"),
    )
    assert r.status_code == 200, r.text
    unmatched = (await client.get(url, headers=h, params={"unmatched": "true"})).json()["items"]
    ids = {x["child_id"] for x in unmatched}
    assert str(waiting) in ids
    assert not ids & {str(matched), str(left)}
    everyone = (await client.get(url, headers=h, params={"limit": 500})).json()["items"]
    assert {str(waiting), str(matched), str(left)} <= {x["child_id"] for x in everyone}
    assert next(x for x in everyone if x["child_id"] == str(matched))["paired"] is True
    assert (await client.get(url, headers=auth("dir2"))).json()["items"] == []


async def test_bad_wishes(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    cid = await child(session, settings)
    gone = await child(session, settings, revoked_on=date(2026, 4, 1))
    url = "/api/v1/caring-mother-wishes"
    h = auth("dir1")
    r = await client.post(url, json={"child_id": str(cid), "wished_on": "2026-07-01"}, headers=h)
    assert r.status_code == 422
    assert fields(r) == ["wished_on"]
    r = await client.post(url, json={"child_id": str(gone), "wished_on": "2026-02-01"}, headers=h)
    assert r.status_code == 422
    assert fields(r) == ["child_id"]
    r = await client.post(
        url, json={"child_id": str(cid), "wished_on": "2026-02-01"}, headers=auth("dir2")
    )
    assert r.status_code == 404
    assert r.json()["code"] == "child_not_found"


async def test_errors_in_english(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    cid = await child(session, settings)
    m = await mother(client, auth("admin"), record_check=None)
    r = await pair(client, auth("dir1", lang="en"), m["id"], cid)
    assert r.json()["title"] == "The record check does not allow it"
    r = await pair(client, auth("dir1"), m["id"], cid)
    assert r.json()["title"] == "违法犯罪记录查询未通过"
