"""GET /api/v1/dashboard/summary: who may read it, which area, bad input, and the figures."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEntry
from tests.conftest import DISTRICT, TOWN1, TOWN2, VILLAGE1, VILLAGE2, VILLAGE3, AuthHeaders
from tests.dashboard import factories

URL = "/api/v1/dashboard/summary"


@pytest.mark.parametrize("who", ["admin", "leader", "auditor"])
async def test_district_roles_see_the_district(
    client: httpx.AsyncClient, auth: AuthHeaders, who: str
) -> None:
    r = await client.get(URL, headers=auth(who))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["month"] == "2026-06"  # the fixed clock: 2026-06-15 in Beijing
    assert body["area"] == {"code": DISTRICT, "name": body["area"]["name"], "level": "district"}
    areas = body["sections"]["areas"]
    assert areas["towns"] == 2
    assert areas["villages"] == 3
    assert areas["town_supervisors"] == 2
    assert areas["village_directors"] == 3
    assert areas["villages_without_director"] == 0
    assert "children" in body["sections"]


async def test_town_supervisor_gets_their_town_by_default(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.get(URL, headers=auth("sup1"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["area"]["code"] == TOWN1
    assert body["area"]["level"] == "town"
    assert body["sections"]["areas"]["villages"] == 2
    assert body["sections"]["areas"]["towns"] == 1
    assert body["sections"]["areas"]["town_supervisors"] == 1
    # The budget is the district's: no spending section for a town.
    assert "subsidies" not in body["sections"]


async def test_town_supervisor_may_name_their_own_town(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.get(URL, params={"area_code": TOWN2}, headers=auth("sup2"))
    assert r.status_code == 200
    assert r.json()["area"]["code"] == TOWN2


@pytest.mark.parametrize("area", [TOWN2, DISTRICT, VILLAGE3, "999999999"])
async def test_town_supervisor_outside_their_town_is_404(
    client: httpx.AsyncClient, auth: AuthHeaders, area: str
) -> None:
    r = await client.get(URL, params={"area_code": area}, headers=auth("sup1"))
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "area_not_found"


async def test_unknown_area_is_404_for_the_district_too(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.get(URL, params={"area_code": "110115099"}, headers=auth("admin"))
    assert r.status_code == 404


async def test_district_role_may_look_at_one_town(
    client: httpx.AsyncClient, session: AsyncSession, auth: AuthHeaders
) -> None:
    await factories.child(session, village=VILLAGE1)
    await factories.child(session, village=VILLAGE3)
    await factories.child(session, village=None)  # the institute's
    town = (await client.get(URL, params={"area_code": TOWN2}, headers=auth("leader"))).json()
    whole = (await client.get(URL, headers=auth("leader"))).json()
    assert town["area"]["code"] == TOWN2
    assert town["sections"]["children"]["total"] == 1
    assert whole["sections"]["children"]["total"] == 3


async def test_a_village_is_not_a_dashboard_scope(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.get(URL, params={"area_code": VILLAGE1}, headers=auth("admin"))
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["area_code"]


@pytest.mark.parametrize("who", ["dir1", "institute"])
async def test_other_staff_roles_are_forbidden(
    client: httpx.AsyncClient, auth: AuthHeaders, who: str
) -> None:
    r = await client.get(URL, headers=auth(who))
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_agency_clients_are_forbidden(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.get(URL, headers=auth(agency="police", scopes=["referrals:read"]))
    assert r.status_code == 403


async def test_no_token_is_401(client: httpx.AsyncClient) -> None:
    r = await client.get(URL)
    assert r.status_code == 401


@pytest.mark.parametrize("month", ["2026-13", "2026-6", "june", "2026-06-01", ""])
async def test_bad_month_is_422_naming_month(
    client: httpx.AsyncClient, auth: AuthHeaders, month: str
) -> None:
    r = await client.get(URL, params={"month": month}, headers=auth("admin"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == ["month"]


async def test_english_problem_on_request(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.get(
        URL, params={"area_code": TOWN2}, headers=auth("sup1") | {"Accept-Language": "en"}
    )
    assert r.status_code == 404
    assert r.json()["title"] == "Area not found"


async def test_children_by_category_placement_and_the_months_moves(
    client: httpx.AsyncClient, session: AsyncSession, auth: AuthHeaders
) -> None:
    await factories.child(session, village=VILLAGE1, category="orphan")
    await factories.child(session, village=VILLAGE2, category="poor_family_disabled")
    await factories.child(session, village=None, category="orphan")
    # Enrolled this month (June 2026) and one revoked this month.
    await factories.child(session, village=VILLAGE1, approved_on=date(2026, 6, 3))
    await factories.child(session, village=VILLAGE3, revoked_on=date(2026, 6, 10))
    # Revoked last month: not standing, not a June move.
    await factories.child(session, village=VILLAGE3, revoked_on=date(2026, 5, 20))
    r = await client.get(URL, params={"month": "2026-06"}, headers=auth("admin"))
    children = r.json()["sections"]["children"]
    assert children["as_of"] == "2026-06-15"
    assert children["total"] == 4
    assert children["by_category"] == {
        "orphan": 3,
        "de_facto_unsupported": 0,
        "poor_family_seriously_ill": 0,
        "poor_family_disabled": 1,
    }
    assert children["by_placement"] == {"dispersed": 3, "institution": 1}
    assert children["additions"] == 1
    assert children["revocations"] == 1
    # May, taken on its last day: the June enrolment not yet, the May revocation done,
    # the June revocation still standing.
    may = (await client.get(URL, params={"month": "2026-05"}, headers=auth("admin"))).json()
    assert may["sections"]["children"]["as_of"] == "2026-05-31"
    assert may["sections"]["children"]["total"] == 4
    assert may["sections"]["children"]["revocations"] == 1
    assert may["sections"]["children"]["additions"] == 0
    # The supervisor of town 1 counts town 1's children only.
    sup = (await client.get(URL, headers=auth("sup1"))).json()["sections"]["children"]
    assert sup["total"] == 3
    assert sup["by_placement"] == {"dispersed": 3, "institution": 0}
    assert sup["additions"] == 1
    assert sup["revocations"] == 0


async def test_reading_the_summary_is_audited(
    client: httpx.AsyncClient, session: AsyncSession, auth: AuthHeaders
) -> None:
    r = await client.get(URL, headers=auth("leader"))
    assert r.status_code == 200
    n = (
        await session.execute(
            select(func.count()).where(
                AuditEntry.action == "dashboard.summary", AuditEntry.resource_id == DISTRICT
            )
        )
    ).scalar_one()
    assert n == 1


async def test_links_name_only_installed_record_routes(
    client: httpx.AsyncClient, app: object, auth: AuthHeaders
) -> None:
    from fastapi import FastAPI
    from fastapi.routing import APIRoute

    assert isinstance(app, FastAPI)
    paths = {r.path for r in app.routes if isinstance(r, APIRoute)}
    links = (await client.get(URL, headers=auth("admin"))).json()["links"]
    for path in links.values():
        assert path in paths
    assert ("child" in links) == ("/api/v1/children/{child_id}" in paths)


async def test_sections_are_those_wired_in_display_order(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    body = (await client.get(URL, headers=auth("admin"))).json()
    assert list(body["sections"]) == [
        "areas",
        "children",
        "trends",
        "visits",
        "follow_ups",
        "incidents",
        "institution",
        "protection",
        "casework",
        "discovery",
        "screening",
        "screening_referrals",
        "subsidies",
        "insurance",
        "standard_review",
        "education_aid",
        "holiday_gifts",
        "community_activities",
        "pairings",
        "parent_classes",
        "training",
        "charity",
    ]
