"""Education grants, holiday runs, budgets and spending; the demo loader."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import BenefitRun, PayrollRun, PlacementPlan, SubsidyBudget
from app.subsidies import demo
from tests.conftest import AuthHeaders
from tests.subsidies.factories import make_child

G = "/api/v1/subsidy/education-grants"
H = "/api/v1/subsidy/holiday-runs"


async def test_education_grants_once_per_school_year(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    senior = await make_child(
        session, settings, birth_date=date(2009, 3, 1), school_stage="senior_secondary"
    )
    student = await make_child(
        session,
        settings,
        category="de_facto_unsupported",
        birth_date=date(2007, 10, 1),
        school_stage="undergraduate",
    )
    await make_child(session, settings, school_stage="primary")
    await make_child(
        session, settings, category="poor_family_disabled", school_stage="senior_secondary"
    )
    await make_child(
        session, settings, school_stage="senior_secondary", approved_on=date(2025, 9, 2)
    )
    r = await client.post(G, json={"school_year": "2025-2026"}, headers=auth("admin"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["period"] == "2025-2026"
    assert body["reference_date"] == "2025-09-01"
    assert body["line_count"] == 2
    assert body["total_amount"] == "18000.00"
    lines = (await client.get(f"{G}/2025-2026/lines", headers=auth("leader"))).json()["items"]
    assert {(x["child_id"], x["amount"]) for x in lines} == {
        (str(senior.id), "10000.00"),
        (str(student.id), "8000.00"),
    }
    assert lines[0]["parameters"][0]["key"] == "education_grant.eligible_stages"
    again = await client.post(G, json={"school_year": "2025-2026"}, headers=auth("admin"))
    assert again.status_code == 409
    assert again.json()["code"] == "run_exists"
    assert (await client.get(f"{G}/2025-2026", headers=auth("auditor"))).json()["id"] == body["id"]
    assert (await client.get(f"{G}/2024-2025", headers=auth("auditor"))).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"school_year": "2026-2027"}, "school_year"),  # starts on 2026-09-01, after today
        ({"school_year": "2025-2027"}, "school_year"),
        ({"school_year": "2025"}, "school_year"),
        ({}, "school_year"),
    ],
)
async def test_bad_grant_input(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, body: Any, field: str
) -> None:
    r = await client.post(G, json=body, headers=auth("admin"))
    assert r.status_code == 422
    assert field in [e["field"] for e in r.json()["errors"]]
    assert await session.scalar(select(func.count()).select_from(BenefitRun)) == 0


@pytest.mark.parametrize("who", ["leader", "auditor", "institute", "sup1", "dir1"])
async def test_only_admins_run_grants_and_holidays(
    client: httpx.AsyncClient, auth: AuthHeaders, who: str
) -> None:
    assert (
        await client.post(G, json={"school_year": "2025-2026"}, headers=auth(who))
    ).status_code == 403
    body = {"occasion": "spring_festival", "year": 2026}
    assert (await client.post(H, json=body, headers=auth(who))).status_code == 403


async def test_holiday_run_once_per_occasion_and_year(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await make_child(session, settings)
    await make_child(
        session, settings, category="poor_family_seriously_ill", placement="institution"
    )
    await make_child(session, settings, approved_on=date(2026, 2, 1))  # not yet on 1 January
    r = await client.post(
        H, json={"occasion": "spring_festival", "year": 2026}, headers=auth("admin")
    )
    assert r.status_code == 201
    assert r.json()["line_count"] == 2
    assert r.json()["total_amount"] == "1000.00"
    assert r.json()["reference_date"] == "2026-01-01"
    again = await client.post(
        H, json={"occasion": "spring_festival", "year": 2026}, headers=auth("admin")
    )
    assert again.status_code == 409
    june = await client.post(
        H, json={"occasion": "childrens_day", "year": 2026}, headers=auth("admin")
    )
    assert june.json()["total_amount"] == "900.00"
    got = await client.get(f"{H}/spring_festival/2026", headers=auth("leader"))
    assert got.json()["id"] == r.json()["id"]
    assert (await client.get(f"{H}/spring_festival/2026", headers=auth("sup1"))).status_code == 403
    bad = await client.post(H, json={"occasion": "mid_autumn", "year": 2026}, headers=auth("admin"))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "occasion"


async def test_budget_and_spending(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    B = "/api/v1/subsidy/budgets"
    r = await client.post(B, json={"year": 2026, "amount": "7390000.00"}, headers=auth("admin"))
    assert r.status_code == 201
    assert r.json()["amount"] == "7390000.00"
    assert (
        await client.post(B, json={"year": 2026, "amount": "1.00"}, headers=auth("admin"))
    ).status_code == 409
    neg = await client.post(B, json={"year": 2027, "amount": "-1.00"}, headers=auth("admin"))
    assert neg.status_code == 422
    assert neg.json()["errors"][0]["field"] == "amount"
    assert (
        await client.post(B, json={"year": 2027, "amount": "1.00"}, headers=auth("leader"))
    ).status_code == 403

    child = await make_child(session, settings)
    await client.post("/api/v1/subsidy/payrolls", json={"month": "2026-04"}, headers=auth("admin"))
    await client.post("/api/v1/subsidy/payrolls/2026-04/approve", headers=auth("leader"))
    await client.post(
        "/api/v1/subsidy/payrolls", json={"month": "2026-05"}, headers=auth("admin")
    )  # draft
    cid = (
        await client.post(
            "/api/v1/subsidy/medical-claims",
            json={
                "child_id": str(child.id),
                "kind": "outpatient",
                "service_date": "2026-06-01",
                "bill_total": "200.00",
                "basic_insurance_paid": "50.00",
                "other_insurance_paid": "0.00",
            },
            headers=auth("admin"),
        )
    ).json()["id"]
    await client.post(f"/api/v1/subsidy/medical-claims/{cid}/approve", headers=auth("leader"))
    await client.post(f"/api/v1/subsidy/medical-claims/{cid}/pay", headers=auth("admin"))

    s = await client.get("/api/v1/subsidy/spending", params={"year": 2026}, headers=auth("leader"))
    assert s.status_code == 200
    body = s.json()
    assert body["budget"] == "7390000.00"
    assert body["spent"] == "2800.00"
    assert body["remaining"] == "7387200.00"
    assert body["share_spent"] == "0.0004"
    by_benefit = {b["benefit"]: b["amount"] for b in body["by_benefit"]}
    assert by_benefit["living_allowance"] == "2650.00"  # the draft May is not spent
    assert by_benefit["medical_reimbursement"] == "150.00"
    assert by_benefit["education_grant"] == "0.00"
    assert [(m["month"], m["total"]) for m in body["by_month"]] == [
        ("2026-04", "2650.00"),
        ("2026-06", "150.00"),
    ]
    assert (
        await client.get("/api/v1/subsidy/spending", params={"year": 2026}, headers=auth("sup1"))
    ).status_code == 403
    bad = await client.get("/api/v1/subsidy/spending", params={"year": "x"}, headers=auth("admin"))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "year"


async def test_demo_loader_is_idempotent(session: AsyncSession, settings: Settings) -> None:
    await demo.load(session, settings)  # no children yet: only the standards
    assert await session.scalar(select(func.count()).select_from(PayrollRun)) == 0
    await make_child(session, settings, approved_on=date(2020, 1, 1), birth_date=date(2016, 1, 1))
    for n in range(7):
        await make_child(
            session,
            settings,
            placement="institution",
            birth_date=date(2006, 1 + n, 3),
            approved_on=date(2010, 1, 1),
            status="revoked",
            revoked_on=date(2024, 12, 31),
        )
    await demo.load(session, settings)
    await demo.load(session, settings)
    runs = (await session.execute(select(PayrollRun))).scalars().all()
    assert len(runs) == 3
    assert {r.status for r in runs} == {"approved"}
    budgets = (await session.execute(select(SubsidyBudget))).scalars().all()
    assert [b.amount_fen for b in budgets] == [739_000_000]
    plan = (await session.execute(select(PlacementPlan))).scalar_one()
    assert plan.year == 2024
    assert plan.total_fen == 75_000_000
    assert plan.status == "approved"
