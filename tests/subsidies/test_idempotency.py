"""Subsidy creations are retry-safe with an Idempotency-Key: the same key and body give the first
answer again (200) and nothing twice; the same key with another body is a 409."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import MedicalClaim, PayrollRun, SubsidyStandard
from tests.conftest import AuthHeaders
from tests.subsidies.factories import make_child
from tests.subsidies.test_claims import C, claim

P = "/api/v1/subsidy/payrolls"


async def test_a_retried_medical_claim_is_filed_once(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    headers = auth("admin") | {"Idempotency-Key": "claim-0001"}
    first = await client.post(C, json=claim(child.id), headers=headers)
    assert first.status_code == 201, first.text
    again = await client.post(C, json=claim(child.id), headers=headers)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    count = select(func.count()).select_from(MedicalClaim).where(MedicalClaim.child_id == child.id)
    assert (await session.execute(count)).scalar_one() == 1

    other = await client.post(C, json=claim(child.id, bill_total="999.00"), headers=headers)
    assert other.status_code == 409, other.text
    assert other.headers["content-type"].startswith("application/problem+json")
    assert (await session.execute(count)).scalar_one() == 1

    # without a key, two posts are two claims (the key is what makes a retry a retry)
    for _ in range(2):
        r = await client.post(C, json=claim(child.id), headers=auth("admin"))
        assert r.status_code == 201, r.text
    assert (await session.execute(count)).scalar_one() == 3


async def test_a_retried_payroll_run_answers_with_the_run_not_a_conflict(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await make_child(session, settings)
    headers = auth("admin") | {"Idempotency-Key": "payroll-2026-05"}
    first = await client.post(P, json={"month": "2026-05"}, headers=headers)
    assert first.status_code == 201, first.text
    again = await client.post(P, json={"month": "2026-05"}, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    runs = select(func.count()).select_from(PayrollRun).where(PayrollRun.month == date(2026, 5, 1))
    assert (await session.execute(runs)).scalar_one() == 1
    # a new key for the same month is a new request: the month has its run (409)
    fresh = await client.post(
        P, json={"month": "2026-05"}, headers=auth("admin") | {"Idempotency-Key": "other"}
    )
    assert fresh.status_code == 409, fresh.text


async def test_a_retried_standard_is_appended_once(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    body = {
        "key": "living_allowance.standard",
        "value": "2900.00",
        "effective_from": "2027-01-01",
        "reference": "京民发〔2026〕99号",
    }
    headers = auth("admin") | {"Idempotency-Key": "std-2027"}
    first = await client.post("/api/v1/subsidy/standards", json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = await client.post("/api/v1/subsidy/standards", json=body, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    rows = (
        select(func.count())
        .select_from(SubsidyStandard)
        .where(
            SubsidyStandard.key == body["key"],
            SubsidyStandard.effective_from == date(2027, 1, 1),
        )
    )
    assert (await session.execute(rows)).scalar_one() == 1
