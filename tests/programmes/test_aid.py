"""Education aid with the women's federation: rounds, applications, review, disbursement,
totals by programme and town, the federation's fund apart from the bureau's budget."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AidApplication, AuditEntry
from tests.conftest import DISTRICT, TOWN1, TOWN2, VILLAGE3, AuthHeaders
from tests.programmes.aid_factories import ROUNDS, fed_headers, id_number, named_child
from tests.subsidies.factories import make_child
from tests.visits.factories import make_user


async def _round(client: httpx.AsyncClient, auth: AuthHeaders, name: str = "春蕾2026") -> str:
    r = await client.post(ROUNDS, json={"year": 2026, "name": name}, headers=auth("admin"))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _apply(
    client: httpx.AsyncClient, auth: AuthHeaders, round_id: str, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(f"{ROUNDS}/{round_id}/applications", json=body, headers=auth("admin"))


async def _count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(AidApplication)) or 0)


async def test_a_round_from_application_to_disbursement(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    girl = await make_child(session, settings, gender="female", school_name="测试一中")
    rid = await _round(client, auth)
    a = await _apply(
        client,
        auth,
        rid,
        {"child_id": str(girl.id), "programme": "spring_bud", "amount": "1000.00"},
    )
    assert a.status_code == 201, a.text
    assert a.json()["status"] == "submitted"
    assert a.json()["requested"] == "1000.00"
    assert a.json()["school"] == "测试一中"
    assert a.json()["town_code"] == TOWN1
    boy = named_child("male", VILLAGE3, school="测试二小")
    b = await _apply(
        client, auth, rid, {"child": boy, "programme": "boys_in_difficulty", "amount": "600.5"}
    )
    assert b.status_code == 201, b.text
    assert b.json()["child_id"] is None
    assert b.json()["child_gender"] == "male"
    assert b.json()["child_id_number"].startswith("110115")
    assert "*" in b.json()["child_id_number"]
    assert b.json()["town_code"] == TOWN2
    # the leader grants 1000.00 and 500.01 (less than asked); an admin records the payment
    base = f"{ROUNDS}/{rid}/applications"
    ok = await client.post(
        f"{base}/{a.json()['id']}/approve", json={"amount": "1000.00"}, headers=auth("leader")
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "approved"
    assert ok.json()["decided_by"] == "leader"
    ok = await client.post(
        f"{base}/{b.json()['id']}/approve", json={"amount": "500.01"}, headers=auth("leader")
    )
    assert ok.json()["amount"] == "500.01"
    paid = await client.post(f"{base}/{a.json()['id']}/disburse", headers=auth("admin"))
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "disbursed"
    assert paid.json()["disbursed_by"] == "admin"
    r = (await client.get(f"{ROUNDS}/{rid}", headers=auth("auditor"))).json()
    assert (r["children"], r["total"], r["disbursed"]) == (2, "1500.01", "1000.00")
    assert r["by_status"] == {"submitted": 0, "approved": 1, "rejected": 0, "disbursed": 1}
    assert r["by_programme"] == [
        {
            "programme": "spring_bud",
            "programme_zh": "春蕾女童",
            "children": 1,
            "total": "1000.00",
            "disbursed": "1000.00",
        },
        {
            "programme": "boys_in_difficulty",
            "programme_zh": "困境男童",
            "children": 1,
            "total": "500.01",
            "disbursed": "0.00",
        },
    ]
    assert r["by_town"] == [
        {
            "town_code": TOWN1,
            "town_name": "测试一镇",
            "children": 1,
            "total": "1000.00",
            "disbursed": "1000.00",
        },
        {
            "town_code": TOWN2,
            "town_name": "测试二镇",
            "children": 1,
            "total": "500.01",
            "disbursed": "0.00",
        },
    ]
    listed = await client.get(f"{base}", headers=auth("leader"), params={"programme": "spring_bud"})
    assert [x["id"] for x in listed.json()["items"]] == [a.json()["id"]]
    rounds = await client.get(ROUNDS, headers=auth("leader"), params={"year": 2026})
    assert [x["id"] for x in rounds.json()["items"]] == [rid]


async def test_disbursed_aid_counts_under_the_federations_fund_not_the_budget(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    r = await client.post(
        "/api/v1/subsidy/budgets",
        json={"year": 2026, "amount": "7390000.00"},
        headers=auth("admin"),
    )
    assert r.status_code == 201
    rid = await _round(client, auth)
    base = f"{ROUNDS}/{rid}/applications"
    for gender, programme, amount in (
        ("female", "spring_bud", "833.33"),
        ("male", "boys_in_difficulty", "0.01"),
    ):
        app_ = await _apply(
            client,
            auth,
            rid,
            {"child": named_child(gender), "programme": programme, "amount": amount},
        )
        await client.post(
            f"{base}/{app_.json()['id']}/approve", json={"amount": amount}, headers=auth("leader")
        )
        await client.post(f"{base}/{app_.json()['id']}/disburse", headers=auth("admin"))
    spending = (
        await client.get("/api/v1/subsidy/spending", params={"year": 2026}, headers=auth("leader"))
    ).json()
    assert spending["spent"] == "0.00"
    assert spending["remaining"] == "7390000.00"
    assert spending["partner_funds"] == [
        {
            "fund": "women_federation_education_aid",
            "fund_zh": "区妇联春蕾女童及困境男童教育帮扶资金",
            "partner": "women_federation",
            "children": 2,
            "amount": "833.34",
        }
    ]
    assert "women_federation_education_aid" not in {b["benefit"] for b in spending["by_benefit"]}
    other = (
        await client.get("/api/v1/subsidy/spending", params={"year": 2025}, headers=auth("leader"))
    ).json()
    assert other["partner_funds"][0]["amount"] == "0.00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"programme": "spring_bud", "amount": "100.123"}, "amount"),
        ({"programme": "spring_bud", "amount": 100}, "amount"),
        ({"programme": "spring_bud", "amount": "0.00"}, "amount"),
        ({"programme": "spring_bud", "amount": "-5"}, "amount"),
        ({"programme": "spring_bud"}, "amount"),
        ({"programme": "scholarship", "amount": "100"}, "programme"),
        ({"programme": "boys_in_difficulty", "amount": "100"}, "programme"),  # a girl
    ],
)
async def test_bad_application_input_names_the_field_and_writes_nothing(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
    body: dict[str, Any],
    field: str,
) -> None:
    girl = await make_child(session, settings, gender="female")
    rid = await _round(client, auth)
    r = await _apply(client, auth, rid, {"child_id": str(girl.id), **body})
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert await _count(session) == 0


async def test_bad_child_input(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    girl = await make_child(session, settings, gender="female")
    revoked = await make_child(
        session, settings, gender="female", status="revoked", revoked_on=date(2026, 3, 1)
    )
    rid = await _round(client, auth)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"child_id": str(girl.id), "child": named_child("female")}, "child_id"),
        ({}, "child_id"),
        ({"child_id": "00000000-0000-0000-0000-000000000001"}, "child_id"),
        ({"child_id": str(revoked.id)}, "child_id"),
        ({"child": named_child("female", id_number="110115201205061231")}, "child.id_number"),
        ({"child": named_child("female", village="110115009009")}, "child.village_code"),
        ({"child": {"name": "x", "id_number": id_number()}}, "child.village_code"),
    ]
    for extra, field in cases:
        r = await _apply(
            client, auth, rid, {"programme": "spring_bud", "amount": "100.00", **extra}
        )
        assert r.status_code == 422, (extra, r.text)
        assert field in [e["field"] for e in r.json()["errors"]], (extra, r.json())
    en = await client.post(
        f"{ROUNDS}/{rid}/applications",
        json={"child_id": str(revoked.id), "programme": "spring_bud", "amount": "1"},
        headers=auth("admin", lang="en"),
    )
    assert en.json()["errors"][0]["message"] == "The child is revoked from the ledger"
    assert await _count(session) == 0


async def test_one_application_per_child_per_round(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    number = id_number("female")
    from app.children.projection import ID_CONTEXT
    from tests.subsidies.factories import keyring

    ring = keyring(settings)
    girl = await make_child(
        session,
        settings,
        gender="female",
        birth_date=date(2012, 5, 6),
        id_number_enc=ring.encrypt(number, context=ID_CONTEXT),
        id_number_hash=ring.lookup_hash(number),
    )
    rid = await _round(client, auth)
    body = {"child_id": str(girl.id), "programme": "spring_bud", "amount": "800.00"}
    assert (await _apply(client, auth, rid, body)).status_code == 201
    again = await _apply(client, auth, rid, body)
    assert again.status_code == 409
    assert again.json()["code"] == "aid_application_exists"
    assert again.json()["errors"][0]["field"] == "child_id"
    # the same girl named by the federation (same ID number) is the same child
    named = {
        "child": named_child("female", id_number=number),
        "programme": "spring_bud",
        "amount": "1.00",
    }
    twice = await _apply(client, auth, rid, named)
    assert twice.status_code == 409
    assert twice.json()["errors"][0]["field"] == "child.id_number"
    assert await _count(session) == 1
    # another round takes her again
    other = await _round(client, auth, "春蕾2026第二批")
    assert (await _apply(client, auth, other, body)).status_code == 201


async def test_idempotent_creations(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    h = {**auth("admin"), "Idempotency-Key": "round-1"}
    first = await client.post(ROUNDS, json={"year": 2026, "name": "A"}, headers=h)
    replay = await client.post(ROUNDS, json={"year": 2026, "name": "A"}, headers=h)
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json()["id"] == first.json()["id"]
    other = await client.post(ROUNDS, json={"year": 2026, "name": "B"}, headers=h)
    assert other.status_code == 409
    dup = await client.post(ROUNDS, json={"year": 2026, "name": "A"}, headers=auth("admin"))
    assert dup.status_code == 409
    assert dup.json()["errors"][0]["field"] == "name"
    rid = first.json()["id"]
    body = {"child": named_child("male"), "programme": "boys_in_difficulty", "amount": "300"}
    hk = {**auth("admin"), "Idempotency-Key": "app-1"}
    one = await client.post(f"{ROUNDS}/{rid}/applications", json=body, headers=hk)
    two = await client.post(f"{ROUNDS}/{rid}/applications", json=body, headers=hk)
    assert (one.status_code, two.status_code) == (201, 200)
    assert one.json() == two.json()
    assert await _count(session) == 1


async def test_review_and_disbursement_rules(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    rid = await _round(client, auth)
    app_ = await _apply(
        client,
        auth,
        rid,
        {"child": named_child("male"), "programme": "boys_in_difficulty", "amount": "500"},
    )
    url = f"{ROUNDS}/{rid}/applications/{app_.json()['id']}"
    # not before approval; the creator does not approve
    early = await client.post(f"{url}/disburse", headers=auth("admin"))
    assert early.status_code == 409
    assert early.json()["code"] == "aid_wrong_state"
    mine = await client.post(f"{url}/approve", json={"amount": "500"}, headers=auth("admin"))
    assert mine.status_code == 403
    assert mine.json()["code"] == "four_eyes_required"
    bad = await client.post(f"{url}/approve", json={"amount": "1.001"}, headers=auth("leader"))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "amount"
    admin2 = await make_user(session, "admin2", "district_admin", DISTRICT)
    ok = await client.post(
        f"{url}/approve", json={"amount": "450.00"}, headers=auth(user_id=admin2)
    )
    assert ok.json()["amount"] == "450.00"
    same = await client.post(
        f"{url}/approve", json={"amount": "450.00"}, headers=auth(user_id=admin2)
    )
    assert same.json() == ok.json()
    # the approver does not pay
    own = await client.post(f"{url}/disburse", headers=auth(user_id=admin2))
    assert own.status_code == 403
    assert own.json()["code"] == "four_eyes_required"
    paid = await client.post(f"{url}/disburse", headers=auth("admin"))
    retry = await client.post(f"{url}/disburse", headers=auth("admin"))
    assert paid.status_code == retry.status_code == 200
    assert retry.json() == paid.json()
    # frozen
    for path, body in (("approve", {"amount": "460.00"}), ("reject", {"reason": "重复"})):
        r = await client.post(f"{url}/{path}", json=body, headers=auth("leader"))
        assert (r.status_code, r.json()["code"]) == (409, "aid_disbursed"), path
    row = (await session.execute(select(AidApplication))).scalar_one()
    assert (row.status, row.amount_fen) == ("disbursed", 45000)
    await session.commit()  # the app's audit entries are written at its commits
    actions = (
        (
            await session.execute(
                select(AuditEntry.action).where(AuditEntry.resource_id == str(row.id))
            )
        )
        .scalars()
        .all()
    )
    assert sorted(actions).count("aid_application.disburse") == 1
    assert sorted(actions).count("aid_application.approve") == 1


async def test_rejection(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    rid = await _round(client, auth)
    app_ = await _apply(
        client,
        auth,
        rid,
        {"child": named_child("female"), "programme": "spring_bud", "amount": "500"},
    )
    url = f"{ROUNDS}/{rid}/applications/{app_.json()['id']}"
    r = await client.post(f"{url}/reject", json={"reason": "不符合条件"}, headers=auth("leader"))
    assert r.json()["status"] == "rejected"
    assert r.json()["decision_note"] == "不符合条件"
    again = await client.post(
        f"{url}/reject", json={"reason": "不符合条件"}, headers=auth("leader")
    )
    assert again.json() == r.json()
    late = await client.post(f"{url}/approve", json={"amount": "5"}, headers=auth("leader"))
    assert late.status_code == 409
    pay = await client.post(f"{url}/disburse", headers=auth("admin"))
    assert pay.status_code == 409
    totals = (await client.get(f"{ROUNDS}/{rid}", headers=auth("admin"))).json()
    assert (totals["children"], totals["total"], totals["by_status"]["rejected"]) == (0, "0.00", 1)


async def test_the_federation_reads_its_programmes_without_id_numbers(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    rid = await _round(client, auth)
    app_ = await _apply(
        client,
        auth,
        rid,
        {"child": named_child("female"), "programme": "spring_bud", "amount": "500"},
    )
    h = await fed_headers(session, auth)
    assert (await client.get(f"{ROUNDS}/{rid}", headers=h)).json()["children"] == 0
    items = (await client.get(f"{ROUNDS}/{rid}/applications", headers=h)).json()["items"]
    assert [i["id"] for i in items] == [app_.json()["id"]]
    assert items[0]["child_id_number"] is None
    assert items[0]["child_name"] == "测试受助儿童"
    one = await client.get(f"{ROUNDS}/{rid}/applications/{app_.json()['id']}", headers=h)
    assert one.json()["child_id_number"] is None
    # without the scope, or another agency: nothing
    no_scope = auth(agency="women_federation", scopes=["referrals:read", "referrals:write"])
    assert (await client.get(ROUNDS, headers=no_scope)).status_code == 403
    assert (
        await client.get(ROUNDS, headers=auth(agency="police", scopes=["programmes:read"]))
    ).status_code == 403
    # the federation writes nothing
    r = await client.post(
        f"{ROUNDS}/{rid}/applications/{app_.json()['id']}/approve", json={"amount": "1"}, headers=h
    )
    assert r.status_code == 403


async def test_unknown_round_and_application(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    missing = "00000000-0000-0000-0000-000000000002"
    r = await client.get(f"{ROUNDS}/{missing}", headers=auth("admin"))
    assert r.status_code == 404
    assert r.json()["code"] == "aid_round_not_found"
    r = await client.post(
        f"{ROUNDS}/{missing}/applications",
        json={"child": named_child(), "programme": "boys_in_difficulty", "amount": "1"},
        headers=auth("admin"),
    )
    assert r.status_code == 404
    rid = await _round(client, auth)
    r = await client.post(
        f"{ROUNDS}/{rid}/applications/{missing}/approve",
        json={"amount": "1"},
        headers=auth("leader"),
    )
    assert r.status_code == 404
    assert r.json()["code"] == "aid_application_not_found"
