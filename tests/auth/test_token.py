"""POST /api/v1/auth/token: password, refresh_token and client_credentials grants."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.kit.clock import FixedClock
from app.main import create_app
from app.models import User
from tests.conftest import PASSWORD, AuthHeaders, make_settings
from tests.users.factories import insert_user

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


def _from(app: FastAPI, address: str) -> httpx.AsyncClient:
    """A client of `app` connecting from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def _answer(r: httpx.Response) -> tuple[int, str, str, str, str | None]:
    body = r.json()
    return r.status_code, body["code"], body["title"], body["detail"], r.headers.get("retry-after")


async def test_failures_delay_the_pair_not_the_account(
    app: FastAPI, clock: FixedClock, session: AsyncSession
) -> None:
    """Wrong passwords for `admin` from one address slow that address down, more with each
    failure; the admin, from their own address, logs in as usual: nobody can lock anyone."""
    async with _from(app, "198.51.100.7") as attacker, _from(app, "192.0.2.10") as owner:
        for _ in range(3):  # the free tries
            assert (await login(attacker, "admin", "guess")).status_code == 400
        waits = []
        for _ in range(4):
            r = await login(attacker, "admin", "guess")
            assert r.status_code == 400  # a failure, which sets the next wait
            r = await login(attacker, "admin")  # even the right password must wait
            assert r.status_code == 429
            assert r.json()["error"] == "too_many_attempts"
            waits.append(int(r.headers["Retry-After"]))
            clock.set(clock.now() + timedelta(seconds=waits[-1]))
        assert waits == [1, 2, 4, 8]  # growing delays
        assert (await login(owner, "admin")).status_code == 200
        # Nothing is written on the account: no lock for anyone.
        user = (await session.execute(select(User).where(User.username == "admin"))).scalar_one()
        assert user.locked_until is None
        # The pair's success clears it.
        assert (await login(attacker, "admin")).status_code == 200
        for _ in range(3):
            assert (await login(attacker, "admin", "guess")).status_code == 400


async def test_unknown_names_are_delayed_alike(app: FastAPI) -> None:
    """The pair is limited before the name is looked up: an unknown name is answered exactly
    as a real one, at every step (no enumeration by the 429)."""
    async with _from(app, "198.51.100.8") as c:
        real = [_answer(await login(c, "sup1", "guess")) for _ in range(6)]
        unknown = [_answer(await login(c, "no-such-user", "guess")) for _ in range(6)]
    assert real == unknown
    assert [a[0] for a in real] == [400, 400, 400, 400, 429, 429]


async def test_every_login_failure_answers_the_same(app: FastAPI, session: AsyncSession) -> None:
    """Unknown user, wrong password, deactivated account with the right or a wrong password:
    one status, code and message (in either language)."""
    gone = await insert_user(session, username="gone-user")
    gone.is_active = False
    await session.flush()
    for lang in ("zh-CN", "en"):
        answers = set()
        for i, (username, password) in enumerate(
            [
                ("no-such-user", PASSWORD),
                ("dir3", "wrong-password"),
                ("gone-user", PASSWORD),
                ("gone-user", "wrong-password"),
            ]
        ):
            async with _from(app, f"203.0.113.{i + (10 if lang == 'en' else 20)}") as c:
                r = await c.post(
                    TOKEN,
                    data={"grant_type": "password", "username": username, "password": password},
                    headers={"Accept-Language": lang},
                )
            answers.add((_answer(r), r.json()["error"]))
        assert len(answers) == 1, answers
        ((status, code, _title, detail, _), error) = answers.pop()
        assert (status, code, error) == (400, "invalid_grant", "invalid_grant")
        assert detail in ("用户名或密码错误", "Wrong username or password")


async def test_forwarded_for_is_believed_only_from_trusted_proxies(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    database_url: str,
) -> None:
    """X-Forwarded-For from an untrusted peer changes nothing (the peer's own bucket);
    from the ingress named in TRUSTED_PROXIES it names the client."""

    async def run(**overrides: Any) -> list[int]:
        settings = make_settings(
            database_url, rate_limit_token_burst=2, rate_limit_token_per_minute=1, **overrides
        )
        application = create_app(settings, engine=engine, sessionmaker=sessionmaker, clock=clock)
        codes = []
        async with (
            application.router.lifespan_context(application),
            _from(application, "10.0.0.5") as c,
        ):
            for i in range(5):
                r = await c.post(
                    TOKEN,
                    data={"grant_type": "password", "username": "x", "password": "y"},
                    headers={"X-Forwarded-For": f"198.51.100.{i + 1}"},
                )
                codes.append(r.status_code)
        return codes

    assert await run() == [400, 400, 429, 429, 429]  # default: nobody trusted
    assert await run(trusted_proxies="127.0.0.1") == [400, 400, 429, 429, 429]
    assert await run(trusted_proxies="10.0.0.0/24") == [400] * 5  # each client its bucket


def test_trusted_proxies_must_be_addresses(database_url: str) -> None:
    for bad in ("*", "ingress-nginx", "10.0.0.0/33"):
        with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
            create_app(make_settings(database_url, trusted_proxies=bad))


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
        "programmes:read",
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
