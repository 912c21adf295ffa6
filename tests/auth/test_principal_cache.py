"""The principal cache (app.auth.principal.PrincipalCache): a token's account is not read
again for a few seconds, yet a change of the account through the service takes effect on the
very next request, and one made elsewhere within PRINCIPAL_CACHE_SECONDS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.clock import FixedClock
from app.main import create_app
from tests.conftest import TOWN1, AuthHeaders
from tests.users.factories import insert_user

pytestmark = pytest.mark.asyncio


async def test_a_deactivation_through_the_service_shuts_the_cached_token_out_at_once(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    user = await insert_user(session)
    mine = auth(user_id=user.id)  # one token, sent again and again
    for _ in range(3):
        assert (await client.get("/api/v1/auth/me", headers=mine)).status_code == 200
    r = await client.post(f"/api/v1/users/{user.id}/deactivate", headers=auth("admin"))
    assert r.status_code == 200, r.text
    r = await client.get("/api/v1/auth/me", headers=mine)
    assert r.status_code == 401


async def test_a_role_change_through_the_service_is_seen_by_the_next_request(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    user = await insert_user(session)
    mine = auth(user_id=user.id)
    me = await client.get("/api/v1/auth/me", headers=mine)
    assert me.json()["role"] == "village_director"
    # a village director may not list the users; a town supervisor may not either, but the
    # role shows in /auth/me
    got = await client.get(f"/api/v1/users/{user.id}", headers=auth("admin"))
    r = await client.patch(
        f"/api/v1/users/{user.id}",
        json={"role": "town_supervisor", "area_code": TOWN1},
        headers=auth("admin") | {"If-Match": got.headers["etag"]},
    )
    assert r.status_code == 200, r.text
    me = await client.get("/api/v1/auth/me", headers=mine)
    assert me.json()["role"] == "town_supervisor"
    assert me.json()["area_code"] == TOWN1


async def test_a_direct_change_with_the_cache_off_is_seen_at_once(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    conn: AsyncConnection,
    auth: AuthHeaders,
    clock: FixedClock,
) -> None:
    off = settings.model_copy(update={"principal_cache_seconds": 0})
    async with _client(off, sessionmaker, conn, clock) as c:
        user = await insert_user(session)
        mine = auth(user_id=user.id)
        assert (await c.get("/api/v1/auth/me", headers=mine)).status_code == 200
        # as another process (or psql) would: no session of this process sees it
        await conn.execute(
            text("UPDATE users SET is_active = false WHERE id = :id"), {"id": user.id}
        )
        assert (await c.get("/api/v1/auth/me", headers=mine)).status_code == 401


async def test_a_direct_change_is_seen_within_the_cache_seconds(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    conn: AsyncConnection,
    auth: AuthHeaders,
    clock: FixedClock,
) -> None:
    short = settings.model_copy(update={"principal_cache_seconds": 0.5})
    async with _client(short, sessionmaker, conn, clock) as c:
        user = await insert_user(session)
        mine = auth(user_id=user.id)
        assert (await c.get("/api/v1/auth/me", headers=mine)).status_code == 200
        await conn.execute(
            text("UPDATE users SET is_active = false WHERE id = :id"), {"id": user.id}
        )
        # the process was not told: its copy may hold, for at most the cache's seconds
        await asyncio.sleep(0.6)
        assert (await c.get("/api/v1/auth/me", headers=mine)).status_code == 401


@asynccontextmanager
async def _client(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    conn: AsyncConnection,
    clock: FixedClock,
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, engine=conn.engine, sessionmaker=sessionmaker, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


async def test_a_token_sent_again_does_not_read_the_account_again(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, conn: AsyncConnection
) -> None:
    user = await insert_user(session)
    mine = auth(user_id=user.id)
    lookups: list[str] = []

    def seen(_c: object, _cur: object, statement: str, *_: object) -> None:
        if "FROM users JOIN areas" in statement:
            lookups.append(statement)

    event.listen(conn.sync_connection, "before_cursor_execute", seen)
    try:
        for _ in range(5):
            assert (await client.get("/api/v1/auth/me", headers=mine)).status_code == 200
    finally:
        event.remove(conn.sync_connection, "before_cursor_execute", seen)
    assert len(lookups) == 1
