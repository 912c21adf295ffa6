"""出站: each outcome, its conditions, and its consequences (ledger enrolment, follow-up visits)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Child, ChildChange
from tests.conftest import VILLAGE1, AuthHeaders
from tests.incidents.factories import make_child
from tests.protection.factories import API, create, id_number, post

SAFE = {"assessed_on": "2026-06-15", "conclusion": "safe_to_return", "notes": "父母已悔改"}


async def _discharge(
    client: httpx.AsyncClient, auth: AuthHeaders, intake_id: str, **body: Any
) -> httpx.Response:
    body.setdefault("discharged_on", "2026-06-15")
    return await post(client, auth, intake_id, "discharge", body)


async def test_returned_to_family_needs_a_safe_to_return_assessment(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    out = await create(client, auth)
    r = await _discharge(client, auth, out["id"], outcome="returned_to_family")
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "outcome"
    unsafe = {"assessed_on": "2026-06-15", "conclusion": "not_safe"}
    assert (await post(client, auth, out["id"], "family-assessments", unsafe)).status_code == 201
    r = await _discharge(client, auth, out["id"], outcome="returned_to_family")
    assert r.status_code == 409
    assert (await post(client, auth, out["id"], "family-assessments", SAFE)).status_code == 201
    r = await _discharge(client, auth, out["id"], outcome="returned_to_family", note="交还父母")
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["status"] == "closed"
    assert got["discharge"]["outcome"] == "returned_to_family"
    assert [a["conclusion"] for a in got["family_assessments"]] == ["not_safe", "safe_to_return"]
    assert got["current_placement"] is None
    assert got["placements"][0]["end_on"] == "2026-06-15"


async def test_a_child_returned_to_a_village_gets_three_monthly_follow_up_visits(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    out = await create(client, auth, child={"name": "测试儿童戊"})
    await post(client, auth, out["id"], "family-assessments", SAFE)
    r = await _discharge(
        client,
        auth,
        out["id"],
        outcome="returned_to_family",
        family_village_code=VILLAGE1,
        family_address="测试一村5号",
    )
    assert r.status_code == 200, r.text
    visits = await client.get(f"{API}/follow-up-visits", headers=auth("dir1"))
    assert visits.status_code == 200
    mine = [v for v in visits.json()["items"] if v["intake_id"] == out["id"]]
    assert [(v["seq"], v["due_on"]) for v in mine] == [
        (1, "2026-07-15"),
        (2, "2026-08-15"),
        (3, "2026-09-15"),
    ]
    assert mine[0]["child_name"] == "测试儿童戊"
    assert mine[0]["family_address"] == "测试一村5号"
    # another village's director sees none of them
    other = await client.get(f"{API}/follow-up-visits", headers=auth("dir2"))
    assert all(v["intake_id"] != out["id"] for v in other.json()["items"])
    # the director records the first; it leaves the list of visits due, once
    done = await client.post(
        f"{API}/follow-up-visits/{mine[0]['id']}/done",
        json={"visited_on": "2026-06-15", "note": "孩子情况良好"},
        headers=auth("dir1"),
    )
    assert done.status_code == 200, done.text
    assert done.json()["visited_on"] == "2026-06-15"
    again = await client.post(
        f"{API}/follow-up-visits/{mine[0]['id']}/done",
        json={"visited_on": "2026-06-15"},
        headers=auth("dir1"),
    )
    assert again.status_code == 409
    elsewhere = await client.post(
        f"{API}/follow-up-visits/{mine[1]['id']}/done",
        json={"visited_on": "2026-06-15"},
        headers=auth("dir2"),
    )
    assert elsewhere.status_code == 404
    due = await client.get(f"{API}/follow-up-visits", headers=auth("dir1"))
    assert [v["seq"] for v in due.json()["items"] if v["intake_id"] == out["id"]] == [2, 3]
    # the village director still sees nothing of the centre itself
    assert (await client.get(f"{API}/intakes/{out['id']}", headers=auth("dir1"))).status_code == 403


async def test_a_child_returned_outside_the_district_gets_no_visits(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    out = await create(client, auth)
    await post(client, auth, out["id"], "family-assessments", SAFE)
    r = await _discharge(
        client, auth, out["id"], outcome="returned_to_family", family_address="外省某县"
    )
    assert r.status_code == 200
    visits = await client.get(f"{API}/follow-up-visits", headers=auth("admin"))
    assert all(v["intake_id"] != out["id"] for v in visits.json()["items"])


async def test_transferred_needs_to_whom_and_where(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    out = await create(client, auth)
    r = await _discharge(client, auth, out["id"], outcome="transferred")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "transferred_to"
    r = await _discharge(
        client,
        auth,
        out["id"],
        outcome="transferred",
        transferred_to={"to_whom": "某市未成年人救助保护中心", "place": "某市"},
    )
    assert r.status_code == 200
    assert r.json()["discharge"]["transferred_to"]["place"] == "某市"


async def test_family_foster_care(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    out = await create(client, auth)
    r = await _discharge(client, auth, out["id"], outcome="family_foster_care", note="寄养家庭")
    assert r.status_code == 200
    assert r.json()["discharge"]["outcome"] == "family_foster_care"


async def test_adulthood_needs_the_child_to_be_18(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    young = await create(client, auth, child={"id_number": id_number()})
    r = await _discharge(client, auth, young["id"], outcome="adulthood")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "outcome"
    from datetime import date

    eighteen = id_number(born=date(2008, 6, 1))
    old = await create(client, auth, child={"id_number": eighteen})
    r = await _discharge(client, auth, old["id"], outcome="adulthood")
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "long_term_guardianship"}, "long_term_basis"),
        ({"outcome": "long_term_guardianship", "long_term_basis": "poverty"}, "long_term_basis"),
        ({"outcome": "escaped"}, "outcome"),
        ({"outcome": "adulthood", "discharged_on": "2026-06-16"}, "discharged_on"),
        ({"outcome": "adulthood", "discharged_on": "2026-06-01"}, "discharged_on"),
        ({"outcome": "family_foster_care", "long_term_basis": "guardian_dead"}, "long_term_basis"),
        (
            {"outcome": "returned_to_family", "family_village_code": "999999999999"},
            "family_village_code",
        ),
    ],
)
async def test_bad_discharges_are_422_naming_the_field_and_leave_the_intake_open(
    client: httpx.AsyncClient, auth: AuthHeaders, body: dict[str, Any], field: str
) -> None:
    out = await create(client, auth)
    await post(client, auth, out["id"], "family-assessments", SAFE)
    r = await _discharge(client, auth, out["id"], **body)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    got = await client.get(f"{API}/intakes/{out['id']}", headers=auth("institute"))
    assert got.json()["status"] == "open"


async def test_a_closed_intake_is_not_discharged_twice(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    out = await create(client, auth)
    assert (
        await _discharge(client, auth, out["id"], outcome="family_foster_care")
    ).status_code == 200
    r = await _discharge(client, auth, out["id"], outcome="family_foster_care")
    assert r.status_code == 409
    assert r.json()["code"] == "intake_closed"
    r = await post(client, auth, out["id"], "tracing", {"method": "dna", "traced_on": "2026-06-15"})
    assert r.status_code == 409


@pytest.mark.parametrize(
    ("basis", "category"),
    [
        ("parents_not_found", "orphan"),
        ("guardian_dead", "orphan"),
        ("guardian_incapacitated", "de_facto_unsupported"),
        ("guardianship_revoked_by_court", "de_facto_unsupported"),
        ("other", "de_facto_unsupported"),
    ],
)
async def test_long_term_guardianship_enrols_the_child_on_the_ledger(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    basis: str,
    category: str,
) -> None:
    number = id_number()
    out = await create(client, auth, child={"name": "测试儿童己", "id_number": number})
    r = await _discharge(
        client, auth, out["id"], outcome="long_term_guardianship", long_term_basis=basis
    )
    assert r.status_code == 200, r.text
    enrolment = r.json()["enrolment"]
    assert enrolment["state"] == "enrolled"
    child = await client.get(f"/api/v1/children/{enrolment['child_id']}", headers=auth("admin"))
    assert child.status_code == 200, child.text
    c = child.json()
    assert (c["name"], c["category"], c["placement"]) == ("测试儿童己", category, "institution")
    assert c["approved_on"] == "2026-06-15"
    assert c["village_code"] is None
    # the parents' facts the category rests on are flagged for completion, not demanded
    assert [f["field"] for f in c["review_flags"]] == ["category"]
    history = (
        await session.scalars(select(ChildChange).where(ChildChange.child_id == c["id"]))
    ).all()
    assert [h.kind for h in history] == ["created"]
    assert str(history[0].effective_on) == "2026-06-15"


async def test_long_term_guardianship_without_an_id_number_waits_for_it(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    out = await create(client, auth, child={"description": "无证件"})
    r = await _discharge(
        client,
        auth,
        out["id"],
        outcome="long_term_guardianship",
        long_term_basis="parents_not_found",
    )
    assert r.status_code == 200, r.text
    enrolment = r.json()["enrolment"]
    assert enrolment["state"] == "pending"
    assert enrolment["child_id"] is None
    assert [f["field"] for f in enrolment["flags"]] == ["child.name", "child.id_number"]
    # a closed intake changes no more ... except the identity its enrolment waits for
    url = f"{API}/intakes/{out['id']}"
    etag = r.headers["ETag"]
    refused = await client.patch(
        url, json={"notes": "x"}, headers=auth("institute") | {"If-Match": etag}
    )
    assert refused.status_code == 409
    number = id_number()
    named = await client.patch(
        url,
        json={"child": {"name": "测试儿童庚", "id_number": number}},
        headers=auth("institute") | {"If-Match": etag},
    )
    assert named.status_code == 200, named.text
    enrolment = named.json()["enrolment"]
    assert enrolment["state"] == "enrolled"
    assert enrolment["flags"] == []
    child = await session.get(Child, enrolment["child_id"])
    assert child is not None
    assert child.category == "orphan"
    assert child.name == "测试儿童庚"


async def test_a_child_already_on_the_ledger_is_linked_not_enrolled_twice(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Any
) -> None:
    number = id_number()
    ledger_child = await make_child(session, settings, id_number=number)
    out = await create(client, auth, child={"name": "测试儿童", "id_number": number})
    r = await _discharge(
        client, auth, out["id"], outcome="long_term_guardianship", long_term_basis="guardian_dead"
    )
    assert r.status_code == 200, r.text
    enrolment = r.json()["enrolment"]
    assert enrolment["state"] == "linked"
    assert enrolment["child_id"] == str(ledger_child.id)
    assert enrolment["flags"][0]["rule"] == "already_on_ledger"
