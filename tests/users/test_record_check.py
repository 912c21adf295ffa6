"""The art. 62 record check on staff accounts: required for contracted roles (counsellors), shown
with its standing, renewed by PATCH; a counsellor whose check lapses cannot hold sessions."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.conftest import DISTRICT, AuthHeaders
from tests.institution.factories import SESSIONS, counselling, resident
from tests.users.factories import user_body

USERS = "/api/v1/users"
CHECK = {"queried_on": "2026-02-01", "result": "clear", "reference": "京公查-2026-0201"}


def counsellor(**overrides: Any) -> dict[str, Any]:
    return user_body(role="counsellor", area_code=DISTRICT, record_check=dict(CHECK)) | overrides


def _fields(r: httpx.Response) -> list[str]:
    return [e["field"] for e in r.json().get("errors", [])]


async def test_a_counsellor_is_created_with_the_check_and_shows_its_standing(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.post(USERS, json=counsellor(), headers=auth("admin"))
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["role"] == "counsellor"
    assert out["record_check"] == CHECK
    assert out["record_check_standing"] == {"ok": True, "reason": None, "valid_until": "2027-02-01"}
    r = await client.get(f"{USERS}/{out['id']}", headers=auth("auditor"))
    assert r.json()["record_check"] == CHECK
    # other roles carry none unless given
    r = await client.post(USERS, json=user_body(), headers=auth("admin"))
    assert r.json()["record_check"] is None
    assert r.json()["record_check_standing"] is None


async def test_the_check_is_required_for_contracted_roles(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    body = counsellor()
    del body["record_check"]
    r = await client.post(USERS, json=body, headers=auth("admin"))
    assert r.status_code == 422
    assert _fields(r) == ["record_check"]
    future = counsellor(record_check=CHECK | {"queried_on": "2026-06-16"})
    r = await client.post(USERS, json=future, headers=auth("admin"))
    assert r.status_code == 422
    assert _fields(r) == ["record_check.queried_on"]
    bad = counsellor(record_check=CHECK | {"result": "unknown"})
    r = await client.post(USERS, json=bad, headers=auth("admin"))
    assert r.status_code == 422
    assert "record_check.result" in _fields(r)


async def test_a_lapsed_check_is_shown_and_refuses_sessions_until_renewed(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    old = counsellor(record_check=CHECK | {"queried_on": "2025-05-01"})
    r = await client.post(USERS, json=old, headers=auth("admin"))
    assert r.status_code == 201, r.text
    user = r.json()
    assert user["record_check_standing"]["reason"] == "expired"
    child = await resident(session, settings)
    body = counselling(user["id"], [child.id])
    r = await client.post(SESSIONS, json=body, headers=auth("admin"))
    assert r.status_code == 409
    assert r.json()["reason"] == "expired"
    renewed = {"record_check": CHECK | {"queried_on": "2026-06-01"}}
    r = await client.patch(
        f"{USERS}/{user['id']}", json=renewed, headers=auth("admin") | {"If-Match": '"1"'}
    )
    assert r.status_code == 200, r.text
    assert r.json()["record_check_standing"]["ok"] is True
    r = await client.post(SESSIONS, json=body, headers=auth("admin"))
    assert r.status_code == 201, r.text


async def test_the_check_cannot_be_cleared(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.post(USERS, json=counsellor(), headers=auth("admin"))
    r = await client.patch(
        f"{USERS}/{r.json()['id']}",
        json={"record_check": None},
        headers=auth("admin") | {"If-Match": '"1"'},
    )
    assert r.status_code == 422
    assert _fields(r) == ["record_check"]
