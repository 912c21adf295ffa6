"""The category on the date of service: a medical claim, a quote and a payroll for a past date
use the category the child had then (from the history), not today's."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import Child
from tests.conftest import AuthHeaders
from tests.subsidies.factories import make_child

C = "/api/v1/children"
S = "/api/v1/subsidy"


async def _changed_on_june_15(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> Child:
    """A de-facto-unsupported child who becomes a poor-family disabled child on 2026-06-15
    (the tests' today), by a change of the record."""
    child = await make_child(session, settings, category="de_facto_unsupported")
    etag = (await client.get(f"{C}/{child.id}", headers=auth("leader"))).headers["etag"]
    r = await client.patch(
        f"{C}/{child.id}",
        json={
            "category": "poor_family_disabled",
            "household_assistance": "subsistence",
            "disability": {"kind": "physical", "grade": 2, "certificate_no": "11011520150308"},
            "reason": "复核后改为贫困家庭残疾儿童",
        },
        headers=auth("admin") | {"If-Match": etag},
    )
    assert r.status_code == 200, r.text
    assert r.json()["category"] == "poor_family_disabled"
    return child


def _claim(child: Child, service_date: date) -> dict[str, str]:
    return {
        "child_id": str(child.id),
        "kind": "outpatient",
        "service_date": service_date.isoformat(),
        "bill_total": "100.00",
        "basic_insurance_paid": "0.00",
        "other_insurance_paid": "0.00",
    }


async def test_a_claim_dated_before_a_category_change_uses_the_old_ratio(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await _changed_on_june_15(client, auth, session, settings)
    before = await client.post(
        f"{S}/medical-claims", json=_claim(child, date(2026, 5, 20)), headers=auth("admin")
    )
    assert before.status_code == 201, before.text
    assert before.json()["category"] == "de_facto_unsupported"
    assert before.json()["reimbursable"] == "80.00"
    assert before.json()["trace"]["inputs"]["category"] == "de_facto_unsupported"
    assert before.json()["trace"]["parameters"][0]["key"] == (
        "medical.de_facto_unsupported.outpatient_ratio"
    )
    on_the_day = await client.post(
        f"{S}/medical-claims", json=_claim(child, date(2026, 6, 15)), headers=auth("admin")
    )
    assert on_the_day.json()["category"] == "poor_family_disabled"
    assert on_the_day.json()["reimbursable"] == "0.00"


async def test_a_quote_for_a_past_month_uses_the_old_category(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await _changed_on_june_15(client, auth, session, settings)
    may = await client.post(
        f"{S}/quote", json={"child_id": str(child.id), "month": "2026-05"}, headers=auth("admin")
    )
    assert may.status_code == 200, may.text
    assert may.json()["category"] == "de_facto_unsupported"
    assert may.json()["items"][0]["amount"] == "2650.00"
    june = await client.post(
        f"{S}/quote", json={"child_id": str(child.id), "month": "2026-06"}, headers=auth("admin")
    )
    assert june.json()["category"] == "poor_family_disabled"
    assert june.json()["items"][0]["amount"] == "1060.00"


async def test_a_payroll_for_a_past_month_uses_the_old_category(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await _changed_on_june_15(client, auth, session, settings)
    for month, category, amount in (
        ("2026-05", "de_facto_unsupported", "2650.00"),
        ("2026-06", "poor_family_disabled", "1060.00"),
    ):
        r = await client.post(f"{S}/payrolls", json={"month": month}, headers=auth("admin"))
        assert r.status_code == 201, r.text
        lines = await client.get(
            f"{S}/payrolls/{month}/lines", params={"limit": 500}, headers=auth("admin")
        )
        line = next(x for x in lines.json()["items"] if x["child_id"] == str(child.id))
        assert (line["category"], line["amount"], line["facts"]["category"]) == (
            category,
            amount,
            category,
        )
