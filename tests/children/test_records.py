"""Children's records: creation rules and their errors, reading, roles and jurisdiction."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit import idnumber
from app.models import AuditEntry, Child
from tests.children.factories import child_body, create, institution_body, new_id, parent
from tests.conftest import VILLAGE1, VILLAGE3, AuthHeaders

URL = "/api/v1/children"


async def count_named(session: AsyncSession, name: str) -> int:
    stmt = select(func.count()).select_from(Child).where(Child.name == name)
    return int((await session.execute(stmt)).scalar_one())


def fields(r: httpx.Response) -> list[str]:
    return [e["field"] for e in r.json().get("errors", [])]


async def test_admin_enrols_a_child_with_id_masked_and_derived_facts(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    idn = new_id(date(2014, 2, 3), "female")
    r = await client.post(URL, json=child_body(id_number=idn), headers=auth("admin"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["id_number"] == idnumber.mask(idn)
    assert body["gender"] == "female"
    assert body["birth_date"] == "2014-02-03"
    assert body["status"] == "active"
    assert r.headers["etag"] == '"1"'


async def test_id_number_is_encrypted_at_rest_with_hmac(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    idn = new_id()
    c = await create(client, auth("admin"), id_number=idn)
    row = (await session.execute(select(Child).where(Child.name == c["name"]))).scalars().first()
    assert row is not None
    assert idn.encode() not in bytes(row.id_number_enc)
    assert row.id_number_masked == idnumber.mask(idn)
    assert len(row.id_number_hash) == 64


@pytest.mark.parametrize(
    ("id_number", "reason"),
    [
        ("11011520150304003", "length"),
        ("1101152015030400AX", "characters"),
        ("990115201503040035", "division_code"),
        ("110115201502300035", "birth_date"),
        ("110115201503040030", "check_char"),
    ],
)
async def test_bad_id_number_is_a_422_naming_id_number(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, id_number: str, reason: str
) -> None:
    if reason == "check_char":
        good = idnumber.make(date(2015, 3, 4), "male", sequence=17)
        id_number = good[:17] + ("0" if good[17] != "0" else "1")
    r = await client.post(
        URL, json=child_body(name="坏号码", id_number=id_number), headers=auth("admin")
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert fields(r) == ["id_number"]
    assert r.json()["reason"] == reason
    assert await count_named(session, "坏号码") == 0


async def test_gender_and_birth_date_must_agree_with_the_id(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    idn = new_id(date(2015, 3, 4), "male")
    r = await client.post(
        URL,
        json=child_body(id_number=idn, gender="female", birth_date="2015-03-05"),
        headers=auth("admin", lang="en"),
    )
    assert r.status_code == 422
    assert sorted(fields(r)) == ["birth_date", "gender"]
    ok = await client.post(
        URL, json=child_body(id_number=idn, gender="male", birth_date="2015-03-04"),
        headers=auth("admin"),
    )  # fmt: skip
    assert ok.status_code == 201


async def test_an_adult_cannot_be_enrolled(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.post(
        URL, json=child_body(id_number=new_id(date(2008, 1, 1))), headers=auth("admin")
    )
    assert r.status_code == 422
    assert fields(r) == ["id_number"]


def parents(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    rel = ["father", "mother"]
    return [parent(rel[i], s, d) for i, (s, d) in enumerate(pairs)]


@pytest.mark.parametrize(
    ("category", "facts", "ok", "field", "rule"),
    [
        ("orphan", {"parents": parents(("deceased", "2020-01-01"), ("declared_dead", "2021-01-01"))}, True, None, None),
        ("orphan", {"parents": parents(("deceased", "2020-01-01"), ("imprisoned", "2021-01-01"))}, False, "category", "orphan_needs_both_parents_dead_or_missing"),
        ("orphan", {"parents": parents(("deceased", "2020-01-01"))}, False, "category", "orphan_needs_both_parents_dead_or_missing"),
        ("de_facto_unsupported", {"parents": parents(("deceased", "2020-01-01"), ("imprisoned", "2021-01-01"))}, True, None, None),
        ("de_facto_unsupported", {"parents": parents(("severe_disability", "2020-01-01"), ("compulsory_drug_rehab", "2021-01-01"))}, True, None, None),
        ("de_facto_unsupported", {"parents": parents(("deceased", "2020-01-01"), ("deceased", "2021-01-01"))}, False, "category", "de_facto_needs_parents_situations"),
        # lost contact for 3 months: does not count yet; 6 calendar months: counts
        ("de_facto_unsupported", {"parents": parents(("deceased", "2020-01-01"), ("lost_contact", "2026-03-15"))}, False, "category", "de_facto_needs_parents_situations"),
        ("de_facto_unsupported", {"parents": parents(("deceased", "2020-01-01"), ("lost_contact", "2025-12-15"))}, True, None, None),
        # a liberty restriction of 10 years counts from its first day
        ("de_facto_unsupported", {"parents": parents(("imprisoned", "2020-01-01"), ("liberty_restricted", "2026-06-15"))}, True, None, None),
        ("poor_family_disabled", {"household_assistance": "low_income", "disability": {"kind": "physical", "grade": 2, "certificate_no": "C1"}}, True, None, None),
        ("poor_family_disabled", {"household_assistance": "none", "disability": {"kind": "physical", "grade": 2, "certificate_no": "C1"}}, False, "household_assistance", "poor_family_needs_assistance"),
        ("poor_family_disabled", {"household_assistance": "subsistence"}, False, "disability", "disabled_needs_disability"),
        ("poor_family_seriously_ill", {"household_assistance": "extreme_poverty", "serious_illness": {"diagnosis": "白血病"}}, True, None, None),
        ("poor_family_seriously_ill", {"household_assistance": "subsistence"}, False, "serious_illness", "seriously_ill_needs_illness"),
    ],
)  # fmt: skip
async def test_category_must_follow_from_the_facts(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    category: str,
    facts: dict[str, Any],
    ok: bool,
    field: str | None,
    rule: str | None,
) -> None:
    body = child_body(category=category, parents=[]) | facts
    r = await client.post(URL, json=body, headers=auth("admin"))
    if ok:
        assert r.status_code == 201, r.text
    else:
        assert r.status_code == 422, r.text
        assert field in fields(r)
        assert rule in r.json()["rules"]


async def test_parent_fact_in_the_future_and_duplicate_relations(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    body = child_body(parents=parents(("deceased", "2027-01-01"), ("deceased", "2020-01-01")))
    r = await client.post(URL, json=body, headers=auth("admin"))
    assert r.status_code == 422
    assert "parents.0.since" in fields(r)
    two_fathers = [
        {"relation": "father", "situation": "deceased", "since": "2020-01-01"},
        {"relation": "father", "situation": "deceased", "since": "2020-01-01"},
    ]
    r = await client.post(URL, json=child_body(parents=two_fathers), headers=auth("admin"))
    assert r.status_code == 422
    assert "parents" in fields(r)


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"village_code": None}, "village_code"),
        ({"village_code": "110115001"}, "village_code"),
        ({"village_code": "110115999999"}, "village_code"),
        ({"placement": "institution"}, "village_code"),
        ({"approved_on": "2026-07-01"}, "approved_on"),
        ({"category": "street_child"}, "category"),
        ({"unknown": 1}, "unknown"),
        (
            {"disability": {"kind": "physical", "grade": 5, "certificate_no": "x"}},
            "disability.grade",
        ),
    ],
)
async def test_bad_input_names_the_field(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    over: dict[str, Any],
    field: str,
) -> None:
    r = await client.post(URL, json=child_body(name="坏数据", **over), headers=auth("admin"))
    assert r.status_code == 422, r.text
    assert field in fields(r)
    assert await count_named(session, "坏数据") == 0


async def test_same_id_twice_while_active_is_a_409_naming_the_record(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    idn = new_id()
    first = await create(client, auth("admin"), id_number=idn)
    r = await client.post(URL, json=child_body(id_number=idn), headers=auth("admin"))
    assert r.status_code == 409
    assert r.json()["existing_id"] == first["id"]
    # institute staff may not see the dispersed record: 409 without naming it
    r = await client.post(URL, json=institution_body(id_number=idn), headers=auth("institute"))
    assert r.status_code == 409
    assert "existing_id" not in r.json()
    # once revoked, the ID may be enrolled again
    rv = await client.post(
        f"{URL}/{first['id']}/revoke",
        json={"reason": "family_recovered", "effective_on": "2026-06-01"},
        headers=auth("admin"),
    )
    assert rv.status_code == 200
    again = await client.post(URL, json=child_body(id_number=idn), headers=auth("admin"))
    assert again.status_code == 201


async def test_creation_is_idempotent_with_a_key(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    body = child_body()
    h = auth("admin") | {"Idempotency-Key": "enrol-1"}
    a = await client.post(URL, json=body, headers=h)
    b = await client.post(URL, json=body, headers=h)
    assert (a.status_code, b.status_code) == (201, 200)
    assert a.json()["id"] == b.json()["id"]
    c = await client.post(URL, json=child_body(), headers=h)
    assert c.status_code == 409


@pytest.mark.parametrize(
    ("user", "body_kind", "status"),
    [
        (None, "dispersed", 401),
        ("dir1", "dispersed", 403),
        ("sup1", "dispersed", 403),
        ("leader", "dispersed", 403),
        ("auditor", "dispersed", 403),
        ("institute", "dispersed", 403),
        ("institute", "institution", 201),
        ("admin", "institution", 201),
    ],
)
async def test_who_may_enrol(
    client: httpx.AsyncClient, auth: AuthHeaders, user: str | None, body_kind: str, status: int
) -> None:
    body = child_body() if body_kind == "dispersed" else institution_body()
    r = await client.post(URL, json=body, headers=auth(user) if user else {})
    assert r.status_code == status, r.text


@pytest.mark.parametrize(
    ("user", "status", "whole_id"),
    [
        ("admin", 200, True),
        ("leader", 200, False),
        ("auditor", 200, False),
        ("sup1", 200, False),
        ("dir1", 200, False),
        ("dir2", 404, False),
        ("sup2", 404, False),
        ("dir3", 404, False),
        ("institute", 404, False),
    ],
)
async def test_reading_a_dispersed_child_by_role_and_jurisdiction(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    user: str,
    status: int,
    whole_id: bool,
) -> None:
    idn = new_id()
    c = await create(client, auth("admin"), id_number=idn)
    r = await client.get(f"{URL}/{c['id']}", headers=auth(user))
    assert r.status_code == status
    if status == 200:
        assert r.json()["id_number"] == (idn if whole_id else idnumber.mask(idn))
        assert r.headers["etag"] == '"1"'
        audited = (
            await session.execute(
                select(AuditEntry).where(
                    AuditEntry.resource_id == c["id"], AuditEntry.action == "child.read"
                )
            )
        ).scalar_one()
        assert audited.detail == {"id_number_revealed": whole_id}


async def test_institution_staff_see_institution_children_whole(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    idn = new_id()
    r = await client.post(URL, json=institution_body(id_number=idn), headers=auth("institute"))
    cid = r.json()["id"]
    got = await client.get(f"{URL}/{cid}", headers=auth("institute"))
    assert got.json()["id_number"] == idn
    assert (await client.get(f"{URL}/{cid}", headers=auth("dir1"))).status_code == 404
    listed = await client.get(URL, headers=auth("dir1"))
    assert cid not in [i["id"] for i in listed.json()["items"]]


async def test_list_filters_and_keyset_pages(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    a = await create(client, auth("admin"))
    b = await create(client, auth("admin"), village_code=VILLAGE3)
    inst = await client.post(URL, json=institution_body(), headers=auth("admin"))
    ill = await create(
        client,
        auth("admin"),
        category="poor_family_seriously_ill",
        parents=[],
        household_assistance="subsistence",
        serious_illness={"diagnosis": "白血病"},
    )

    async def ids(**params: Any) -> set[str]:
        r = await client.get(URL, params=params, headers=auth("admin"))
        assert r.status_code == 200, r.text
        return {i["id"] for i in r.json()["items"]}

    assert await ids(area_code="110115002") == {b["id"]}
    assert await ids(area_code=VILLAGE1) == {a["id"], ill["id"]}
    assert await ids(placement="institution") == {inst.json()["id"]}
    assert await ids(category="poor_family_seriously_ill") == {ill["id"]}
    assert await ids(status="revoked") == set()
    assert len(await ids(updated_since="2000-01-01T00:00:00Z")) == 4
    assert await ids(updated_since="2999-01-01T00:00:00Z") == set()
    # An instant with no UTC equivalent is a 422 naming the parameter, not a 500.
    r = await client.get(
        URL, params={"updated_since": "0001-01-01T00:00:00+08:00"}, headers=auth("admin")
    )
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["updated_since"]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(URL, params=params, headers=auth("admin"))).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 4
    assert (
        await client.get(URL, params={"category": "x"}, headers=auth("admin"))
    ).status_code == 422
    r = await client.get(URL, headers=auth("dir1"))
    assert {i["id"] for i in r.json()["items"]} == {a["id"], ill["id"]}
    assert all(len(i["id_number"]) == 18 and "*" in i["id_number"] for i in r.json()["items"])
    assert (await client.get(URL)).status_code == 401
