"""The dashboard's charity section: projects open, funds approved, disbursed and spent."""

from __future__ import annotations

import httpx

from tests.charity.factories import A, Charity, apply, approved, pay, report_body
from tests.conftest import TOWN2, AuthHeaders

URL = "/api/v1/dashboard/summary"


async def test_charity_section(
    client: httpx.AsyncClient, auth: AuthHeaders, charity: Charity
) -> None:
    await apply(client, auth)
    await apply(client, auth, "sup2", applicant_area_code=TOWN2)
    open_one = await approved(client, auth, charity, amount="8000.00", period_to="2026-05-31")
    assert (await pay(client, charity, open_one["id"], "3000.00")).status_code == 201
    done = await approved(client, auth, charity, amount="2000.00")
    assert (await pay(client, charity, done["id"], "2000.00")).status_code == 201
    spending = [{"item": "活动物资", "amount": "1500.50"}]
    r = await client.post(
        f"{A}/{done['id']}/report", json=report_body(spending=spending), headers=auth("sup1")
    )
    assert r.status_code == 200
    r = await client.get(URL, params={"month": "2026-06"}, headers=auth("admin"))
    section = r.json()["sections"]["charity"]
    assert section["open"] == 3  # two submitted, one approved
    assert section["by_status"]["reported"] == 1
    assert section["approved"] == "10000.00"
    assert section["disbursed"] == "5000.00"
    assert section["spent_reported"] == "1500.50"
    assert section["awaiting_final_report"] == 1
    # town 2's dashboard: its one application
    r = await client.get(URL, params={"month": "2026-06"}, headers=auth("sup2"))
    assert r.json()["sections"]["charity"]["open"] == 1
