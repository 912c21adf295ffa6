"""Every route of the education aid, the holiday gifts and the activities × every staff role and
agency client: who is admitted, who is refused (403), who finds nothing outside their
jurisdiction (404). The second wave's roles (protection staff, counsellors, case workers) and
every agency but the federation with `programmes:read` get nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.conftest import AGENCY_CLIENTS, ALL_SCOPES, USERS, VILLAGE1, AuthHeaders
from tests.programmes.aid_factories import ROUNDS, fed_headers, named_child
from tests.subsidies.factories import make_child

# DISTRICT_B's accounts pass the same role checks as DISTRICT's, and DISTRICT's round,
# application and gift are then unknown to them (404; more in tests/programmes/test_districts.py);
# the city's roles and protect_b are refused by role.
B_AREA = {"admin_b", "sup_b", "dir_b"}
READERS = {"admin", "leader", "auditor", "fed", "admin_b"}
AREA = {"admin", "leader", "auditor", "institute", "sup1", "sup2", "dir1", "dir2", "dir3"} | B_AREA
FIELD = {"admin", "institute", "sup1", "sup2", "dir1", "dir2", "dir3"} | B_AREA
VENUE_WRITERS = {"admin", "sup1", "sup2", "dir1", "dir2", "dir3"} | B_AREA


async def _setup(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> dict[str, str]:
    await make_child(session, settings, village_code=VILLAGE1)
    rid = (
        await client.post(ROUNDS, json={"year": 2026, "name": "authz"}, headers=auth("admin"))
    ).json()["id"]
    app_id = (
        await client.post(
            f"{ROUNDS}/{rid}/applications",
            json={"child": named_child("male"), "programme": "boys_in_difficulty", "amount": "1"},
            headers=auth("admin"),
        )
    ).json()["id"]
    run = await client.post(
        "/api/v1/subsidy/holiday-runs",
        json={"occasion": "childrens_day", "year": 2026},
        headers=auth("admin"),
    )
    assert run.status_code == 201
    gifts = await client.post(
        "/api/v1/holiday-gifts",
        json={"occasion": "childrens_day", "year": 2026, "item": "书", "value": "5"},
        headers=auth("admin"),
    )
    assert gifts.status_code == 201
    gift_id = (await client.get("/api/v1/holiday-gifts", headers=auth("admin"))).json()["items"][0][
        "id"
    ]
    return {"round": rid, "application": app_id, "gift": gift_id}


def _routes(ids: dict[str, str]) -> list[tuple[str, str, Any, set[str]]]:
    app_url = f"{ROUNDS}/{ids['round']}/applications/{ids['application']}"
    return [
        ("POST", ROUNDS, {"year": 2026, "name": f"r-{uuid.uuid4()}"}, {"admin", "admin_b"}),
        ("GET", ROUNDS, None, READERS),
        ("GET", f"{ROUNDS}/{ids['round']}", None, READERS),
        (
            "POST",
            f"{ROUNDS}/{ids['round']}/applications",
            {"child": named_child("female"), "programme": "spring_bud", "amount": "1"},
            {"admin", "admin_b"},
        ),
        ("GET", f"{ROUNDS}/{ids['round']}/applications", None, READERS),
        ("GET", app_url, None, READERS),
        ("POST", f"{app_url}/approve", {"amount": "1"}, {"admin", "leader", "admin_b"}),
        ("POST", f"{app_url}/reject", {"reason": "x"}, {"admin", "leader", "admin_b"}),
        ("POST", f"{app_url}/disburse", None, {"admin", "admin_b"}),
        (
            "POST",
            "/api/v1/holiday-gifts",
            {"occasion": "childrens_day", "year": 2026, "item": "书", "value": "5"},
            {"admin", "admin_b"},
        ),
        ("GET", "/api/v1/holiday-gifts", None, AREA),
        (
            "POST",
            f"/api/v1/holiday-gifts/{ids['gift']}/delivery",
            {"delivered_on": "2026-06-01"},
            FIELD,
        ),
        ("GET", "/api/v1/activities", None, AREA),
        ("GET", "/api/v1/activities/children-without", None, AREA),
    ]


async def test_every_route_for_every_role_and_agency(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    ids = await _setup(client, auth, session, settings)
    callers: dict[str, dict[str, str]] = {user: auth(user) for user in USERS}
    for agency in AGENCY_CLIENTS:
        # every scope but programmes:read: the federation with it is the "fed" caller
        scopes = [s for s in ALL_SCOPES if s != "programmes:read"]
        callers[f"agency:{agency}"] = auth(agency=agency, scopes=scopes)
    callers["fed"] = await fed_headers(session, auth)
    wrong = []
    for method, path, body, allowed in _routes(ids):
        for who, headers in callers.items():
            r = await client.request(method, path, json=body, headers=headers)
            refused = r.status_code == 403 and r.json().get("code") == "forbidden"
            if (who in allowed) == refused or r.status_code in (401, 500):
                wrong.append((method, path, who, r.status_code, r.text[:120]))
            names_a_row = ids["round"] in path or ids["gift"] in path
            if who in B_AREA and who in allowed and names_a_row and r.status_code != 404:
                wrong.append((method, path, who, r.status_code, r.text[:120]))
    assert wrong == []


async def test_activity_writers_and_jurisdiction(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    """POST /activities: the venue's director, the town's supervisor and district admins; a
    village outside one's area is refused naming `village_code`; everyone else 403."""
    for who in sorted(USERS):
        body = {
            "id": str(uuid.uuid4()),
            "village_code": VILLAGE1,
            "held_on": "2026-06-01",
            "kind": "reading",
            "title": "读书会",
            "others": 3,
        }
        r = await client.post("/api/v1/activities", json=body, headers=auth(who))
        if who in ("admin", "sup1", "dir1"):
            assert r.status_code == 201, (who, r.text)
        elif who in VENUE_WRITERS:
            assert r.status_code == 422, (who, r.text)
            assert r.json()["errors"][0]["field"] == "village_code"
        else:
            assert r.status_code == 403, (who, r.text)
    for agency in AGENCY_CLIENTS:
        r = await client.post("/api/v1/activities", json={}, headers=auth(agency=agency))
        assert r.status_code == 403


async def test_gift_delivery_outside_the_jurisdiction_is_a_404(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    ids = await _setup(client, auth, session, settings)
    url = f"/api/v1/holiday-gifts/{ids['gift']}/delivery"
    for who in ("institute", "sup2", "dir2", "dir3"):
        r = await client.post(url, json={"delivered_on": "2026-06-01"}, headers=auth(who))
        assert r.status_code == 404, who
    for who in ("dir1", "sup1", "admin"):  # the first confirms; the same again is a replay
        r = await client.post(url, json={"delivered_on": "2026-06-01"}, headers=auth(who))
        assert r.status_code == 200, who
