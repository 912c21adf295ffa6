"""The dashboard's case-work and screening-referral sections."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.casework.factories import case_in_service, child_on_assistance, service
from tests.casework.test_screening_referrals import out_of_school, records
from tests.conftest import AuthHeaders

URL = "/api/v1/dashboard/summary"


async def test_sections_count_cases_hours_and_referrals(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    before = (await client.get(URL, headers=auth("admin"))).json()["sections"]
    town2_before = (await client.get(URL, headers=auth("sup2"))).json()["sections"]
    child = await child_on_assistance(session, settings)  # in TOWN1's first village
    worker = auth("caseworker")
    case = await case_in_service(client, auth, child.id, worker)
    r = await client.post(
        f"/api/v1/cases/{case['id']}/services", json=service(minutes=90), headers=worker
    )
    assert r.status_code == 201
    [rec] = await records(session, settings, [out_of_school()])
    r = await client.post(
        "/api/v1/screening/referrals",
        json={"record_ids": [str(rec.id)], "agency": "education", "finding": "out_of_school"},
        headers=auth("admin"),
    )
    assert r.status_code == 201

    after = (await client.get(URL, headers=auth("admin"))).json()["sections"]
    cw = after["casework"]
    assert cw["by_status"]["in_service"] == before["casework"]["by_status"]["in_service"] + 1
    [agency] = [a for a in cw["agencies"] if a["name"] == "测试社工服务中心"]
    was = next(a for a in before["casework"]["agencies"] if a["name"] == "测试社工服务中心")
    assert float(agency["hours_delivered_month"]) == float(was["hours_delivered_month"]) + 1.5
    sr = after["screening_referrals"]["by_finding"]["out_of_school"]
    assert sr["open"] == before["screening_referrals"]["by_finding"]["out_of_school"]["open"] + 1

    # a town supervisor sees their town's figures, and no agency's money
    town1 = (await client.get(URL, headers=auth("sup1"))).json()["sections"]
    town2 = (await client.get(URL, headers=auth("sup2"))).json()["sections"]
    assert town1["casework"]["agencies"] == []
    assert town1["casework"]["open"] >= 1
    # the case's child lives in the first town: the second town's count did not move
    assert town2["casework"]["open"] == town2_before["casework"]["open"]
