"""A city of two districts: each district contracts its own agencies and keeps its own cases.

DISTRICT's agencies and cases are absent from DISTRICT_B's lists and a 404 by id to its admin
(and the reverse); B's admin cannot open a case for DISTRICT's child or with its agency."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.casework.factories import BASE_AGENCY, child_on_assistance, make_agency, open_case
from tests.conftest import DISTRICT_B, AuthHeaders

AGENCIES = "/api/v1/casework/agencies"
CASES = "/api/v1/cases"


async def _ids(client: httpx.AsyncClient, auth: AuthHeaders, user: str, url: str) -> set[str]:
    r = await client.get(url, headers=auth(user), params={"limit": 500})
    assert r.status_code == 200, r.text
    return {i["id"] for i in r.json()["items"]}


async def test_agencies_and_cases_stay_within_their_district(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    agency_b = await make_agency(session, district=DISTRICT_B)
    child = await child_on_assistance(session, settings)
    case = await open_case(client, auth, child.id)
    # B's admin sees neither DISTRICT's agency nor its case
    assert str(BASE_AGENCY) not in await _ids(client, auth, "admin_b", AGENCIES)
    assert str(agency_b.id) in await _ids(client, auth, "admin_b", AGENCIES)
    assert case["id"] not in await _ids(client, auth, "admin_b", CASES)
    for url in (f"{AGENCIES}/{BASE_AGENCY}", f"{CASES}/{case['id']}"):
        r = await client.get(url, headers=auth("admin_b"))
        assert r.status_code == 404, (url, r.text)
    r = await client.post(
        f"{CASES}/{case['id']}/close",
        json={"closed_on": "2026-06-15", "outcome": "other"},
        headers=auth("admin_b"),
    )
    assert r.status_code == 404
    # and DISTRICT's offices do not see B's agency
    assert str(agency_b.id) not in await _ids(client, auth, "admin", AGENCIES)
    r = await client.get(f"{AGENCIES}/{agency_b.id}", headers=auth("leader"))
    assert r.status_code == 404


async def test_no_case_for_another_districts_child_or_agency(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    agency_b = await make_agency(session, district=DISTRICT_B)
    child = await child_on_assistance(session, settings)  # a child of DISTRICT
    body = {"child_id": str(child.id), "agency_id": str(agency_b.id), "reason": "测试"}
    r = await client.post(CASES, json={"id": str(uuid.uuid4()), **body}, headers=auth("admin_b"))
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["child_id"]
    r = await client.post(CASES, json={"id": str(uuid.uuid4()), **body}, headers=auth("admin"))
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["agency_id"]


async def test_an_agency_created_by_b_belongs_to_b(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    body = {
        "name": "乙区社工中心",
        "contract_from": "2026-01-01",
        "contract_to": "2026-12-31",
        "hours_bought": 10,
        "hourly_rate": "100.00",
    }
    r = await client.post(AGENCIES, json=body, headers=auth("admin_b"))
    assert r.status_code == 201, r.text
    new = r.json()["id"]
    assert new in await _ids(client, auth, "admin_b", AGENCIES)
    assert new not in await _ids(client, auth, "admin", AGENCIES)
