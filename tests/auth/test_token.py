"""POST /api/v1/auth/token: password, refresh_token and client_credentials grants."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.clock import FixedClock
from app.models import User
from tests.conftest import PASSWORD, AuthHeaders

TOKEN = "/api/v1/auth/token"


async def login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post(
        TOKEN, data={"grant_type": "password", "username": username, "password": password}
    )


async def test_password_grant_gives_working_tokens(client: httpx.AsyncClient) -> None:
    r = await login(client, "dir1")
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert body["refresh_token"]
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["role"] == "village_director"
    assert me.json()["area_code"] == "110115001001"


async def test_wrong_password_is_an_oauth_problem_in_chinese_and_english(
    client: httpx.AsyncClient,
) -> None:
    r = await login(client, "dir1", "wrong-password")
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["error"] == "invalid_grant"
    assert r.json()["detail"] == "用户名或密码错误"
    r = await client.post(
        TOKEN,
        data={"grant_type": "password", "username": "nobody", "password": "x"},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 400
    assert r.json()["detail"] == "Wrong username or password"


async def test_repeated_failures_lock_the_account(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock
) -> None:
    for _ in range(4):
        assert (await login(client, "dir2", "bad-password")).status_code == 400
    r = await login(client, "dir2", "bad-password")
    assert r.status_code == 400
    # locked now: even the right password is refused, with Retry-After
    r = await login(client, "dir2")
    assert r.status_code == 429
    assert r.json()["error"] == "account_locked"
    assert int(r.headers["Retry-After"]) > 0
    user = (await session.execute(select(User).where(User.username == "dir2"))).scalar_one()
    assert user.locked_until is not None
    clock.set(clock.now() + timedelta(minutes=16))
    assert (await login(client, "dir2")).status_code == 200


async def test_refresh_rotates_and_reuse_revokes_the_family(client: httpx.AsyncClient) -> None:
    first = (await login(client, "sup1")).json()["refresh_token"]
    r = await client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": first})
    assert r.status_code == 200
    second = r.json()["refresh_token"]
    assert second != first
    # replaying the used token is theft: refused, and the whole family dies
    r = await client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": first})
    assert r.status_code == 400
    r = await client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": second})
    assert r.status_code == 400


async def test_revoked_refresh_token_is_refused(client: httpx.AsyncClient) -> None:
    token = (await login(client, "sup2")).json()["refresh_token"]
    assert (await client.post("/api/v1/auth/revoke", data={"token": token})).status_code == 200
    r = await client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": token})
    assert r.status_code == 400


async def test_expired_access_token_is_401(
    client: httpx.AsyncClient, auth: AuthHeaders, clock: FixedClock
) -> None:
    headers = auth("admin")
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    clock.set(clock.now() + timedelta(minutes=16))
    r = await client.get("/api/v1/auth/me", headers=headers)
    assert r.status_code == 401
    assert r.json()["detail"] == "令牌已过期，请重新登录"
    assert r.headers["WWW-Authenticate"] == "Bearer"


async def test_forged_token_is_401(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    token = auth("admin")["Authorization"].removeprefix("Bearer ")
    head, payload, sig = token.split(".")
    forged = f"{head}.{payload}.{sig[:-4]}AAAA"
    r = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401


async def test_client_credentials_grant_and_scopes(client: httpx.AsyncClient) -> None:
    r = await client.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": "test-police",
            "client_secret": "test-police-secret",
            "scope": "referrals:read",
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert body["scope"] == "referrals:read"
    assert body.get("refresh_token") is None
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json() | {"id": None} == {
        "kind": "agency",
        "id": None,
        "name": "测试police",
        "role": None,
        "area_code": None,
        "agency": "police",
        "scopes": ["referrals:read"],
    }


async def test_client_credentials_by_http_basic(client: httpx.AsyncClient) -> None:
    r = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        auth=("test-health", "test-health-secret"),
    )
    assert r.status_code == 200
    assert set(r.json()["scope"].split()) == {
        "children:read",
        "referrals:read",
        "referrals:write",
        "screening:read",
    }


async def test_client_credentials_refusals(client: httpx.AsyncClient) -> None:
    r = await client.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": "test-police",
            "client_secret": "wrong",
        },
    )
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    r = await client.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": "test-police",
            "client_secret": "test-police-secret",
            "scope": "referrals:read admin:everything",
        },
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_scope"


async def test_token_endpoint_bad_input(client: httpx.AsyncClient) -> None:
    r = await client.post(TOKEN, data={"grant_type": "implicit"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "grant_type"
    r = await client.post(TOKEN, data={"grant_type": "password", "username": "admin"})
    assert r.status_code == 400
    assert r.json()["errors"] == [{"field": "password", "message": "缺少必填字段"}]
    r = await client.post(TOKEN, json={"grant_type": "password"})
    assert r.status_code == 422
