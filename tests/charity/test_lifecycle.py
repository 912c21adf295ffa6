"""Charity project funds: each state change, the money rules, wrong moves (409), idempotent
retries, bad input per field."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import CharityApplication, CharityDisbursement
from tests.charity.factories import (
    A,
    Charity,
    application_body,
    apply,
    approved,
    forwarded,
    pay,
    report_body,
    second_admin,
)
from tests.conftest import DISTRICT, TOWN2, VILLAGE1, AuthHeaders
from tests.incidents.factories import make_child


async def _count(session: AsyncSession, model: Any) -> int:
    return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_a_town_applies_with_exact_money(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    body = application_body(
        budget=[{"item": "服务费", "amount": "1234.56"}, {"item": "物资", "amount": "0.44"}]
    )
    r = await client.post(A, json=body, headers=auth("sup1"))
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["status"] == "submitted"
    assert out["requested_amount"] == "1235.00"
    assert out["budget"] == [
        {"item": "服务费", "amount": "1234.56"},
        {"item": "物资", "amount": "0.44"},
    ]
    assert out["approved_amount"] is None
    assert out["disbursed_amount"] == "0.00"
    row = await session.get(CharityApplication, uuid.UUID(out["id"]))
    assert row is not None
    assert row.requested_fen == 123500
    # the same id and body: the stored answer; another body: 409
    again = await client.post(A, json=body, headers=auth("sup1"))
    assert again.status_code == 200
    assert again.json() == out
    other = await client.post(A, json={**body, "title": "另一个"}, headers=auth("sup1"))
    assert other.status_code == 409
    assert await _count(session, CharityApplication) == 1


async def test_who_applies_for_what(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.post(A, json=application_body(applicant_area_code=TOWN2), headers=auth("sup1"))
    assert r.status_code == 403
    assert r.json()["errors"][0]["field"] == "applicant_area_code"
    # a district department names itself
    r = await client.post(
        A, json=application_body(applicant_area_code=DISTRICT), headers=auth("admin")
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "applicant_unit"
    out = await apply(
        client, auth, "admin", applicant_area_code=DISTRICT, applicant_unit="儿童福利科"
    )
    assert out["applicant_unit"] == "儿童福利科"
    assert (await apply(client, auth, "admin", applicant_area_code=TOWN2))["status"] == "submitted"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"budget": [{"item": "服务费", "amount": "100.001"}]}, "budget.0.amount"),
        ({"budget": [{"item": "服务费", "amount": 100}]}, "budget.0.amount"),
        ({"budget": [{"item": "服务费", "amount": "0.00"}]}, "budget.0.amount"),
        ({"budget": [{"item": "服务费", "amount": "-5.00"}]}, "budget.0.amount"),
        ({"budget": [{"item": "服务费", "amount": "1e3"}]}, "budget.0.amount"),
        ({"budget": [{"item": "", "amount": "5.00"}]}, "budget.0.item"),
        (
            {"budget": [{"item": "a", "amount": "5.00"}, {"item": "a", "amount": "6.00"}]},
            "budget",
        ),
        ({"budget": []}, "budget"),
        ({"service_type": "fireworks"}, "service_type"),
        ({"planned_beneficiaries": 0}, "planned_beneficiaries"),
        ({"title": ""}, "title"),
        ({"target_group": ""}, "target_group"),
        ({"period_from": "2026-13-01"}, "period_from"),
        ({"period_to": "2026-02-01"}, "period_to"),
        ({"applicant_area_code": VILLAGE1}, "applicant_area_code"),
        ({"applicant_area_code": "abc"}, "applicant_area_code"),
        ({"id": "nope"}, "id"),
    ],
)
async def test_bad_input_names_the_field(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    change: dict[str, Any],
    field: str,
) -> None:
    r = await client.post(A, json=application_body(**change), headers=auth("admin", lang="en"))
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert await _count(session, CharityApplication) == 0


async def test_the_whole_life_of_a_project(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    charity: Charity,
    session: AsyncSession,
    settings: Settings,
) -> None:
    app = await apply(client, auth)
    r = await client.post(
        f"{A}/{app['id']}/review",
        json={"decision": "forward", "note": "符合条件"},
        headers=auth("admin"),
    )
    assert r.status_code == 200
    assert r.json()["status"] == "forwarded"
    assert r.json()["forwarded_at"] is not None
    r = await client.post(
        f"{A}/{app['id']}/decision",
        json={"decision": "approve", "approved_amount": "8000.00"},
        headers=charity.decider,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["approved_amount"]) == ("approved", "8000.00")
    assert r.json()["remaining_amount"] == "8000.00"
    # two instalments, a retry of the first pays nothing more
    first = {"id": str(uuid.uuid4()), "amount": "5000.00", "paid_on": "2026-06-01"}
    r1 = await client.post(f"{A}/{app['id']}/disbursements", json=first, headers=charity.payer)
    assert r1.status_code == 201, r1.text
    retry = await client.post(f"{A}/{app['id']}/disbursements", json=first, headers=charity.payer)
    assert retry.status_code == 200
    assert retry.json() == r1.json()
    changed = await client.post(
        f"{A}/{app['id']}/disbursements", json={**first, "amount": "10.00"}, headers=charity.payer
    )
    assert changed.status_code == 409
    # past the approved amount: refused naming the amount, nothing written
    over = await pay(client, charity, app["id"], "3000.01")
    assert over.status_code == 409
    assert over.json()["code"] == "over_approved_amount"
    assert over.json()["errors"][0]["field"] == "amount"
    assert over.json()["remaining_amount"] == "3000.00"
    assert (await pay(client, charity, app["id"], "3000.00")).status_code == 201
    got = (await client.get(f"{A}/{app['id']}", headers=auth("admin"))).json()
    assert (got["disbursed_amount"], got["remaining_amount"]) == ("8000.00", "0.00")
    assert [d["amount"] for d in got["disbursements"]] == ["5000.00", "3000.00"]
    assert await _count(session, CharityDisbursement) == 2
    assert (await pay(client, charity, app["id"], "0.01")).status_code == 409
    # the final report
    child = await make_child(session, settings)
    r = await client.post(
        f"{A}/{app['id']}/report",
        json=report_body(ledger_child_ids=[str(child.id)]),
        headers=auth("sup1"),
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "reported"
    assert out["report"]["spent_amount"] == "5000.00"
    assert out["report"]["ledger_children"] == 1
    assert out["report"]["ledger_child_ids"] == [str(child.id)]
    # the association receives it, without the child ids
    seen = (await client.get(f"{A}/{app['id']}", headers=charity.decider)).json()
    assert seen["report"]["ledger_children"] == 1
    assert seen["report"]["ledger_child_ids"] is None
    assert seen["created_by"] is None
    # after the report: no instalment, no second report
    assert (await pay(client, charity, app["id"], "1.00")).status_code == 409
    again = await client.post(f"{A}/{app['id']}/report", json=report_body(), headers=auth("sup1"))
    assert again.status_code == 409


async def test_wrong_moves_are_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, charity: Charity
) -> None:
    app = await apply(client, auth)
    decide = {"decision": "approve", "approved_amount": "100.00"}
    # the association cannot see (so not decide) what was not forwarded
    r = await client.post(f"{A}/{app['id']}/decision", json=decide, headers=charity.decider)
    assert r.status_code == 404
    assert (await pay(client, charity, app["id"], "1.00")).status_code == 404
    r = await client.post(f"{A}/{app['id']}/report", json=report_body(), headers=auth("sup1"))
    assert r.status_code == 409
    assert r.json()["code"] == "charity_transition_refused"
    # returned: the end of this application
    r = await client.post(
        f"{A}/{app['id']}/review", json={"decision": "return"}, headers=auth("admin")
    )
    assert r.json()["status"] == "returned"
    r = await client.post(
        f"{A}/{app['id']}/review", json={"decision": "forward"}, headers=auth("admin")
    )
    assert r.status_code == 409
    # forwarded: no second review, no instalment before approval
    fwd = await forwarded(client, auth)
    r = await client.post(
        f"{A}/{fwd['id']}/review", json={"decision": "forward"}, headers=auth("admin")
    )
    assert r.status_code == 409
    assert (await pay(client, charity, fwd["id"], "1.00")).status_code == 409
    # declined: nothing more
    r = await client.post(
        f"{A}/{fwd['id']}/decision", json={"decision": "decline"}, headers=charity.decider
    )
    assert r.json()["status"] == "declined"
    r = await client.post(f"{A}/{fwd['id']}/decision", json=decide, headers=charity.decider)
    assert r.status_code == 409
    assert (await pay(client, charity, fwd["id"], "1.00")).status_code == 409


async def test_no_report_before_any_instalment(
    client: httpx.AsyncClient, auth: AuthHeaders, charity: Charity
) -> None:
    app = await approved(client, auth, charity)
    r = await client.post(f"{A}/{app['id']}/report", json=report_body(), headers=auth("sup1"))
    assert r.status_code == 409
    assert r.json()["code"] == "report_before_disbursement"
    got = (await client.get(f"{A}/{app['id']}", headers=auth("sup1"))).json()
    assert got["status"] == "approved"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "approve"}, "approved_amount"),
        ({"decision": "approve", "approved_amount": "10000.01"}, "approved_amount"),
        ({"decision": "approve", "approved_amount": "100.001"}, "approved_amount"),
        ({"decision": "approve", "approved_amount": "0.00"}, "approved_amount"),
        ({"decision": "decline", "approved_amount": "10.00"}, "approved_amount"),
        ({"decision": "maybe"}, "decision"),
    ],
)
async def test_bad_decisions(
    client: httpx.AsyncClient, auth: AuthHeaders, charity: Charity, body: dict[str, Any], field: str
) -> None:
    app = await forwarded(client, auth)
    r = await client.post(f"{A}/{app['id']}/decision", json=body, headers=charity.decider)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field
    got = (await client.get(f"{A}/{app['id']}", headers=auth("admin"))).json()
    assert got["status"] == "forwarded"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "10.001"}, "amount"),
        ({"amount": "0.00"}, "amount"),
        ({"amount": 10}, "amount"),
        ({"paid_on": "2026-06-16"}, "paid_on"),
        ({"paid_on": "yesterday"}, "paid_on"),
        ({"id": "x"}, "id"),
    ],
)
async def test_bad_instalments(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    charity: Charity,
    session: AsyncSession,
    change: dict[str, Any],
    field: str,
) -> None:
    app = await approved(client, auth, charity)
    body = {"id": str(uuid.uuid4()), "amount": "10.00", "paid_on": "2026-06-01", **change}
    r = await client.post(f"{A}/{app['id']}/disbursements", json=body, headers=charity.payer)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field
    assert await _count(session, CharityDisbursement) == 0


async def test_bad_reports(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    charity: Charity,
    session: AsyncSession,
    settings: Settings,
) -> None:
    app = await approved(client, auth, charity)
    assert (await pay(client, charity, app["id"], "1000.00")).status_code == 201
    child = await make_child(session, settings)
    cases = [
        (report_body(ledger_child_ids=[str(uuid.uuid4())]), "ledger_child_ids.0"),
        (
            report_body(beneficiaries_reached=0, ledger_child_ids=[str(child.id)]),
            "ledger_child_ids",
        ),
        (report_body(spending=[{"item": "茶歇", "amount": "1.00"}]), "spending.0.item"),
        (report_body(spending=[{"item": "活动物资", "amount": "1000.01"}]), "spending"),
        (report_body(spending=[{"item": "活动物资", "amount": "1.001"}]), "spending.0.amount"),
        (report_body(spending=[]), "spending"),
        (report_body(beneficiaries_reached=-1), "beneficiaries_reached"),
        (report_body(summary=""), "summary"),
        (report_body(ledger_child_ids=[str(child.id), str(child.id)]), "ledger_child_ids"),
    ]
    for body, field in cases:
        r = await client.post(f"{A}/{app['id']}/report", json=body, headers=auth("sup1"))
        assert r.status_code == 422, (field, r.text)
        assert field in [e["field"] for e in r.json()["errors"]], (field, r.json())
    got = (await client.get(f"{A}/{app['id']}", headers=auth("sup1"))).json()
    assert got["status"] == "approved"
    assert got["report"] is None


async def test_four_eyes(
    client: httpx.AsyncClient, auth: AuthHeaders, charity: Charity, session: AsyncSession
) -> None:
    # the admin who filed a department's application does not forward it
    app = await apply(
        client, auth, "admin", applicant_area_code=DISTRICT, applicant_unit="儿童福利科"
    )
    r = await client.post(
        f"{A}/{app['id']}/review", json={"decision": "forward"}, headers=auth("admin")
    )
    assert r.status_code == 403
    assert r.json()["code"] == "four_eyes_required"
    other = await second_admin(session)
    r = await client.post(
        f"{A}/{app['id']}/review", json={"decision": "forward"}, headers=auth(user_id=other)
    )
    assert r.status_code == 200
    # the client that approved does not record the payment
    ok = await approved(client, auth, charity)
    body = {"id": str(uuid.uuid4()), "amount": "10.00", "paid_on": "2026-06-01"}
    r = await client.post(f"{A}/{ok['id']}/disbursements", json=body, headers=charity.decider)
    assert r.status_code == 403
    assert r.json()["code"] == "four_eyes_required"


async def test_the_overdue_reports(
    client: httpx.AsyncClient, auth: AuthHeaders, charity: Charity
) -> None:
    # ended 2026-04-30: due 2026-05-30 (30 grace days), today 2026-06-15 → overdue
    late = await approved(client, auth, charity, period_from="2026-01-01", period_to="2026-04-30")
    # ended 2026-05-31: due 2026-06-30 → not yet
    await approved(client, auth, charity)
    # overdue but reported → not listed
    done = await approved(client, auth, charity, period_from="2026-01-01", period_to="2026-03-31")
    assert (await pay(client, charity, done["id"], "100.00")).status_code == 201
    r = await client.post(
        f"{A}/{done['id']}/report",
        json=report_body(spending=[{"item": "活动物资", "amount": "100.00"}]),
        headers=auth("sup1"),
    )
    assert r.status_code == 200
    for headers in (auth("admin"), auth("sup1"), charity.decider):
        r = await client.get("/api/v1/charity/overdue-reports", headers=headers)
        assert r.status_code == 200
        assert [i["id"] for i in r.json()["items"]] == [late["id"]]
        assert r.json()["items"][0]["overdue"] is True
        assert r.json()["items"][0]["report_due_on"] == "2026-05-30"
    r = await client.get("/api/v1/charity/overdue-reports", headers=auth("sup2"))
    assert r.json()["items"] == []


async def test_reach_of_each_reader(
    client: httpx.AsyncClient, auth: AuthHeaders, charity: Charity
) -> None:
    submitted = await apply(client, auth)
    fwd = await forwarded(client, auth)
    town2 = await apply(client, auth, "sup2", applicant_area_code=TOWN2)

    async def ids(headers: dict[str, str], **params: Any) -> set[str]:
        r = await client.get(A, headers=headers, params=params)
        assert r.status_code == 200, r.text
        return {i["id"] for i in r.json()["items"]}

    assert await ids(auth("leader")) == {submitted["id"], fwd["id"], town2["id"]}
    assert await ids(auth("sup1")) == {submitted["id"], fwd["id"]}
    assert await ids(auth("sup2")) == {town2["id"]}
    assert await ids(charity.decider) == {fwd["id"]}
    assert await ids(auth("auditor"), status="forwarded") == {fwd["id"]}
    assert await ids(auth("admin"), applicant_area_code=TOWN2) == {town2["id"]}
    # outside one's reach a record does not exist
    assert (await client.get(f"{A}/{town2['id']}", headers=auth("sup1"))).status_code == 404
    assert (await client.get(f"{A}/{submitted['id']}", headers=charity.decider)).status_code == 404
    r = await client.post(f"{A}/{town2['id']}/report", json=report_body(), headers=auth("sup1"))
    assert r.status_code == 404


async def test_the_grace_days_are_a_setting(
    app: FastAPI, client: httpx.AsyncClient, auth: AuthHeaders, charity: Charity
) -> None:
    late = await approved(client, auth, charity, period_from="2026-01-01", period_to="2026-04-30")
    app.state.settings = app.state.settings.model_copy(update={"charity_report_grace_days": 60})
    r = await client.get("/api/v1/charity/overdue-reports", headers=auth("admin"))
    assert r.json()["items"] == []
    got = (await client.get(f"{A}/{late['id']}", headers=auth("admin"))).json()
    assert (got["report_due_on"], got["overdue"]) == ("2026-06-29", False)
