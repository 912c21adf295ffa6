"""The dashboard's insurance section: coverage per scheme, premiums against the budget."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.conftest import VILLAGE3, AuthHeaders
from tests.insurance.factories import enrol, enrolled, kid, schemes

URL = "/api/v1/dashboard/summary"


async def test_insurance_section(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth, years=(2026,))
    r = await client.post(
        "/api/v1/subsidy/budgets", json={"year": 2026, "amount": "1000.00"}, headers=auth("admin")
    )
    assert r.status_code == 201
    before = (await client.get(URL, params={"month": "2026-06"}, headers=auth("admin"))).json()
    base = {s["scheme"]: s for s in before["sections"]["insurance"]["schemes"]}
    dfu, _ = await kid(session, settings, category="de_facto_unsupported")
    orphan, _ = await kid(session, settings, village_code=VILLAGE3)
    for child, scheme in ((dfu, "basic_medical"), (dfu, "puhuibao"), (orphan, "basic_medical")):
        await enrolled(client, auth, child, scheme, "2026-02-01")
    body = (await client.get(URL, params={"month": "2026-06"}, headers=auth("admin"))).json()
    section = body["sections"]["insurance"]
    by = {s["scheme"]: s for s in section["schemes"]}
    assert by["basic_medical"]["eligible"] == base["basic_medical"]["eligible"] + 2
    assert by["basic_medical"]["enrolled"] == base["basic_medical"]["enrolled"] + 2
    assert by["puhuibao"]["enrolled"] == base["puhuibao"]["enrolled"] + 1
    assert section["premiums"] == "955.00"
    assert section["budget"] == "1000.00"
    assert section["premiums_share_of_budget"] == "0.9550"
    # town 2's dashboard: its one child, no money
    town = (await client.get(URL, params={"month": "2026-06"}, headers=auth("sup2"))).json()
    section = town["sections"]["insurance"]
    by = {s["scheme"]: s for s in section["schemes"]}
    assert (by["basic_medical"]["eligible"], by["basic_medical"]["enrolled"]) == (1, 1)
    assert by["basic_medical"]["coverage"] == "1.0000"
    assert section["premiums"] is None


async def test_premiums_in_the_subsidy_section(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth, years=(2026,))
    child, _ = await kid(session, settings)
    r = await enrol(
        client,
        auth,
        child,
        year=2026,
        status="enrolled",
        policy_number="P",
        premium="380.00",
        enrolled_on="2026-06-01",
    )
    assert r.status_code == 201, r.text
    for month, spent in (("2026-06", "380.00"), ("2026-05", "0.00")):  # confirmed in June
        body = (await client.get(URL, params={"month": month}, headers=auth("admin"))).json()
        section = body["sections"]["subsidies"]
        headings = {b["benefit"]: b["amount"] for b in section["by_benefit"]}
        assert headings["medical_insurance"] == spent, month
