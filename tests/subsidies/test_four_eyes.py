"""Four eyes on money (issue 20, finding 7): whoever files a claim, runs a payroll or draws up a
placement plan does not approve it, and its approver does not record the payment. The records
and the audit log show the people of each step; FOUR_EYES=0 lets one person do everything."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AuditEntry, User
from tests.conftest import DISTRICT, AuthHeaders
from tests.subsidies.factories import make_child
from tests.visits.factories import make_user

C = "/api/v1/subsidy/medical-claims"

# The claim of the finding: 41,650 yuan left to the family of an orphan, all reimbursable.
BIG = {
    "kind": "inpatient",
    "service_date": "2026-05-20",
    "bill_total": "52000.00",
    "basic_insurance_paid": "10350.00",
    "other_insurance_paid": "0.00",
}


async def _claim(client: httpx.AsyncClient, headers: dict[str, str], child_id: Any) -> str:
    r = await client.post(C, json=BIG | {"child_id": str(child_id)}, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["reimbursable"] == "41650.00"
    return str(r.json()["id"])


async def test_one_admin_cannot_file_approve_and_pay_a_claim(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    admin2 = await make_user(session, "admin2", "district_admin", DISTRICT)
    cid = await _claim(client, auth("admin"), child.id)

    own = await client.post(f"{C}/{cid}/approve", headers=auth("admin"))
    assert own.status_code == 403
    assert own.headers["content-type"].startswith("application/problem+json")
    assert own.json()["code"] == "four_eyes_required"
    assert "另一人审批" in own.json()["detail"]
    en = await client.post(f"{C}/{cid}/approve", headers=auth("admin", lang="en"))
    assert en.json()["detail"] == "You created this claim; another person must approve it"
    assert (await client.get(f"{C}/{cid}", headers=auth("admin"))).json()["status"] == "submitted"

    approved = await client.post(f"{C}/{cid}/approve", headers=auth(user_id=admin2))
    assert approved.status_code == 200, approved.text
    assert approved.json()["decided_by"] == "admin2"
    by_approver = await client.post(f"{C}/{cid}/pay", headers=auth(user_id=admin2, lang="en"))
    assert by_approver.status_code == 403
    assert by_approver.json()["code"] == "four_eyes_required"
    assert by_approver.json()["detail"] == (
        "You approved this claim; another person must record the payment"
    )
    paid = await client.post(f"{C}/{cid}/pay", headers=auth("admin"))
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"


async def test_the_record_and_the_audit_show_the_three_people(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings, placement="institution")
    admin2 = await make_user(session, "admin2", "district_admin", DISTRICT)
    cid = await _claim(client, auth("institute"), child.id)
    assert (await client.post(f"{C}/{cid}/approve", headers=auth("leader"))).status_code == 200
    paid = await client.post(f"{C}/{cid}/pay", headers=auth(user_id=admin2))
    assert paid.status_code == 200, paid.text
    out = paid.json()
    assert (out["created_by"], out["decided_by"], out["paid_by"]) == (
        "institute",
        "leader",
        "admin2",
    )
    rows = (
        await session.execute(
            select(AuditEntry.action, AuditEntry.principal_name, AuditEntry.detail)
            .where(AuditEntry.resource_type == "medical_claim", AuditEntry.resource_id == cid)
            .order_by(AuditEntry.id)
        )
    ).all()
    assert [(a, who) for a, who, _ in rows] == [
        ("medical_claim.create", "institute"),
        ("medical_claim.approved", "leader"),
        ("medical_claim.paid", "admin2"),
    ]
    assert rows[2][2]["created_by"] == "institute"
    assert rows[2][2]["approved_by"] == "leader"


async def test_four_eyes_off_lets_one_person_do_everything(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    settings: Settings,
) -> None:
    assert settings.four_eyes is True  # on by default
    app.state.settings = settings.model_copy(update={"four_eyes": False})
    child = await make_child(session, settings)
    cid = await _claim(client, auth("admin"), child.id)
    assert (await client.post(f"{C}/{cid}/approve", headers=auth("admin"))).status_code == 200
    paid = await client.post(f"{C}/{cid}/pay", headers=auth("admin"))
    assert paid.status_code == 200, paid.text
    assert (paid.json()["created_by"], paid.json()["decided_by"], paid.json()["paid_by"]) == (
        "admin",
        "admin",
        "admin",
    )


async def test_a_promoted_admin_cannot_approve_the_payroll_they_ran(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await make_child(session, settings, approved_on=date(2025, 1, 10))
    boss = await make_user(session, "boss", "district_admin", DISTRICT)
    r = await client.post(
        "/api/v1/subsidy/payrolls", json={"month": "2026-05"}, headers=auth(user_id=boss)
    )
    assert r.status_code == 201, r.text
    await session.execute(update(User).where(User.id == boss).values(role="district_leader"))
    own = await client.post("/api/v1/subsidy/payrolls/2026-05/approve", headers=auth(user_id=boss))
    assert own.status_code == 403
    assert own.json()["code"] == "four_eyes_required"
    ok = await client.post("/api/v1/subsidy/payrolls/2026-05/approve", headers=auth("leader"))
    assert ok.status_code == 200, ok.text
    assert (ok.json()["created_by"], ok.json()["approved_by"]) == ("boss", "leader")


async def test_the_placement_plan_approver_cannot_pay_its_subsidies(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    kid = await make_child(session, settings, placement="institution", birth_date=date(2006, 2, 5))
    chief = await make_user(session, "chief", "district_leader", DISTRICT)
    body = {
        "year": 2024,
        "entries": [
            {
                "child_id": str(kid.id),
                "assessment": "专业评估：具备安置条件",
                "placement_type": "social_placement",
                "subsidy": "120000.00",
            }
        ],
    }
    plan = (await client.post("/api/v1/placements/plans", json=body, headers=auth("admin"))).json()
    url = f"/api/v1/placements/plans/{plan['id']}"
    approval = {"approval_reference": "大兴区政府批复〔2024〕1号", "approved_on": "2024-03-15"}
    r = await client.post(f"{url}/approve", json=approval, headers=auth(user_id=chief))
    assert r.status_code == 200, r.text
    entry = f"{url}/entries/{plan['entries'][0]['id']}"
    placed = await client.post(
        f"{entry}/place", json={"placed_on": "2024-06-30"}, headers=auth("admin")
    )
    assert placed.status_code == 200, placed.text
    await session.execute(update(User).where(User.id == chief).values(role="district_admin"))
    own = await client.post(f"{entry}/pay", headers=auth(user_id=chief))
    assert own.status_code == 403
    assert own.json()["code"] == "four_eyes_required"
    paid = await client.post(f"{entry}/pay", headers=auth("admin"))
    assert paid.status_code == 200, paid.text


async def test_a_grant_run_counts_once_another_person_approves_it(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await make_child(
        session, settings, birth_date=date(2009, 3, 1), school_stage="senior_secondary"
    )
    G = "/api/v1/subsidy/education-grants"
    run = await client.post(G, json={"school_year": "2025-2026"}, headers=auth("admin"))
    assert run.status_code == 201, run.text
    assert (run.json()["status"], run.json()["total_amount"]) == ("draft", "10000.00")

    async def granted() -> str:
        s = await client.get(
            "/api/v1/subsidy/spending", params={"year": 2026}, headers=auth("leader")
        )
        return str({b["benefit"]: b["amount"] for b in s.json()["by_benefit"]}["education_grant"])

    assert await granted() == "0.00"  # a draft is not spent
    own = await client.post(f"{G}/2025-2026/approve", headers=auth("admin"))
    assert own.status_code == 403
    assert own.json()["code"] == "four_eyes_required"
    for who in ("auditor", "institute", "sup1"):
        assert (await client.post(f"{G}/2025-2026/approve", headers=auth(who))).status_code == 403
    ok = await client.post(f"{G}/2025-2026/approve", headers=auth("leader"))
    assert ok.status_code == 200, ok.text
    assert (ok.json()["status"], ok.json()["created_by"], ok.json()["approved_by"]) == (
        "approved",
        "admin",
        "leader",
    )
    assert await granted() == "10000.00"
    again = await client.post(f"{G}/2025-2026/approve", headers=auth("leader"))
    assert again.status_code == 409


async def test_a_holiday_run_is_approved_by_a_second_admin(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await make_child(session, settings)
    admin2 = await make_user(session, "admin2", "district_admin", DISTRICT)
    H = "/api/v1/subsidy/holiday-runs"
    body = {"occasion": "spring_festival", "year": 2026}
    assert (await client.post(H, json=body, headers=auth("admin"))).status_code == 201
    url = f"{H}/spring_festival/2026/approve"
    assert (await client.post(url, headers=auth("admin"))).json()["code"] == "four_eyes_required"
    ok = await client.post(url, headers=auth(user_id=admin2))
    assert ok.status_code == 200, ok.text
    assert ok.json()["approved_by"] == "admin2"
    rows = (
        await session.execute(
            select(AuditEntry.action, AuditEntry.principal_name)
            .where(AuditEntry.resource_type == "benefit_run")
            .order_by(AuditEntry.id)
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        ("holiday_condolence.run", "admin"),
        ("holiday_condolence.approve", "admin2"),
    ]
