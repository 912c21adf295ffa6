"""Rate limits (429 + Retry-After, per user/client, per IP, token endpoint) and body-size limits (413)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.kit.clock import FixedClock
from app.main import create_app
from app.models import User
from app.ratelimit import TokenBuckets
from tests.conftest import PASSWORD, AuthHeaders
from tests.conftest import make_settings as settings_for

PROBLEM = "application/problem+json"


@pytest.fixture
async def limited(
    database_url: str,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    auth: AuthHeaders,
) -> AsyncIterator[Any]:
    """`await limited(**settings)` → a client on an app with those (small) limits."""
    stack: list[Any] = []

    async def make(**overrides: Any) -> httpx.AsyncClient:
        settings = settings_for(database_url, **overrides)
        app = create_app(settings, engine=engine, sessionmaker=sessionmaker, clock=clock)
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        stack.append((lifespan, client))
        # FastAPI builds an app's route state on its first request through them (~0.5 s here);
        # the buckets refill meanwhile. One miss through every route, by an account the tests
        # do not use, so the timed calls below run at full speed.
        assert (await client.get("/api/v1/warm-up", headers=auth("auditor"))).status_code == 404
        return client

    yield make
    for lifespan, client in reversed(stack):
        await client.aclose()
        await lifespan.__aexit__(None, None, None)


def _assert_429(r: httpx.Response) -> int:
    assert r.status_code == 429
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["code"] == "too_many_requests"
    retry_after = int(r.headers["retry-after"])
    assert retry_after >= 1
    return retry_after


async def test_per_user_limit_gives_429_with_retry_after(limited: Any, auth: AuthHeaders) -> None:
    c = await limited(rate_limit_burst=3, rate_limit_per_minute=60)
    for _ in range(3):
        assert (await c.get("/api/v1/areas", headers=auth("dir1"))).status_code == 200
    r = await c.get("/api/v1/areas", headers=auth("dir1"))
    assert _assert_429(r) == 1  # one token a second at 60 a minute
    assert "请求过于频繁" in r.json()["title"]
    en = await c.get("/api/v1/areas", headers=auth("dir1", lang="en"))
    _assert_429(en)
    assert en.json()["title"] == "Too many requests"
    # Another user, and an agency client, have their own buckets.
    assert (await c.get("/api/v1/areas", headers=auth("dir2"))).status_code == 200
    assert (await c.get("/api/v1/auth/me", headers=auth(agency="police"))).status_code == 200
    # Probes and metrics are never limited.
    assert (await c.get("/healthz")).status_code == 200
    assert (await c.get("/metrics")).status_code == 200
    assert 'rate_limited_total{bucket="principal"} 2.0' in (await c.get("/metrics")).text


async def test_anonymous_calls_are_limited_per_ip(limited: Any, auth: AuthHeaders) -> None:
    c = await limited(rate_limit_burst=2)
    assert (await c.get("/api/v1/areas")).status_code == 401
    assert (await c.get("/api/v1/areas")).status_code == 401
    _assert_429(await c.get("/api/v1/areas"))
    # Forged tokens (any subject, wrong key) count against the IP: no escape by inventing users.
    for _ in range(3):
        forged = jwt.encode({"sub": str(uuid.uuid4())}, "not-the-key-" * 4, algorithm="HS256")
        _assert_429(await c.get("/api/v1/areas", headers={"Authorization": f"Bearer {forged}"}))
    # A real user from the same address is not affected.
    assert (await c.get("/api/v1/areas", headers=auth("dir1"))).status_code == 200


async def test_token_endpoint_has_a_stricter_per_ip_limit(
    limited: Any, auth: AuthHeaders, session: AsyncSession
) -> None:
    c = await limited(rate_limit_token_burst=2, rate_limit_burst=50)
    form = {"grant_type": "password", "username": "dir1", "password": PASSWORD}
    assert (await c.post("/api/v1/auth/token", data=form)).status_code == 200
    assert (await c.post("/api/v1/auth/token", data=form)).status_code == 200
    r = await c.post("/api/v1/auth/token", data=form)
    assert _assert_429(r) in (1, 2)  # 30 a minute: one token every two seconds
    # Refused before the password was checked: no failure counted against the account.
    failed = (
        await session.execute(select(User.failed_logins).where(User.username == "dir1"))
    ).scalar_one()
    assert failed == 0
    assert (await c.get("/api/v1/areas", headers=auth("dir1"))).status_code == 200


async def test_limits_can_be_switched_off(limited: Any, auth: AuthHeaders) -> None:
    c = await limited(rate_limit_enabled=False, rate_limit_burst=1)
    for _ in range(5):
        assert (await c.get("/api/v1/areas", headers=auth("dir1"))).status_code == 200


def test_token_bucket_refills_at_the_rate() -> None:
    now = [100.0]
    buckets = TokenBuckets(per_minute=120, burst=2, clock=lambda: now[0])
    assert buckets.take("a") == 0
    assert buckets.take("a") == 0
    assert buckets.take("a") == pytest.approx(0.5)  # 2 a second
    now[0] += 0.25
    assert buckets.take("a") == pytest.approx(0.25)
    now[0] += 0.25
    assert buckets.take("a") == 0
    assert buckets.take("b") == 0  # its own bucket
    now[0] += 3600
    assert [buckets.take("a") for _ in range(3)] == [0, 0, pytest.approx(0.5)]  # capped at burst


def test_token_buckets_forget_the_least_recently_used() -> None:
    buckets = TokenBuckets(per_minute=60, burst=1, max_keys=2)
    buckets.take("a")
    buckets.take("b")
    buckets.take("a")
    buckets.take("c")  # evicts b, the least recently used
    assert len(buckets) == 2
    assert buckets.take("a") > 0  # a is still remembered (and empty)
    assert buckets.take("b") == 0  # b was forgotten: it starts again full


async def test_body_over_the_limit_is_413(
    limited: Any, auth: AuthHeaders, session: AsyncSession
) -> None:
    c = await limited(max_body_bytes=1000)
    users_before = (await session.execute(select(func.count()).select_from(User))).scalar_one()
    body = {
        "username": "toolarge",
        "password": "Large-Body-12345",
        "full_name": "x" * 2000,
        "role": "district_leader",
        "area_code": "110115",
    }
    r = await c.post("/api/v1/users", json=body, headers=auth("admin"))
    assert r.status_code == 413
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["code"] == "payload_too_large"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for _ in range(10):
            yield b" " * 200

    streamed = await c.post(
        "/api/v1/users",
        content=chunks(),
        headers=auth("admin") | {"Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    assert streamed.json()["code"] == "payload_too_large"
    users_after = (await session.execute(select(func.count()).select_from(User))).scalar_one()
    assert users_after == users_before
