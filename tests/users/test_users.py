"""Staff accounts: POST/GET/PATCH /api/v1/users, deactivation, idempotent creation."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db import create_sessionmaker
from app.models import User
from tests.conftest import (
    DISTRICT,
    PASSWORD,
    TOWN1,
    TOWN2,
    VILLAGE1,
    VILLAGE3,
    AuthHeaders,
    Base,
)
from tests.users.factories import insert_user, unique_username, user_body

USERS = "/api/v1/users"
TOKEN = "/api/v1/auth/token"
PROBLEM = "application/problem+json"


async def user_count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(User))).scalar_one())


async def users_named(session: AsyncSession, username: str) -> list[User]:
    stmt = select(User).where(User.username == username).execution_options(populate_existing=True)
    return list((await session.execute(stmt)).scalars())


def fields(r: httpx.Response) -> list[str]:
    assert r.headers["content-type"].startswith(PROBLEM), r.text
    return [e["field"] for e in r.json().get("errors", [])]


async def create(client: httpx.AsyncClient, auth: AuthHeaders, **kw: Any) -> dict[str, Any]:
    r = await client.post(USERS, json=user_body(**kw), headers=auth("admin"))
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def existing(session: AsyncSession, **kw: Any) -> dict[str, Any]:
    user = await insert_user(session, **kw)
    return {"id": str(user.id), "username": user.username}


async def login(client: httpx.AsyncClient, username: str) -> dict[str, Any]:
    r = await client.post(
        TOKEN, data={"grant_type": "password", "username": username, "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


# -- create ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "area"),
    [
        ("district_admin", DISTRICT),
        ("district_leader", DISTRICT),
        ("auditor", DISTRICT),
        ("institution_staff", DISTRICT),
        ("town_supervisor", TOWN1),
        ("village_director", VILLAGE3),
        ("protection_staff", DISTRICT),
    ],
)
async def test_create_each_role_on_its_level(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, role: str, area: str
) -> None:
    body = user_body(role=role, area_code=area)
    r = await client.post(USERS, json=body, headers=auth("admin"))
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["username"] == body["username"]
    assert out["role"] == role
    assert out["area_code"] == area
    assert out["full_name"] == "王测试"
    assert out["phone"] == "010-69000000"
    assert out["is_active"] is True
    assert out["version"] == 1
    assert "password" not in out
    assert "password_hash" not in out
    assert r.headers["etag"] == '"1"'
    (stored,) = await users_named(session, body["username"])
    assert str(stored.id) == out["id"]
    assert stored.password_hash != PASSWORD
    assert stored.password_hash.startswith("$argon2")


async def test_created_user_can_log_in(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    out = await create(client, auth, role="town_supervisor", area_code=TOWN2)
    tokens = await login(client, out["username"])
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["role"] == "town_supervisor"
    assert me.json()["area_code"] == TOWN2


@pytest.mark.parametrize(
    ("role", "area"),
    [
        ("village_director", TOWN1),
        ("village_director", DISTRICT),
        ("town_supervisor", VILLAGE1),
        ("town_supervisor", DISTRICT),
        ("district_admin", TOWN1),
        ("auditor", VILLAGE1),
    ],
)
async def test_role_on_wrong_area_level_is_422(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, role: str, area: str
) -> None:
    before = await user_count(session)
    r = await client.post(USERS, json=user_body(role=role, area_code=area), headers=auth("admin"))
    assert r.status_code == 422
    assert fields(r) == ["area_code"]
    assert await user_count(session) == before


async def test_unknown_area_is_422(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    before = await user_count(session)
    r = await client.post(
        USERS, json=user_body(area_code="110115999999"), headers=auth("admin", lang="en")
    )
    assert r.status_code == 422
    assert fields(r) == ["area_code"]
    assert r.json()["errors"][0]["message"] == "Unknown area"
    assert await user_count(session) == before


async def test_duplicate_username_is_409(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    before = await user_count(session)
    r = await client.post(USERS, json=user_body(username="dir1"), headers=auth("admin"))
    assert r.status_code == 409
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["field"] == "username"
    assert await user_count(session) == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "short"}, "password"),
        ({"username": "ab"}, "username"),
        ({"username": "有中文"}, "username"),
        ({"role": "superuser"}, "role"),
        ({"full_name": ""}, "full_name"),
        ({"phone": "call me"}, "phone"),
        ({"area_code": 110115001001}, "area_code"),
        ({"nickname": "x"}, "nickname"),
    ],
)
async def test_bad_fields_are_422_naming_them(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    overrides: dict[str, Any],
    field: str,
) -> None:
    before = await user_count(session)
    r = await client.post(USERS, json=user_body(**overrides), headers=auth("admin"))
    assert r.status_code == 422
    assert fields(r) == [field]
    assert await user_count(session) == before


async def test_missing_fields_are_each_named(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.post(USERS, json={"username": unique_username()}, headers=auth("admin"))
    assert r.status_code == 422
    assert sorted(fields(r)) == ["area_code", "full_name", "password", "role"]


async def test_malformed_json_is_400(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.post(
        USERS,
        content=b'{"username": ',
        headers=auth("admin") | {"Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize("who", ["leader", "auditor", "institute", "sup1", "dir1"])
async def test_create_by_other_roles_is_403(
    client: httpx.AsyncClient, auth: AuthHeaders, who: str
) -> None:
    r = await client.post(USERS, json=user_body(), headers=auth(who))
    assert r.status_code == 403


async def test_create_by_agency_is_403_and_without_token_401(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.post(USERS, json=user_body(), headers=auth(agency="health"))
    assert r.status_code == 403
    r = await client.post(USERS, json=user_body())
    assert r.status_code == 401


# -- idempotency ----------------------------------------------------------------------------------


async def test_same_key_and_body_replays_the_answer(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    body = user_body()
    headers = auth("admin") | {"Idempotency-Key": "create-" + uuid.uuid4().hex}
    first = await client.post(USERS, json=body, headers=headers)
    assert first.status_code == 201
    again = await client.post(USERS, json=body, headers=headers)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert len(await users_named(session, body["username"])) == 1


async def test_same_key_other_body_is_409(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    body = user_body()
    headers = auth("admin") | {"Idempotency-Key": "create-" + uuid.uuid4().hex}
    assert (await client.post(USERS, json=body, headers=headers)).status_code == 201
    other = body | {"full_name": "李另一个"}
    r = await client.post(USERS, json=other, headers=headers)
    assert r.status_code == 409
    assert r.headers["content-type"].startswith(PROBLEM)
    (stored,) = await users_named(session, body["username"])
    assert stored.full_name == "王测试"


async def test_same_key_other_password_is_409(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    body = user_body()
    headers = auth("admin") | {"Idempotency-Key": "create-" + uuid.uuid4().hex}
    assert (await client.post(USERS, json=body, headers=headers)).status_code == 201
    r = await client.post(USERS, json=body | {"password": "Another-Pass-999"}, headers=headers)
    assert r.status_code == 409


async def test_failed_creation_does_not_burn_the_key(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    headers = auth("admin") | {"Idempotency-Key": "create-" + uuid.uuid4().hex}
    bad = user_body(role="village_director", area_code=TOWN1)
    assert (await client.post(USERS, json=bad, headers=headers)).status_code == 422
    good = user_body()
    r = await client.post(USERS, json=good, headers=headers)
    assert r.status_code == 201, r.text


async def test_twenty_concurrent_creations_make_one_user(
    committed_client: httpx.AsyncClient, auth: AuthHeaders, committed_engine: AsyncEngine
) -> None:
    body = user_body(username=unique_username("concurrent"))
    headers = auth("admin") | {"Idempotency-Key": "concurrent-" + uuid.uuid4().hex}
    answers = await asyncio.gather(
        *(committed_client.post(USERS, json=body, headers=headers) for _ in range(20))
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 19 + [201], [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    async with create_sessionmaker(committed_engine)() as session:
        stored = await users_named(session, body["username"])
    assert len(stored) == 1
    assert str(stored[0].id) == answers[0].json()["id"]


# -- list and get ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "leader", "auditor"])
async def test_list_readers(client: httpx.AsyncClient, auth: AuthHeaders, who: str) -> None:
    r = await client.get(USERS, params={"limit": 500}, headers=auth(who))
    assert r.status_code == 200
    names = {u["username"] for u in r.json()["items"]}
    assert {"admin", "sup1", "dir3"} <= names


@pytest.mark.parametrize("who", ["dir1", "sup1", "institute"])
async def test_list_by_other_roles_is_403(
    client: httpx.AsyncClient, auth: AuthHeaders, who: str
) -> None:
    r = await client.get(USERS, headers=auth(who))
    assert r.status_code == 403
    assert r.headers["content-type"].startswith(PROBLEM)


async def test_list_by_agency_is_403_and_without_token_401(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    assert (await client.get(USERS, headers=auth(agency="police"))).status_code == 403
    assert (await client.get(USERS)).status_code == 401


async def test_list_filters(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    r = await client.get(USERS, params={"role": "town_supervisor"}, headers=auth("admin"))
    items = r.json()["items"]
    assert {u["role"] for u in items} == {"town_supervisor"}
    assert {"sup1", "sup2"} <= {u["username"] for u in items}

    r = await client.get(USERS, params={"area_code": VILLAGE3}, headers=auth("admin"))
    assert "dir3" in {u["username"] for u in r.json()["items"]}
    assert {u["area_code"] for u in r.json()["items"]} == {VILLAGE3}

    gone = await existing(session, area_code=VILLAGE3)
    d = await client.post(f"{USERS}/{gone['id']}/deactivate", headers=auth("admin"))
    assert d.status_code == 200
    r = await client.get(
        USERS, params={"area_code": VILLAGE3, "active": "false"}, headers=auth("admin")
    )
    assert [u["username"] for u in r.json()["items"]] == [gone["username"]]
    r = await client.get(
        USERS, params={"area_code": VILLAGE3, "active": "true"}, headers=auth("admin")
    )
    names = [u["username"] for u in r.json()["items"]]
    assert "dir3" in names
    assert gone["username"] not in names


async def test_list_bad_filter_is_422(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.get(USERS, params={"role": "king"}, headers=auth("admin"))
    assert r.status_code == 422
    assert fields(r) == ["role"]
    r = await client.get(USERS, params={"active": "perhaps"}, headers=auth("admin"))
    assert fields(r) == ["active"]


async def test_list_pages_of_two(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    full = await client.get(USERS, params={"limit": 500}, headers=auth("admin"))
    everything = [u["id"] for u in full.json()["items"]]
    walked: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        r = await client.get(USERS, params=params, headers=auth("admin"))
        assert r.status_code == 200
        walked += [u["id"] for u in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert walked == everything
    assert len(set(walked)) == len(walked)


async def test_get_one_with_etag(client: httpx.AsyncClient, auth: AuthHeaders, base: Base) -> None:
    r = await client.get(f"{USERS}/{base.users['sup1']}", headers=auth("auditor"))
    assert r.status_code == 200
    assert r.json()["username"] == "sup1"
    assert r.json()["area_code"] == TOWN1
    assert r.headers["etag"] == f'"{r.json()["version"]}"'


async def test_get_unknown_or_malformed_id_is_404(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.get(f"{USERS}/{uuid.uuid4()}", headers=auth("admin"))
    assert r.status_code == 404
    assert r.headers["content-type"].startswith(PROBLEM)
    r = await client.get(f"{USERS}/not-a-uuid", headers=auth("admin"))
    assert r.status_code == 404
    assert r.headers["content-type"].startswith(PROBLEM)


async def test_get_one_by_director_is_403(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base
) -> None:
    r = await client.get(f"{USERS}/{base.users['dir1']}", headers=auth("dir1"))
    assert r.status_code == 403


# -- PATCH ----------------------------------------------------------------------------------------


async def test_patch_needs_if_match(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    out = await existing(session)
    url = f"{USERS}/{out['id']}"
    r = await client.patch(url, json={"full_name": "赵改名"}, headers=auth("admin"))
    assert r.status_code == 428
    assert r.headers["content-type"].startswith(PROBLEM)
    r = await client.patch(
        url, json={"full_name": "赵改名"}, headers=auth("admin") | {"If-Match": '"7"'}
    )
    assert r.status_code == 412
    assert r.json()["current_etag"] == '"1"'
    (stored,) = await users_named(session, out["username"])
    assert stored.full_name == "王测试"

    etag = (await client.get(url, headers=auth("admin"))).headers["etag"]
    r = await client.patch(
        url, json={"full_name": "赵改名"}, headers=auth("admin") | {"If-Match": etag}
    )
    assert r.status_code == 200, r.text
    assert r.json()["full_name"] == "赵改名"
    assert r.json()["version"] == 2
    assert r.headers["etag"] == '"2"'
    assert r.headers["etag"] != etag
    # the old ETag is now stale
    r = await client.patch(
        url, json={"phone": "13800000000"}, headers=auth("admin") | {"If-Match": etag}
    )
    assert r.status_code == 412
    (stored,) = await users_named(session, out["username"])
    assert stored.full_name == "赵改名"
    assert stored.phone == "010-69000000"


async def test_patch_role_and_area_together(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    out = await existing(session)
    url = f"{USERS}/{out['id']}"
    # a director promoted to supervisor without moving to a town: refused
    r = await client.patch(
        url, json={"role": "town_supervisor"}, headers=auth("admin") | {"If-Match": '"1"'}
    )
    assert r.status_code == 422
    assert fields(r) == ["area_code"]
    # moving a director onto a town: refused
    r = await client.patch(
        url, json={"area_code": TOWN1}, headers=auth("admin") | {"If-Match": '"1"'}
    )
    assert r.status_code == 422
    assert fields(r) == ["area_code"]
    (stored,) = await users_named(session, out["username"])
    assert (stored.role, stored.area_code, stored.version) == ("village_director", VILLAGE1, 1)
    # both together: fine
    r = await client.patch(
        url,
        json={"role": "town_supervisor", "area_code": TOWN2},
        headers=auth("admin") | {"If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["role"], r.json()["area_code"]) == ("town_supervisor", TOWN2)
    # to another village, for a director: fine
    back = await client.patch(
        url,
        json={"role": "village_director", "area_code": VILLAGE3},
        headers=auth("admin") | {"If-Match": r.headers["etag"]},
    )
    assert back.status_code == 200
    assert back.json()["area_code"] == VILLAGE3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"nickname": "x"}, "nickname"),
        ({"role": "king"}, "role"),
        ({"password": "short"}, "password"),
        ({"full_name": None}, "full_name"),
        ({"role": None}, "role"),
        ({"area_code": None}, "area_code"),
        ({"password": None}, "password"),
    ],
)
async def test_patch_bad_body_is_422(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    body: dict[str, Any],
    field: str,
) -> None:
    out = await existing(session)
    r = await client.patch(
        f"{USERS}/{out['id']}", json=body, headers=auth("admin") | {"If-Match": '"1"'}
    )
    assert r.status_code == 422, r.text
    assert fields(r) == [field]
    (stored,) = await users_named(session, out["username"])
    assert stored.version == 1


async def test_patch_phone_to_null_clears_it(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    out = await existing(session)
    r = await client.patch(
        f"{USERS}/{out['id']}", json={"phone": None}, headers=auth("admin") | {"If-Match": '"1"'}
    )
    assert r.status_code == 200, r.text
    assert r.json()["phone"] is None


async def test_patch_password_changes_login(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    out = await existing(session)
    old = await login(client, out["username"])
    r = await client.patch(
        f"{USERS}/{out['id']}",
        json={"password": "New-Pass-67890"},
        headers=auth("admin") | {"If-Match": '"1"'},
    )
    assert r.status_code == 200
    r = await client.post(
        TOKEN,
        data={"grant_type": "password", "username": out["username"], "password": PASSWORD},
    )
    assert r.status_code == 400
    r = await client.post(
        TOKEN,
        data={"grant_type": "password", "username": out["username"], "password": "New-Pass-67890"},
    )
    assert r.status_code == 200
    # the refresh token issued before the change no longer works
    r = await client.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": old["refresh_token"]}
    )
    assert r.status_code in (400, 401)


async def test_patch_by_leader_is_403_and_unknown_404(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base
) -> None:
    r = await client.patch(
        f"{USERS}/{base.users['dir1']}",
        json={"full_name": "x"},
        headers=auth("leader") | {"If-Match": '"1"'},
    )
    assert r.status_code == 403
    r = await client.patch(
        f"{USERS}/{uuid.uuid4()}",
        json={"full_name": "x"},
        headers=auth("admin") | {"If-Match": '"1"'},
    )
    assert r.status_code == 404


# -- deactivate -----------------------------------------------------------------------------------


async def test_deactivate_locks_the_account_out(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    out = await existing(session)
    tokens = await login(client, out["username"])
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.get("/api/v1/auth/me", headers=bearer)).status_code == 200

    r = await client.post(f"{USERS}/{out['id']}/deactivate", headers=auth("admin"))
    assert r.status_code == 200
    assert r.json()["is_active"] is False
    (stored,) = await users_named(session, out["username"])
    assert stored.is_active is False

    me = await client.get("/api/v1/auth/me", headers=bearer)
    assert me.status_code == 401
    assert me.headers["content-type"].startswith(PROBLEM)
    refresh = await client.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code in (400, 401)
    assert "access_token" not in refresh.json()
    again = await client.post(
        TOKEN,
        data={"grant_type": "password", "username": out["username"], "password": PASSWORD},
    )
    assert again.status_code in (400, 401)
    assert "access_token" not in again.json()
    # deactivating twice is harmless
    r = await client.post(f"{USERS}/{out['id']}/deactivate", headers=auth("admin"))
    assert r.status_code == 200
    assert r.json()["is_active"] is False


async def test_admin_cannot_deactivate_self(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base, session: AsyncSession
) -> None:
    r = await client.post(f"{USERS}/{base.users['admin']}/deactivate", headers=auth("admin"))
    assert r.status_code == 409
    assert r.headers["content-type"].startswith(PROBLEM)
    (stored,) = await users_named(session, "admin")
    assert stored.is_active is True


async def test_deactivate_by_others_is_403_and_unknown_404(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base, session: AsyncSession
) -> None:
    for who in ("leader", "auditor", "sup1"):
        r = await client.post(f"{USERS}/{base.users['dir1']}/deactivate", headers=auth(who))
        assert r.status_code == 403
    (stored,) = await users_named(session, "dir1")
    assert stored.is_active is True
    r = await client.post(f"{USERS}/{uuid.uuid4()}/deactivate", headers=auth("admin"))
    assert r.status_code == 404
