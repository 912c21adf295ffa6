"""Enrolments: one per child, scheme and year; exact premiums; the statuses' rules; schemes as
effective-dated parameters."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.conftest import AuthHeaders
from tests.insurance.factories import INS, YEAR, enrol, kid, scheme_body, schemes


async def test_enrol_a_child_with_the_schemes_premium(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth)
    child, _ = await kid(session, settings)
    r = await enrol(client, auth, child, status="submitted")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "submitted"
    assert body["status_zh"] == "已报送"
    assert body["premium"] == "380.00"  # the scheme's, by default
    assert body["id_number_masked"] == child.id_number_masked
    assert r.headers["ETag"] == '"1"'
    r = await enrol(
        client,
        auth,
        child,
        scheme="basic_medical",
        status="enrolled",
        policy_number="P-2",
        premium="400.00",
    )
    assert r.status_code == 409
    assert r.json()["code"] == "insurance_enrolment_exists"
    # another scheme is another enrolment, but an orphan is not covered free by 普惠保
    r = await enrol(client, auth, child, scheme="puhuibao")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "scheme"


async def test_a_second_enrolment_is_refused_in_english_too(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth)
    child, _ = await kid(session, settings)
    assert (await enrol(client, auth, child)).status_code == 201
    body = {"child_id": str(child.id), "scheme": "basic_medical", "year": YEAR}
    r = await client.post(f"{INS}/enrolments", json=body, headers=auth("admin", lang="en"))
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "already" in r.json()["title"]


async def test_bad_premiums_name_the_field(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth)
    child, _ = await kid(session, settings)
    for premium in ("380.005", "-1.00", 380.0, "1e3"):
        r = await enrol(client, auth, child, status="submitted", premium=premium)
        assert r.status_code == 422, (premium, r.text)
        assert [e["field"] for e in r.json()["errors"]] == ["premium"], premium
    r = await client.post(
        f"{INS}/schemes", json=scheme_body(premium="195.001", year=2028), headers=auth("admin")
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["premium"]
    # nothing was written by the refused requests
    r = await client.get(
        f"{INS}/enrolments", params={"year": YEAR, "child_id": str(child.id)}, headers=auth("admin")
    )
    assert r.json()["items"] == []


async def test_status_rules(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth)
    child, _ = await kid(session, settings)
    r = await enrol(client, auth, child, status="not_required")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "reason"
    r = await enrol(client, auth, child, status="enrolled")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "policy_number"
    r = await enrol(client, auth, child)
    assert r.status_code == 201
    e = r.json()
    path = f"{INS}/enrolments/{e['id']}"
    # If-Match is required, and must be the current version
    r = await client.patch(path, json={"status": "submitted"}, headers=auth("admin"))
    assert r.status_code == 428
    stale = auth("admin") | {"If-Match": '"7"'}
    assert (
        await client.patch(path, json={"status": "submitted"}, headers=stale)
    ).status_code == 412
    h = auth("admin") | {"If-Match": '"1"'}
    r = await client.patch(
        path,
        json={"status": "enrolled", "policy_number": "BJ-2027-0001", "enrolled_on": "2026-06-10"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "enrolled"
    assert r.json()["premium"] == "380.00"
    assert r.headers["ETag"] == '"2"'
    # an enrolled row corrects its fields, never its status
    h = auth("admin") | {"If-Match": '"2"'}
    r = await client.patch(path, json={"status": "due"}, headers=h)
    assert r.status_code == 409
    assert r.json()["code"] == "insurance_transition_refused"
    r = await client.patch(path, json={"premium": "375.50"}, headers=h)
    assert r.status_code == 200
    assert r.json()["premium"] == "375.50"


async def test_turned_18_and_revoked_children_are_not_enrolled(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth)
    adult, _ = await kid(session, settings, birth_date=date(2009, 1, 1))  # 18 on 2027-01-01
    r = await enrol(client, auth, adult)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "year"
    gone, _ = await kid(
        session, settings, status="revoked", revoked_on=date(2026, 5, 1), revoke_reason="other"
    )
    r = await enrol(client, auth, gone)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "child_id"


async def test_enrolment_needs_the_years_parameters(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child, _ = await kid(session, settings)
    r = await enrol(client, auth, child, year=2031)
    assert r.status_code == 409
    assert r.json()["code"] == "insurance_scheme_missing"


async def test_schemes_are_effective_dated(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    h = auth("admin")
    assert (await client.post(f"{INS}/schemes", json=scheme_body(), headers=h)).status_code == 201
    # the same scheme, year and date again: 409; a later date: the new premium from then on
    r = await client.post(f"{INS}/schemes", json=scheme_body(), headers=h)
    assert r.status_code == 409
    later = scheme_body(effective_from="2026-06-01", premium="390.00")
    assert (await client.post(f"{INS}/schemes", json=later, headers=h)).status_code == 201
    future = scheme_body(effective_from="2026-09-01", premium="999.00")
    assert (await client.post(f"{INS}/schemes", json=future, headers=h)).status_code == 201
    r = await client.get(f"{INS}/schemes", params={"year": YEAR}, headers=auth("leader"))
    assert r.status_code == 200
    in_force = [(s["premium"], s["effective_from"]) for s in r.json() if s["in_force"]]
    assert in_force == [("390.00", "2026-06-01")]
    child, _ = await kid(session, settings)
    r = await enrol(client, auth, child, status="submitted")
    assert r.json()["premium"] == "390.00"
    bad = scheme_body(year=2029, window_from="2028-12-31", window_to="2028-09-01")
    r = await client.post(f"{INS}/schemes", json=bad, headers=h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "window_to"
