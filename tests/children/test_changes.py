"""Changes with If-Match, revocation, history, agencies' projections, coming of age."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.auth.principal import Principal
from app.auth.roles import Role
from app.children import repository as repo
from app.kit import idnumber
from app.kit.clock import FixedClock
from app.kit.crypto import KeyRing
from app.manage import ENCRYPTED_COLUMNS, reencrypt_column
from app.models import Child
from tests.children.factories import child_body, create, institution_body, new_id
from tests.conftest import DISTRICT, NOW, AuthHeaders, area_path
from tests.incidents.factories import report

URL = "/api/v1/children"


async def patch(
    client: httpx.AsyncClient, headers: dict[str, str], cid: str, body: dict[str, Any], etag: str
) -> httpx.Response:
    return await client.patch(f"{URL}/{cid}", json=body, headers=headers | {"If-Match": etag})


async def test_patch_needs_if_match_and_keeps_per_field_history(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    c = await create(client, auth("admin"))
    r = await client.patch(
        f"{URL}/{c['id']}", json={"school_stage": "junior_secondary"}, headers=auth("admin")
    )
    assert r.status_code == 428
    r = await patch(client, auth("admin"), c["id"], {"school_stage": "junior_secondary"}, '"9"')
    assert r.status_code == 412
    r = await patch(
        client, auth("admin"), c["id"],
        {"school_stage": "junior_secondary", "school_name": "测试中学", "reason": "升学"}, '"1"',
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.headers["etag"] == '"2"'
    assert r.json()["school_stage"] == "junior_secondary"
    # the same ETag again is stale now: the field changed since version 1, so it conflicts
    # (a field nobody changed would merge, see test_merge.py); nothing is applied
    stale = await patch(client, auth("admin"), c["id"], {"school_name": "别的中学"}, '"1"')
    assert stale.status_code == 409
    assert stale.json()["code"] == "edit_conflict"
    assert stale.json()["conflicts"] == [
        {"field": "school_name", "yours": "别的中学", "theirs": "测试中学", "base": "测试小学"}
    ]
    h = (await client.get(f"{URL}/{c['id']}/history", headers=auth("sup1"))).json()
    assert [e["kind"] for e in h] == ["created", "changed"]
    change = h[1]
    assert change["reason"] == "升学"
    assert change["actor_name"] == "admin"
    assert change["ledger_month"] == "2026-06"
    assert {"field": "school_stage", "from": "primary", "to": "junior_secondary"} in change[
        "changes"
    ]
    assert {"field": "school_name", "from": "测试小学", "to": "测试中学"} in change["changes"]


async def test_patch_rules_and_errors(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    c = await create(client, auth("admin"))
    bad: list[tuple[dict[str, Any], str]] = [
        ({"category": "de_facto_unsupported"}, "category"),
        ({"gender": "female"}, "gender"),
        ({"id_number": "110115201503040030"}, "id_number"),
        ({"name": None}, "name"),
        ({"placement": "dispersed", "village_code": "110115001"}, "village_code"),
    ]
    for body, field in bad:
        r = await patch(client, auth("admin"), c["id"], body, '"1"')
        assert r.status_code == 422, (body, r.text)
        assert field in [e["field"] for e in r.json()["errors"]]
    row = (await session.execute(select(Child).where(Child.id == c["id"]))).scalar_one()
    assert row.version == 1
    # a corrected ID number: re-derived, re-encrypted, masked in the history
    idn = new_id(date(2015, 3, 4), "female")
    r = await patch(client, auth("admin"), c["id"], {"id_number": idn, "reason": "更正"}, '"1"')
    assert r.status_code == 200, r.text
    assert r.json()["gender"] == "female"
    full = await client.get(f"{URL}/{c['id']}", headers=auth("admin"))
    assert full.json()["id_number"] == idn
    h = (await client.get(f"{URL}/{c['id']}/history", headers=auth("admin"))).json()
    assert h[-1]["changes"][0] == {
        "field": "id_number",
        "from": c["id_number"],
        "to": idnumber.mask(idn),
    }
    # moving to the institution clears the village
    r = await patch(client, auth("admin"), c["id"], {"placement": "institution"}, '"2"')
    assert r.status_code == 200
    assert r.json()["village_code"] is None


async def test_patch_to_an_id_enrolled_elsewhere_is_a_409(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    a = await create(client, auth("admin"))
    b = await create(client, auth("admin"))
    full_a = (await client.get(f"{URL}/{a['id']}", headers=auth("admin"))).json()["id_number"]
    r = await patch(client, auth("admin"), b["id"], {"id_number": full_a}, '"1"')
    assert r.status_code == 409
    assert r.json()["existing_id"] == a["id"]


@pytest.mark.parametrize(
    ("user", "status"), [("dir1", 403), ("sup1", 403), ("leader", 403), ("institute", 404)]
)
async def test_who_may_change_a_dispersed_child(
    client: httpx.AsyncClient, auth: AuthHeaders, user: str, status: int
) -> None:
    c = await create(client, auth("admin"))
    r = await patch(client, auth(user), c["id"], {"school_name": "x"}, '"1"')
    assert r.status_code == status


async def test_institution_staff_manage_institution_children_only_there(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.post(URL, json=institution_body(), headers=auth("institute"))
    cid = r.json()["id"]
    ok = await patch(client, auth("institute"), cid, {"school_name": "福利院学校"}, '"1"')
    assert ok.status_code == 200
    out = await patch(
        client,
        auth("institute"),
        cid,
        {"placement": "dispersed", "village_code": "110115001001"},
        '"2"',
    )
    assert out.status_code == 403


async def test_revocation_reasons_history_and_nothing_deleted(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    c = await create(client, auth("admin"))
    rv = f"{URL}/{c['id']}/revoke"
    cases = [
        ({"reason": "moved_away", "effective_on": "2026-07-01"}, "effective_on"),
        ({"reason": "moved_away", "effective_on": "2025-01-01"}, "effective_on"),
        ({"reason": "other", "effective_on": "2026-06-01"}, "note"),
        ({"reason": "aged_out", "effective_on": "2026-06-01"}, "effective_on"),
        ({"reason": "bored", "effective_on": "2026-06-01"}, "reason"),
    ]
    for body, field in cases:
        r = await client.post(rv, json=body, headers=auth("admin"))
        assert r.status_code == 422, body
        assert field in [e["field"] for e in r.json()["errors"]]
    assert (
        await client.post(
            rv, json={"reason": "adopted", "effective_on": "2026-06-01"}, headers=auth("dir1")
        )
    ).status_code == 403
    r = await client.post(
        rv,
        json={"reason": "adopted", "effective_on": "2026-06-01", "note": "收养登记"},
        headers=auth("admin"),
    )
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["revoke_reason"], r.json()["revoked_on"]) == (
        "revoked",
        "adopted",
        "2026-06-01",
    )
    again = await client.post(
        rv, json={"reason": "adopted", "effective_on": "2026-06-01"}, headers=auth("admin")
    )
    assert again.status_code == 409
    assert (
        await patch(client, auth("admin"), c["id"], {"school_name": "x"}, '"2"')
    ).status_code == 409
    still = await client.get(f"{URL}/{c['id']}", headers=auth("dir1"))
    assert still.status_code == 200
    assert still.json()["status"] == "revoked"
    h = (await client.get(f"{URL}/{c['id']}/history", headers=auth("admin"))).json()
    assert h[-1]["kind"] == "revoked"
    assert h[-1]["effective_on"] == "2026-06-01"
    assert {"field": "revoke_reason", "from": None, "to": "adopted"} in h[-1]["changes"]


async def test_history_authorization(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    c = await create(client, auth("admin"))
    assert (await client.get(f"{URL}/{c['id']}/history", headers=auth("dir2"))).status_code == 404
    assert (
        await client.get(f"{URL}/{c['id']}/history", headers=auth(agency="police"))
    ).status_code == 403
    assert (await client.get(f"{URL}/{c['id']}/history")).status_code == 401


async def _refer(client: httpx.AsyncClient, auth: AuthHeaders, child_id: str, agency: str) -> None:
    """A report on the child (referred to the police) and, for another agency, its referral: the
    child enters the agency's mandate."""
    incident = report(uuid.UUID(child_id))
    r = await client.post("/api/v1/incidents", json=incident, headers=auth("admin"))
    assert r.status_code == 201, r.text
    if agency != "police":
        r = await client.post(
            f"/api/v1/incidents/{incident['id']}/referrals",
            json={"agency": agency},
            headers=auth("admin"),
        )
        assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    ("agency", "present", "absent"),
    [
        ("education", {"school_stage", "school_name"}, {"disability", "village_code", "category"}),
        ("health", {"insurance", "disability", "serious_illness"}, {"school_name", "guardians"}),
        ("disabled_federation", {"disability"}, {"insurance", "school_name", "village_code"}),
        ("police", {"village_code", "placement"}, {"school_name", "disability", "parents"}),
    ],
)  # fmt: skip
async def test_agencies_read_only_their_mandate(
    client: httpx.AsyncClient, auth: AuthHeaders, agency: str, present: set[str], absent: set[str]
) -> None:
    idn = new_id()
    c = await create(
        client, auth("admin"), id_number=idn, category="poor_family_disabled", parents=[],
        household_assistance="low_income",
        disability={"kind": "hearing", "grade": 2, "certificate_no": "D-1"},
    )  # fmt: skip
    # not before a referral to the agency concerns the child
    assert (await client.get(f"{URL}/{c['id']}", headers=auth(agency=agency))).status_code == 404
    await _refer(client, auth, c["id"], agency)
    r = await client.get(f"{URL}/{c['id']}", headers=auth(agency=agency))
    assert r.status_code == 200, r.text
    body = r.json()
    assert present <= set(body)
    assert not absent & set(body)
    assert {"id", "name", "gender", "birth_date", "status", "id_number"} <= set(body)
    # identity: the whole number for the police, masked for everyone else
    assert body["id_number"] == (idn if agency == "police" else idnumber.mask(idn))
    listed = await client.get(URL, headers=auth(agency=agency))
    [item] = listed.json()["items"]
    assert item == body


async def test_agencies_need_the_scope_and_a_mandate(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    c = await create(client, auth("admin"))
    no_scope = auth(agency="education", scopes=["referrals:read"])
    assert (await client.get(f"{URL}/{c['id']}", headers=no_scope)).status_code == 403
    assert (await client.get(URL, headers=no_scope)).status_code == 403
    assert (await client.get(URL, headers=auth(agency="women_federation"))).status_code == 403
    assert (
        await client.post(URL, json=child_body(), headers=auth(agency="police"))
    ).status_code == 403


async def test_due_for_revocation_in_the_birthday_month(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    turning = await create(client, auth("admin"), id_number=new_id(date(2008, 6, 20)))
    later = await create(client, auth("admin"), id_number=new_id(date(2008, 7, 2)))
    url = f"{URL}/due-for-revocation"
    june = (await client.get(url, params={"month": "2026-06"}, headers=auth("admin"))).json()
    assert [d["id"] for d in june] == [turning["id"]]
    assert june[0]["turns_18_on"] == "2026-06-20"
    assert june[0]["overdue"] is False
    may = (await client.get(url, params={"month": "2026-05"}, headers=auth("admin"))).json()
    assert may == []
    july = (await client.get(url, params={"month": "2026-07"}, headers=auth("dir1"))).json()
    assert [d["id"] for d in july] == [turning["id"], later["id"]]
    assert july[0]["overdue"] is True
    assert (
        await client.get(url, params={"month": "2026-6"}, headers=auth("admin"))
    ).status_code == 422
    assert (await client.get(url, headers=auth("dir3"))).json() == []
    assert (await client.get(url, headers=auth(agency="police"))).status_code == 403


async def test_an_institute_orphan_coming_of_age_enters_the_placement_queue(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 5, 20, 2, tzinfo=UTC))  # enrolled while 17
    r = await client.post(
        URL, json=institution_body(id_number=new_id(date(2008, 6, 1))), headers=auth("admin")
    )
    orphan = r.json()
    later = await client.post(
        URL, json=institution_body(id_number=new_id(date(2008, 6, 10))), headers=auth("admin")
    )
    clock.set(NOW)
    rv = await client.post(
        f"{URL}/{orphan['id']}/revoke",
        json={"reason": "aged_out", "effective_on": "2026-06-01"},
        headers=auth("institute"),
    )
    assert rv.status_code == 200, rv.text
    q = await client.get("/api/v1/placements/queue", headers=auth("institute"))
    assert q.status_code == 200
    assert [(e["child_id"], e["came_of_age_on"], e["status"]) for e in q.json()] == [
        (orphan["id"], "2026-06-01", "waiting")
    ]
    assert (await client.get("/api/v1/placements/queue", headers=auth("dir1"))).status_code == 403
    # the periodic sweep queues an active institute orphan who turned 18, once
    assert await repo.enqueue_come_of_age(session, date(2026, 6, 15)) == 1
    assert await repo.enqueue_come_of_age(session, date(2026, 6, 15)) == 0
    institute = Principal(
        kind="user",
        id=uuid.uuid4(),
        name="institute",
        role=Role.INSTITUTION_STAFF,
        area_code=DISTRICT,
        area_path=area_path(DISTRICT),
        area_level="district",
        district_code=DISTRICT,
    )
    queue = await repo.placement_queue(session, institute)
    assert {str(p.child_id) for p, _ in queue} >= {later.json()["id"], orphan["id"]}


async def test_reencrypt_rotates_child_ids_under_the_same_context(
    client: httpx.AsyncClient, auth: AuthHeaders, conn: AsyncConnection, session: AsyncSession
) -> None:
    idn = new_id()
    c = await create(client, auth("admin"), id_number=idn)
    old = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
    new = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="
    ring = KeyRing.from_settings(
        f"t1:{old},t2:{new}", "t2", "test-hmac-key-0123456789abcdef-0123456789"
    )
    column = next(col for col in ENCRYPTED_COLUMNS if col[0] == "children")
    assert await reencrypt_column(conn, ring, column, batch=10_000) >= 1
    row = (
        await session.execute(select(Child.id_number_enc).where(Child.id == c["id"]))
    ).scalar_one()
    assert ring.key_id_of(row) == "t2"
    assert ring.decrypt(row, context=b"child.id_number") == idn
    assert await reencrypt_column(conn, ring, column, batch=10_000) == 0
