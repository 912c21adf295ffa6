"""Slow uploads (issue 20): bodies are received without a database connection, in limited time,
at most a few at once per caller.

Before, each upload resolved its caller (a transaction) and then waited for its body: 22 slow
uploads held the whole pool "idle in transaction", every other request failed and /readyz
answered 503. The uploads here send half their body and wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from app.config import Settings
from app.db import create_sessionmaker
from app.kit.clock import FixedClock
from app.main import create_app
from tests.conftest import AuthHeaders
from tests.screening.factories import csv_bytes, row

BOUNDARY = "slow-upload-boundary"
URL = "/api/v1/screening/imports"


class SlowUpload:
    """A multipart upload that sends its first half, then waits for `release`."""

    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = {**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
        self.half_sent = asyncio.Event()
        self.release = asyncio.Event()
        content = csv_bytes([row()])
        head = (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="file"; filename="slow.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        body = head + content + f"\r\n--{BOUNDARY}--\r\n".encode()
        self.first, self.rest = body[: len(body) // 2], body[len(body) // 2 :]
        self.task: asyncio.Task[httpx.Response] | None = None

    async def _body(self) -> AsyncIterator[bytes]:
        yield self.first
        # The server asked for more: it holds the first half and waits.
        self.half_sent.set()
        await self.release.wait()
        yield self.rest

    def start(self) -> SlowUpload:
        self.task = asyncio.create_task(
            self.client.post(URL, headers=self.headers, content=self._body())
        )
        return self

    async def finish(self) -> httpx.Response:
        assert self.task is not None
        self.release.set()
        return await asyncio.wait_for(self.task, 30)


@asynccontextmanager
async def _client(
    settings: Settings, engine: AsyncEngine, clock: FixedClock, **overrides: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(
        settings.model_copy(update=overrides),
        engine=engine,
        sessionmaker=create_sessionmaker(engine),
        clock=clock,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield app, client


async def _idle_in_transaction(engine: AsyncEngine) -> int:
    """Sessions of the database idle in a transaction, seen from a connection outside the pool."""
    outside = create_async_engine(engine.url, poolclass=NullPool)
    try:
        async with outside.connect() as conn:
            count = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
                )
            )
    finally:
        await outside.dispose()
    return int(count or 0)


async def test_slow_uploads_hold_no_connection_and_the_service_stays_up(
    committed_engine: AsyncEngine, settings: Settings, clock: FixedClock, auth: AuthHeaders
) -> None:
    pool_room = committed_engine.pool.size() + committed_engine.pool._max_overflow  # type: ignore[attr-defined]
    async with _client(settings, committed_engine, clock, upload_max_concurrent_per_user=100) as (
        _app,
        client,
    ):
        uploads = [SlowUpload(client, auth("admin")).start() for _ in range(pool_room + 7)]
        # Every upload is under way (each would have taken a connection before: the pool
        # would have run out and the later ones waited for one).
        await asyncio.wait_for(asyncio.gather(*(u.half_sent.wait() for u in uploads)), 20)
        assert committed_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert await _idle_in_transaction(committed_engine) == 0

        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        for _ in range(5):
            areas = await client.get("/api/v1/areas", headers=auth("dir1"))
            assert areas.status_code == 200, areas.text
        imports = await asyncio.gather(*(u.finish() for u in uploads))
        assert [r.status_code for r in imports] == [202] * len(uploads), imports[0].text


async def test_concurrent_uploads_per_user_are_limited(
    committed_engine: AsyncEngine, settings: Settings, clock: FixedClock, auth: AuthHeaders
) -> None:
    async with _client(settings, committed_engine, clock, upload_max_concurrent_per_user=2) as (
        _app,
        client,
    ):
        slow = [SlowUpload(client, auth("admin")).start() for _ in range(2)]
        await asyncio.wait_for(asyncio.gather(*(u.half_sent.wait() for u in slow)), 20)
        files = {"file": ("a.csv", csv_bytes([row()]))}

        third = await client.post(URL, headers=auth("admin"), files=files)
        assert third.status_code == 429, third.text
        assert third.headers["content-type"].startswith("application/problem+json")
        assert int(third.headers["retry-after"]) > 0
        assert third.json()["code"] == "too_many_requests"
        assert "2" in third.json()["detail"]
        english = await client.post(URL, headers=auth("admin", lang="en"), files=files)
        assert english.json()["detail"].startswith("You already have 2 uploads in progress")

        other = await client.post(URL, headers=auth("sup1"), files=files)  # another caller
        assert other.status_code == 202, other.text

        assert [(await u.finish()).status_code for u in slow] == [202, 202]
        again = await client.post(URL, headers=auth("admin"), files=files)  # slots freed
        assert again.status_code == 202, again.text


async def test_an_upload_not_received_in_time_is_408(
    committed_engine: AsyncEngine, settings: Settings, clock: FixedClock, auth: AuthHeaders
) -> None:
    async with _client(settings, committed_engine, clock, upload_receive_timeout_seconds=0.5) as (
        app,
        client,
    ):
        spools_before = set(app.state.settings.uploads_path.glob("*.spool"))
        stalled = SlowUpload(client, auth("admin", lang="en")).start()
        assert stalled.task is not None
        r = await asyncio.wait_for(stalled.task, 10)  # answered without the rest of the body
        assert r.status_code == 408, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.headers["connection"] == "close"
        body = r.json()
        assert body["code"] == "request_timeout"
        assert body["detail"] == "The upload did not arrive within 0.5 seconds"
        assert set(app.state.settings.uploads_path.glob("*.spool")) == spools_before
        stalled.release.set()
        # A body sent in time still goes through.
        files = {"file": ("a.csv", csv_bytes([row()]))}
        ok = await client.post(URL, headers=auth("admin"), files=files)
        assert ok.status_code == 202, ok.text
