"""The Role enum names every staff role the accounts table allows; a route guarded with it
answers as one guarded with the strings did."""

from __future__ import annotations

from typing import get_args

import httpx

from app.auth import roles
from app.auth.roles import Role
from app.models.accounts import STAFF_ROLES
from tests.conftest import AuthHeaders


def test_every_staff_role_once() -> None:
    assert set(Role) == set(STAFF_ROLES)
    assert set(get_args(roles.RoleName)) == set(STAFF_ROLES)
    assert tuple(Role) == roles.ALL_STAFF
    assert str(Role.DISTRICT_ADMIN) == "district_admin"
    assert "district_admin" in roles.DISTRICT_ROLES
    for group in (
        roles.DISTRICT,
        roles.DISTRICT_AND_INSTITUTE,
        roles.DISTRICT_AND_TOWNS,
        roles.FIELD_WORKERS,
        roles.DECIDERS,
        roles.CASE_WRITERS,
        roles.AUDIT_READERS,
        roles.AREA_OFFICERS,
    ):
        assert len(set(group)) == len(group)
        assert set(group) <= set(Role)


async def test_a_route_guarded_by_the_enum_names_the_roles_as_strings(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    # POST /users admits the district admin and the city admin (the districts' accounts)
    r = await client.post("/api/v1/users", json={}, headers=auth("dir1"))
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    assert r.json()["allowed_roles"] == ["district_admin", "city_admin"]
    # GET /users admits the district's offices (require_roles(*DISTRICT)) and the city admin
    r = await client.get("/api/v1/users", headers=auth("dir1"))
    assert r.status_code == 403
    assert r.json()["allowed_roles"] == [
        "district_admin",
        "district_leader",
        "auditor",
        "city_admin",
    ]
    assert (await client.get("/api/v1/users", headers=auth("admin"))).status_code == 200
