"""An idle phone's sync (issue 30): nothing changed since its cursor. Answered from one lean
statement, with the same bytes, ETag and 304 as the full path, the visits due included and
audited; anything changed, or a pruned cursor, goes the full way."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from pydantic import TypeAdapter
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from app import tracing
from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.kit.clock import FixedClock
from app.main import create_app
from app.models import AuditEntry, SyncState
from app.sync.schemas import SyncOut
from app.sync.service import nothing_new_etag
from tests.conftest import VILLAGE1, VILLAGE2, AuthHeaders
from tests.protection.factories import create, post
from tests.visits.factories import make_child, visit_body

URL = "/api/v1/sync"


class Statements:
    """The statements that go through the engine (the ORM's and Core's, not the lean ones)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.seen: list[str] = []
        self.engine = engine.sync_engine

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, _c: Any, _cur: Any, statement: str, *_: Any) -> None:
        self.seen.append(statement)

    def about(self, table: str) -> list[str]:
        return [s for s in self.seen if table in s]


async def test_an_idle_phone_gets_the_same_answer_from_one_lean_statement(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
) -> None:
    async with committed_engine.begin() as conn:
        mine = await make_child(conn, settings, village=VILLAGE2)
    h = auth("dir2")
    full = await committed_client.get(URL, headers=h)
    cursor = full.json()["next_cursor"]
    with Statements(committed_engine) as statements:
        r = await committed_client.get(URL, params={"cursor": cursor}, headers=h)
    assert r.status_code == 200
    # not a statement about the change log through the ORM: the lean one only
    assert statements.about("sync_changes") == []
    out = SyncOut.model_validate_json(r.content)
    assert (out.full, out.children, out.tombstones, out.protection_visits_due) == (
        False,
        [],
        [],
        [],
    )
    # the bytes FastAPI makes of that answer, its ETag, its media type
    assert r.content == TypeAdapter(SyncOut).dump_json(out, by_alias=True)
    assert r.headers["etag"] == nothing_new_etag(out)
    assert r.headers["content-type"] == "application/json"
    # nothing new: a 304 for the phone that sends the ETag back
    again = await committed_client.get(
        URL, params={"cursor": cursor}, headers=h | {"If-None-Match": r.headers["etag"]}
    )
    assert (again.status_code, again.content) == (304, b"")
    # a change: the full way (the child, no ETag); the idle answer's cursor still gets it
    body = visit_body(mine)
    assert (await committed_client.post("/api/v1/visits", json=body, headers=h)).status_code == 201
    with Statements(committed_engine) as statements:
        news = await committed_client.get(URL, params={"cursor": out.next_cursor}, headers=h)
    assert [c["id"] for c in news.json()["children"]] == [str(mine)]
    assert "etag" not in news.headers
    assert statements.about("sync_changes")


async def test_a_pruned_cursor_is_not_answered_idle(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
) -> None:
    """Nothing changed in the log, but changes below the cursor may have been pruned: the
    whole set (`full`), not an empty answer."""
    h = auth("dir2")
    cursor = (await committed_client.get(URL, headers=h)).json()["next_cursor"]
    quiet = await committed_client.get(URL, params={"cursor": cursor}, headers=h)
    assert quiet.json()["full"] is False
    async with committed_engine.begin() as conn:
        top = (await conn.execute(select(SyncState.pruned_below_xid))).scalar_one()
        await conn.execute(update(SyncState).values(pruned_below_xid=top + 10**9))
    try:
        r = await committed_client.get(URL, params={"cursor": cursor}, headers=h)
        assert r.json()["full"] is True
        assert "etag" not in r.headers
    finally:
        async with committed_engine.begin() as conn:
            await conn.execute(update(SyncState).values(pruned_below_xid=top))


async def _audited(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(AuditEntry.detail)
        .where(AuditEntry.action == "protection_follow_up.sync")
        .order_by(AuditEntry.id)
    )
    return [dict(d) for d in rows.scalars()]


async def test_a_directors_idle_sync_carries_the_visits_due_as_the_full_one(
    client: httpx.AsyncClient, auth: AuthHeaders, conn: AsyncConnection, clock: FixedClock
) -> None:
    out = await create(client, auth, child={"name": "测试儿童癸"})
    safe = {"assessed_on": "2026-06-15", "conclusion": "safe_to_return"}
    assert (await post(client, auth, out["id"], "family-assessments", safe)).status_code == 201
    discharge = {
        "outcome": "returned_to_family",
        "discharged_on": "2026-06-15",
        "family_village_code": VILLAGE1,
        "family_address": "测试一村10号",
    }
    assert (await post(client, auth, out["id"], "discharge", discharge)).status_code == 200
    # a month and a half later: the first visit is overdue
    clock.set(clock.now() + timedelta(days=45))
    h = auth("dir1")
    before = len(await _audited(conn))
    full = await client.get(URL, headers=h)  # the full path (due_for_sync)
    quiet = await client.get(URL, params={"cursor": full.json()["next_cursor"]}, headers=h)
    assert quiet.json()["children"] == []
    due = full.json()["protection_visits_due"]
    mine = [v for v in due if v["intake_id"] == out["id"]]
    assert [(v["seq"], v["overdue"]) for v in mine] == [(1, True), (2, False), (3, False)]
    assert mine[0]["family_address"] == "测试一村10号"
    assert quiet.json()["protection_visits_due"] == due
    answer = SyncOut.model_validate_json(quiet.content)
    assert quiet.content == TypeAdapter(SyncOut).dump_json(answer, by_alias=True)
    assert quiet.headers["etag"] == nothing_new_etag(answer)
    # both answers are in the audit log, naming the visits they sent
    audited = (await _audited(conn))[before:]
    assert audited == [{"ids": [v["id"] for v in due]}] * 2
    # one made: the list, and so the ETag, change
    done = await client.post(
        f"/api/v1/protection/follow-up-visits/{mine[0]['id']}/done",
        json={"visited_on": "2026-07-20"},
        headers=h,
    )
    assert done.status_code == 200
    after = await client.get(URL, params={"cursor": full.json()["next_cursor"]}, headers=h)
    assert [
        v["seq"] for v in after.json()["protection_visits_due"] if v["intake_id"] == out["id"]
    ] == [2, 3]
    assert after.headers["etag"] != quiet.headers["etag"]


async def test_a_sync_never_waits_for_a_second_connection(
    committed_engine: AsyncEngine, settings: Settings, clock: FixedClock, auth: AuthHeaders
) -> None:
    """One pooled connection is enough for any sync, the principal read from its account
    (no principal cache): none holds one connection while it waits for another."""
    one = settings.model_copy(
        update={"db_pool_size": 1, "db_max_overflow": 0, "principal_cache_seconds": 0}
    )
    engine = create_engine(committed_engine.url.render_as_string(hide_password=False), one)
    app = create_app(one, engine=engine, sessionmaker=create_sessionmaker(engine), clock=clock)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
        ):
            h = auth("dir2")
            full = await asyncio.wait_for(c.get(URL, headers=h), 20)
            cursor = full.json()["next_cursor"]
            quiet = await asyncio.wait_for(c.get(URL, params={"cursor": cursor}, headers=h), 20)
            assert (quiet.status_code, quiet.json()["children"]) == (200, [])
            several = [c.get(URL, params={"cursor": cursor}, headers=h) for _ in range(5)]
            answers = await asyncio.wait_for(asyncio.gather(*several), 20)
            assert [r.status_code for r in answers] == [200] * 5
    finally:
        await engine.dispose()


async def test_the_lean_statement_is_in_the_requests_trace(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    auth: AuthHeaders,
) -> None:
    exporter = InMemorySpanExporter()
    app = create_app(settings, engine=engine, sessionmaker=sessionmaker, clock=clock)
    try:
        assert tracing.setup_tracing(app, env={}, exporter=exporter)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
        ):
            h = auth("dir1")
            cursor = (await c.get(URL, headers=h)).json()["next_cursor"]
            exporter.clear()
            r = await c.get(URL, params={"cursor": cursor}, headers=h)
        assert (r.status_code, r.json()["children"]) == (200, [])
        spans = exporter.get_finished_spans()
        [server] = [s for s in spans if s.kind == SpanKind.SERVER]
        db = [s for s in spans if s.name == "db SELECT" and s.parent is not None]
        [quiet] = [s for s in db if "sync_changes" in str((s.attributes or {})["db.query.text"])]
        assert quiet.kind == SpanKind.CLIENT
        assert quiet.context.trace_id == server.context.trace_id
        assert cursor not in str(quiet.attributes)  # placeholders, never the values
    finally:
        tracing.use_provider(None)  # tracing off again for the other tests
