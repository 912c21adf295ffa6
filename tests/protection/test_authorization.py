"""Every route of the protection centre × every staff role and the agency clients: who gets 2xx,
who 403, who 404 (a record outside what they may reach)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import httpx
import pytest

from tests.conftest import AGENCY_CLIENTS, USERS, VILLAGE1, AuthHeaders
from tests.protection.conftest import PoliceHeaders
from tests.protection.factories import API, create, intake, post

CENTRE = {"institute", "protect"}
READERS = CENTRE | {"admin", "leader", "auditor"}
# A city's second district: its centre and offices work on their own district's register, where
# DISTRICT's intakes do not exist (404); the city's offices list intakes (none of them by
# default: CITY_RECORD_ROLES) and read none.
B_READERS = {"protect_b", "admin_b"}
CITY = {"city_admin", "city_viewer"}
HIDDEN_FROM_B = dict.fromkeys(B_READERS, 404)
SAFE: dict[str, object] = {"assessed_on": "2026-06-15", "conclusion": "safe_to_return"}

Call = Callable[[httpx.AsyncClient, AuthHeaders, dict[str, str]], Awaitable[httpx.Response]]


async def _new(client: httpx.AsyncClient, auth: AuthHeaders) -> str:
    return str((await create(client, auth))["id"])


async def _create(c: httpx.AsyncClient, a: AuthHeaders, h: dict[str, str]) -> httpx.Response:
    return await c.post(f"{API}/intakes", json=intake(), headers=h)


async def _list(c: httpx.AsyncClient, a: AuthHeaders, h: dict[str, str]) -> httpx.Response:
    return await c.get(f"{API}/intakes", headers=h)


async def _read(c: httpx.AsyncClient, a: AuthHeaders, h: dict[str, str]) -> httpx.Response:
    return await c.get(f"{API}/intakes/{await _new(c, a)}", headers=h)


async def _patch(c: httpx.AsyncClient, a: AuthHeaders, h: dict[str, str]) -> httpx.Response:
    url = f"{API}/intakes/{await _new(c, a)}"
    return await c.patch(url, json={"notes": "更新"}, headers=h | {"If-Match": "*"})


def _step(step: str, body: dict[str, object]) -> Call:
    async def call(c: httpx.AsyncClient, a: AuthHeaders, h: dict[str, str]) -> httpx.Response:
        return await c.post(f"{API}/intakes/{await _new(c, a)}/{step}", json=body, headers=h)

    return call


async def _occupancy(c: httpx.AsyncClient, a: AuthHeaders, h: dict[str, str]) -> httpx.Response:
    return await c.get(f"{API}/occupancy", headers=h)


async def _deadlines(c: httpx.AsyncClient, a: AuthHeaders, h: dict[str, str]) -> httpx.Response:
    return await c.get(f"{API}/deadlines", headers=h)


async def _follow_ups(c: httpx.AsyncClient, a: AuthHeaders, h: dict[str, str]) -> httpx.Response:
    return await c.get(f"{API}/follow-up-visits", headers=h)


async def _visit_done(c: httpx.AsyncClient, a: AuthHeaders, h: dict[str, str]) -> httpx.Response:
    iid = await _new(c, a)
    assert (await post(c, a, iid, "family-assessments", SAFE)).status_code == 201
    discharge = {
        "outcome": "returned_to_family",
        "discharged_on": "2026-06-15",
        "family_village_code": VILLAGE1,
    }
    assert (await post(c, a, iid, "discharge", discharge)).status_code == 200
    due = (await c.get(f"{API}/follow-up-visits", headers=a("admin"))).json()["items"]
    vid = next(v["id"] for v in due if v["intake_id"] == iid)
    return await c.post(
        f"{API}/follow-up-visits/{vid}/done", json={"visited_on": "2026-06-15"}, headers=h
    )


# route: (call, {user: expected status}; users not named get 403)
ROUTES: dict[str, tuple[Call, Mapping[str, int]]] = {
    "POST /intakes": (_create, dict.fromkeys(CENTRE | {"protect_b"}, 201)),
    "GET /intakes": (_list, dict.fromkeys(READERS | B_READERS | CITY, 200)),
    "GET /intakes/{id}": (
        _read,
        dict.fromkeys(READERS, 200) | HIDDEN_FROM_B | dict.fromkeys(CITY, 404),
    ),
    "PATCH /intakes/{id}": (_patch, dict.fromkeys(CENTRE, 200) | {"protect_b": 404}),
    "POST /intakes/{id}/tracing": (
        _step("tracing", {"method": "contact", "traced_on": "2026-06-15"}),
        dict.fromkeys(CENTRE, 201) | {"protect_b": 404},
    ),
    "POST /intakes/{id}/placements": (
        _step("placements", {"setting": "centre", "start_on": "2026-06-15"}),
        dict.fromkeys(CENTRE, 201) | {"protect_b": 404},
    ),
    "POST /intakes/{id}/family-assessments": (
        _step("family-assessments", SAFE),
        dict.fromkeys(CENTRE, 201) | {"protect_b": 404},
    ),
    "POST /intakes/{id}/discharge": (
        _step("discharge", {"outcome": "family_foster_care", "discharged_on": "2026-06-15"}),
        dict.fromkeys(CENTRE, 200) | {"protect_b": 404},
    ),
    "GET /occupancy": (_occupancy, dict.fromkeys(READERS | B_READERS, 200)),
    "GET /deadlines": (_deadlines, dict.fromkeys(READERS | B_READERS, 200)),
    "GET /follow-up-visits": (
        _follow_ups,
        dict.fromkeys(READERS | B_READERS | {"dir1", "dir2", "dir3", "dir_b"}, 200),
    ),
    "POST /follow-up-visits/{id}/done": (
        _visit_done,
        dict.fromkeys(CENTRE | {"dir1"}, 200)
        | {"dir2": 404, "dir3": 404, "dir_b": 404, "protect_b": 404},
    ),
}
# What the police with `protection:write` get (an intake not their own does not exist).
POLICE = {
    "POST /intakes": 201,
    "GET /intakes": 200,
    "GET /intakes/{id}": 404,
}


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("user", list(USERS))
async def test_every_route_for_every_role(
    client: httpx.AsyncClient, auth: AuthHeaders, route: str, user: str
) -> None:
    call, allowed = ROUTES[route]
    r = await call(client, auth, auth(user))
    assert r.status_code == allowed.get(user, 403), (route, user, r.text)


@pytest.mark.parametrize("route", list(ROUTES))
async def test_every_route_for_the_agencies(
    client: httpx.AsyncClient, auth: AuthHeaders, police: PoliceHeaders, route: str
) -> None:
    call, _ = ROUTES[route]
    r = await call(client, auth, police())
    assert r.status_code == POLICE.get(route, 403), (route, r.text)
    for agency in AGENCY_CLIENTS:  # every other scope, but not protection:write
        r = await call(client, auth, auth(agency=agency))
        assert r.status_code == 403, (route, agency, r.text)
