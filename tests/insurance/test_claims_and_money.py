"""The claims link (a 普惠保 that paid nothing is flagged for review) and the premiums in the
spending, under the medical heading, against the budget."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.conftest import AuthHeaders
from tests.insurance.factories import INS, enrol, enrolled, kid, schemes
from tests.subsidies.test_claims import claim

C = "/api/v1/subsidy/medical-claims"


def _claim(child_id: Any, **over: str) -> dict[str, str]:
    body: dict[str, str] = claim(child_id, other_insurance_paid="0.00") | over
    return body


async def test_a_puhuibao_that_paid_nothing_is_flagged(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth, years=(2026,))
    covered, _ = await kid(session, settings, category="de_facto_unsupported")
    r = await enrol(
        client,
        auth,
        covered,
        scheme="puhuibao",
        year=2026,
        status="enrolled",
        policy_number="PHB-1",
        enrolled_on="2026-01-01",
    )
    assert r.status_code == 201, r.text
    uncovered, _ = await kid(session, settings, category="de_facto_unsupported")
    orphan, _ = await kid(session, settings)

    flagged = await client.post(C, json=_claim(covered.id), headers=auth("admin"))
    assert flagged.status_code == 201, flagged.text
    assert flagged.json()["review_flags"] == ["puhuibao_not_claimed"]
    # 普惠保 paid its share: no flag; not enrolled, or an orphan: no flag
    paid = await client.post(
        C, json=_claim(covered.id, other_insurance_paid="100.00"), headers=auth("admin")
    )
    assert paid.json()["review_flags"] == []
    for child in (uncovered, orphan):
        r = await client.post(C, json=_claim(child.id), headers=auth("admin"))
        assert r.json()["review_flags"] == []
    # where the claim is read and decided, the flag shows
    cid = flagged.json()["id"]
    assert (await client.get(f"{C}/{cid}", headers=auth("leader"))).json()["review_flags"] == [
        "puhuibao_not_claimed"
    ]
    listed = await client.get(C, params={"child_id": str(covered.id)}, headers=auth("leader"))
    flags = {c["id"]: c["review_flags"] for c in listed.json()["items"]}
    assert flags == {cid: ["puhuibao_not_claimed"], paid.json()["id"]: []}
    approved = await client.post(f"{C}/{cid}/approve", headers=auth("leader"))
    assert approved.json()["review_flags"] == ["puhuibao_not_claimed"]


async def test_cover_confirmed_after_the_service_date_is_no_flag(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth, years=(2026,))
    child, _ = await kid(session, settings, category="de_facto_unsupported")
    r = await enrol(
        client,
        auth,
        child,
        scheme="puhuibao",
        year=2026,
        status="enrolled",
        policy_number="PHB-2",
        enrolled_on="2026-06-01",
    )
    assert r.status_code == 201
    before = await client.post(C, json=_claim(child.id), headers=auth("admin"))
    assert before.json()["review_flags"] == []
    after = await client.post(
        C, json=_claim(child.id, service_date="2026-06-10"), headers=auth("admin")
    )
    assert after.json()["review_flags"] == ["puhuibao_not_claimed"]


async def test_premiums_count_in_the_spending_under_the_medical_heading(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth, years=(2026,))
    r = await client.post(
        "/api/v1/subsidy/budgets", json={"year": 2026, "amount": "10000.00"}, headers=auth("admin")
    )
    assert r.status_code == 201, r.text
    dfu, _ = await kid(session, settings, category="de_facto_unsupported")
    orphan, _ = await kid(session, settings)
    waiting, _ = await kid(session, settings)
    for child, scheme, premium, on in (
        (dfu, "basic_medical", "380.00", "2025-12-20"),  # before the year: January
        (dfu, "puhuibao", "195.00", "2026-03-02"),
        (orphan, "basic_medical", "380.01", "2026-03-15"),
    ):
        await enrolled(client, auth, child, scheme, on, premium=premium)
    # a submitted enrolment is not paid yet
    assert (await enrol(client, auth, waiting, year=2026, status="submitted")).status_code == 201

    r = await client.get(f"{INS}/premiums", params={"year": 2026}, headers=auth("leader"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["premiums"] == "955.01"
    assert body["budget"] == "10000.00"
    assert body["share_of_budget"] == "0.0955"
    by_scheme = {s["scheme"]: (s["enrolled"], s["premiums"]) for s in body["by_scheme"]}
    assert by_scheme == {
        "basic_medical": (2, "760.01"),
        "puhuibao": (1, "195.00"),
        "supplementary": (0, "0.00"),
    }
    s = (
        await client.get("/api/v1/subsidy/spending", params={"year": 2026}, headers=auth("leader"))
    ).json()
    headings = {b["benefit"]: b["amount"] for b in s["by_benefit"]}
    assert headings["medical_insurance"] == "955.01"
    assert s["spent"] == "955.01"
    assert s["remaining"] == "9044.99"
    months = {m["month"]: m["amounts"].get("medical_insurance") for m in s["by_month"]}
    assert months == {"2026-01": "380.00", "2026-03": "575.01"}
    assert body["spent"] == s["spent"]
