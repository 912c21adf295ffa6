"""A city's accounts: the city admin manages every district's accounts and agency clients; a
district admin only its own district's (another district's are a 404 and out of its lists);
the city viewer reads no one's account."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AgencyClient
from tests.conftest import (
    CITY,
    DISTRICT,
    DISTRICT_B,
    TOWN1,
    TOWN_B,
    VILLAGE1,
    VILLAGE_B,
    AuthHeaders,
    Base,
)
from tests.users.factories import client_body, insert_user, user_body

USERS = "/api/v1/users"
CLIENTS = "/api/v1/agency-clients"


async def listed(client: httpx.AsyncClient, headers: dict[str, str], url: str) -> set[str]:
    seen: set[str] = set()
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 200}
        if cursor:
            params["cursor"] = cursor
        r = await client.get(url, params=params, headers=headers)
        assert r.status_code == 200, r.text
        seen |= {item["id"] for item in r.json()["items"]}
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return seen


async def test_city_admin_creates_a_district_admin_who_manages_that_district(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.post(
        USERS,
        json=user_body(role="district_admin", area_code=DISTRICT_B),
        headers=auth("city_admin"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["role"] == "district_admin"
    assert r.json()["area_code"] == DISTRICT_B
    # and a director in the other district, and the city's own viewer
    for role, area in (("village_director", VILLAGE1), ("city_viewer", CITY)):
        r = await client.post(
            USERS, json=user_body(role=role, area_code=area), headers=auth("city_admin")
        )
        assert r.status_code == 201, r.text


async def test_city_admin_lists_every_districts_accounts(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base
) -> None:
    seen = await listed(client, auth("city_admin"), USERS)
    assert {
        str(base.users[n]) for n in ("admin", "dir1", "admin_b", "dir_b", "city_viewer")
    } <= seen


async def test_a_district_admin_lists_its_own_district_only(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base
) -> None:
    ids = {name: str(uid) for name, uid in base.users.items()}
    mine = await listed(client, auth("admin_b"), USERS)
    assert {ids["admin_b"], ids["sup_b"], ids["dir_b"], ids["protect_b"]} <= mine
    assert not mine & {ids["admin"], ids["dir1"], ids["protect"], ids["city_admin"]}
    theirs = await listed(client, auth("auditor"), USERS)
    assert ids["dir1"] in theirs
    assert not theirs & {ids["admin_b"], ids["dir_b"], ids["city_viewer"]}


@pytest.mark.parametrize("who", ["admin_b", "sup_b", "city_viewer"])
async def test_another_districts_account_is_not_found_or_forbidden(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base, who: str
) -> None:
    r = await client.get(f"{USERS}/{base.users['dir1']}", headers=auth(who))
    assert r.status_code == (404 if who == "admin_b" else 403), r.text


async def test_a_district_admin_cannot_write_another_districts_account(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    victim = await insert_user(session, area_code=VILLAGE1)
    url = f"{USERS}/{victim.id}"
    r = await client.patch(
        url, json={"full_name": "改名"}, headers=auth("admin_b") | {"If-Match": '"1"'}
    )
    assert r.status_code == 404, r.text
    r = await client.post(f"{url}/deactivate", headers=auth("admin_b"))
    assert r.status_code == 404
    await session.refresh(victim)
    assert victim.full_name == "王测试"
    assert victim.is_active is True
    # the city admin may
    r = await client.post(f"{url}/deactivate", headers=auth("city_admin"))
    assert r.status_code == 200, r.text
    assert r.json()["is_active"] is False


async def test_a_district_admin_cannot_move_an_account_to_another_district(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    mine = await insert_user(session, area_code=VILLAGE_B)
    r = await client.patch(
        f"{USERS}/{mine.id}",
        json={"area_code": VILLAGE1},
        headers=auth("admin_b") | {"If-Match": '"1"'},
    )
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["area_code"]


@pytest.mark.parametrize(
    ("role", "area"),
    [("village_director", VILLAGE1), ("town_supervisor", TOWN1), ("district_admin", DISTRICT)],
)
async def test_a_district_admin_cannot_create_in_another_district(
    client: httpx.AsyncClient, auth: AuthHeaders, role: str, area: str
) -> None:
    body = user_body(role=role, area_code=area)
    r = await client.post(USERS, json=body, headers=auth("admin_b"))
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["area_code"]
    r = await client.post(
        USERS, json=user_body(role="town_supervisor", area_code=TOWN_B), headers=auth("admin_b")
    )
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("role", ["city_admin", "city_viewer"])
async def test_only_the_city_admin_creates_city_accounts(
    client: httpx.AsyncClient, auth: AuthHeaders, role: str
) -> None:
    r = await client.post(USERS, json=user_body(role=role, area_code=CITY), headers=auth("admin"))
    assert r.status_code == 403, r.text
    r = await client.post(
        USERS, json=user_body(role=role, area_code=DISTRICT), headers=auth("city_admin")
    )
    assert r.status_code == 422  # a city role sits on the city


@pytest.mark.parametrize("who", ["city_viewer", "leader"])
async def test_the_city_viewer_and_a_leader_create_no_account(
    client: httpx.AsyncClient, auth: AuthHeaders, who: str
) -> None:
    r = await client.post(USERS, json=user_body(area_code=VILLAGE1), headers=auth(who))
    assert r.status_code == 403
    r = await client.get(USERS, headers=auth("city_viewer"))
    assert r.status_code == 403


# -- agency clients at two levels ------------------------------------------------------------------


async def test_a_district_admins_client_serves_its_district(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.post(CLIENTS, json=client_body(), headers=auth("admin_b"))
    assert r.status_code == 201, r.text
    assert r.json()["area_code"] == DISTRICT_B
    for area in (CITY, DISTRICT):
        r = await client.post(CLIENTS, json=client_body(area_code=area), headers=auth("admin_b"))
        assert r.status_code == 422, r.text


async def test_the_city_admin_makes_a_city_agency_and_district_agencies(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.post(CLIENTS, json=client_body(), headers=auth("city_admin"))
    assert r.status_code == 201, r.text
    assert r.json()["area_code"] == CITY
    r = await client.post(
        CLIENTS, json=client_body(area_code=DISTRICT_B), headers=auth("city_admin")
    )
    assert r.json()["area_code"] == DISTRICT_B
    r = await client.post(CLIENTS, json=client_body(area_code=TOWN1), headers=auth("city_admin"))
    assert r.status_code == 422


async def test_clients_are_listed_and_managed_per_district(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base, session: AsyncSession
) -> None:
    police = str(base.clients["police"])  # a client of DISTRICT
    assert police in await listed(client, auth("admin"), CLIENTS)
    assert police in await listed(client, auth("city_admin"), CLIENTS)
    assert police not in await listed(client, auth("admin_b"), CLIENTS)
    for action in ("rotate-secret", "deactivate"):
        r = await client.post(f"{CLIENTS}/{police}/{action}", headers=auth("admin_b"))
        assert r.status_code == 404, (action, r.text)
    row = await session.get(AgencyClient, base.clients["police"])
    assert row is not None
    assert row.is_active
