from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.kit.clock import FixedClock
from app.models import Child, SyncChange
from app.sync import jobs as sync_jobs
from app.worker.registry import PERIODIC, JobContext
from tests.conftest import VILLAGE1, VILLAGE2, VILLAGE3, AuthHeaders
from tests.visits.factories import make_child, visit_body

URL = "/api/v1/sync"


async def sync(client: httpx.AsyncClient, headers: dict[str, str], cursor: str | None) -> Any:
    params = {"cursor": cursor} if cursor else {}
    r = await client.get(URL, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_first_call_is_the_full_set_then_only_changes(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
) -> None:
    async with committed_engine.begin() as conn:
        mine = await make_child(conn, settings, village=VILLAGE2)
        theirs = await make_child(conn, settings, village=VILLAGE3)
    h = auth("dir2")
    full = await sync(committed_client, h, None)
    assert full["full"] is True
    ids = {c["id"] for c in full["children"]}
    assert str(mine) in ids
    assert str(theirs) not in ids
    entry = next(c for c in full["children"] if c["id"] == str(mine))
    assert entry["last_visit"] is None
    assert entry["open_follow_ups"] == []
    assert "id_number" not in str(entry)
    # nothing changed: a tiny answer
    r = await committed_client.get(URL, params={"cursor": full["next_cursor"]}, headers=h)
    assert r.json()["children"] == []
    assert r.json()["tombstones"] == []
    assert len(r.content) < 300
    cursor = r.json()["next_cursor"]
    # a visit with a difficulty: the child comes back with its last visit and follow-up
    body = visit_body(mine, difficulties=[{"kind": "medical", "text": "需要就医"}])
    assert (await committed_client.post("/api/v1/visits", json=body, headers=h)).status_code == 201
    changed = await sync(committed_client, h, cursor)
    assert changed["full"] is False
    assert [c["id"] for c in changed["children"]] == [str(mine)]
    assert changed["children"][0]["last_visit"]["id"] == body["id"]
    assert [f["kind"] for f in changed["children"][0]["open_follow_ups"]] == ["medical"]
    # another director's change is not ours
    other = visit_body(theirs)
    assert (
        await committed_client.post("/api/v1/visits", json=other, headers=auth("dir3"))
    ).status_code == 201
    quiet = await sync(committed_client, h, changed["next_cursor"])
    assert quiet["children"] == []
    assert quiet["tombstones"] == []


async def test_tombstones_when_a_child_moves_away_or_leaves_the_ledger(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
) -> None:
    async with committed_engine.begin() as conn:
        moving = await make_child(conn, settings, village=VILLAGE1)
        leaving = await make_child(conn, settings, village=VILLAGE1)
    h1, h3, hs = auth("dir1"), auth("dir3"), auth("sup1")
    c1 = (await sync(committed_client, h1, None))["next_cursor"]
    c3 = (await sync(committed_client, h3, None))["next_cursor"]
    cs = (await sync(committed_client, hs, None))["next_cursor"]
    async with committed_engine.begin() as conn:
        await conn.execute(
            update(Child)
            .where(Child.id == moving)
            .values(village_code=VILLAGE3, version=Child.version + 1)
        )
        await conn.execute(
            update(Child)
            .where(Child.id == leaving)
            .values(status="revoked", revoked_on=date(2026, 6, 10), version=Child.version + 1)
        )
    out1 = await sync(committed_client, h1, c1)
    assert out1["children"] == []
    assert {(t["child_id"], t["reason"]) for t in out1["tombstones"]} == {
        (str(moving), "left_jurisdiction"),
        (str(leaving), "left_ledger"),
    }
    out3 = await sync(committed_client, h3, c3)
    assert [c["id"] for c in out3["children"]] == [str(moving)]
    assert out3["children"][0]["village_code"] == VILLAGE3
    outs = await sync(committed_client, hs, cs)
    assert {t["child_id"] for t in outs["tombstones"]} == {str(moving), str(leaving)}


async def test_no_change_skipped_under_concurrent_writes(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
) -> None:
    """A transaction that wrote first but commits last is still delivered on the next sync."""
    h = auth("dir1")
    cursor = (await sync(committed_client, h, None))["next_cursor"]
    async with committed_engine.connect() as slow:
        await slow.begin()
        early = await make_child(slow, settings, village=VILLAGE1)  # written first, not committed
        async with committed_engine.begin() as fast:
            late = await make_child(fast, settings, village=VILLAGE1)  # committed before it
        seen = await sync(committed_client, h, cursor)
        assert [c["id"] for c in seen["children"]] == [str(late)]
        await slow.commit()
    again = await sync(committed_client, h, seen["next_cursor"])
    assert str(early) in {c["id"] for c in again["children"]}


async def test_cursors_under_many_concurrent_writers(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
) -> None:
    h = auth("sup1")
    cursor = (await sync(committed_client, h, None))["next_cursor"]
    written: list[uuid.UUID] = []
    received: set[str] = set()
    done = asyncio.Event()

    async def writer(n: int) -> None:
        for i in range(6):
            async with committed_engine.begin() as conn:
                village = VILLAGE1 if (n + i) % 2 else VILLAGE2
                written.append(await make_child(conn, settings, village=village))
                await asyncio.sleep(0.005 * ((n * 7 + i) % 3))

    async def reader() -> None:
        nonlocal cursor
        while True:
            finished = done.is_set()
            out = await sync(committed_client, h, cursor)
            received.update(c["id"] for c in out["children"])
            cursor = out["next_cursor"]
            if finished:
                return
            await asyncio.sleep(0.003)

    task = asyncio.create_task(reader())
    await asyncio.gather(*(writer(n) for n in range(5)))
    done.set()
    await task
    assert {str(w) for w in written} <= received


async def test_phone_edit_with_base_version(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
) -> None:
    # The child is committed: in the committed tests' own database, not the shared one (where
    # it would be one more child in every later test's counts, e.g. the payrolls').
    client = committed_client
    async with committed_engine.begin() as conn:
        child = await make_child(conn, settings, village=VILLAGE1, school_name="旧小学")
    url = f"{URL}/children/{child}"
    h = auth("dir1", lang="en")
    r = await client.post(
        url, json={"base_version": 1, "changes": {"school_name": "新小学"}}, headers=h
    )
    assert r.status_code == 200, r.text
    assert r.json()["school_name"] == "新小学"
    assert r.json()["version"] == 2
    assert r.headers["etag"] == '"2"'
    # the same edit retried: already there
    r = await client.post(
        url, json={"base_version": 1, "changes": {"school_name": "新小学"}}, headers=h
    )
    assert r.status_code == 200
    assert r.json()["version"] == 2
    # another phone edited version 1 too: a conflict naming the fields, never an overwrite
    r = await client.post(
        url,
        json={"base_version": 1, "changes": {"school_name": "别的小学", "school_stage": "primary"}},
        headers=h,
    )
    assert r.status_code == 409
    problem = r.json()
    assert problem["server_version"] == 2
    assert problem["code"] == "edit_conflict"
    assert problem["conflicts"] == [
        {"field": "school_name", "yours": "别的小学", "theirs": "新小学", "base": "旧小学"}
    ]
    r = await client.post(url, json={"base_version": 1, "changes": {"nickname": "x"}}, headers=h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "changes.nickname"
    r = await client.post(url, json={"base_version": 2, "changes": {}}, headers=h)
    assert r.status_code == 422
    r = await client.post(
        url, json={"base_version": 2, "changes": {"school_name": "x"}}, headers=auth("dir3")
    )
    assert r.status_code == 404
    r = await client.post(
        url, json={"base_version": 2, "changes": {"school_name": "x"}}, headers=auth("auditor")
    )
    assert r.status_code == 403


async def test_sync_authorization_and_bad_cursor(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    assert (await client.get(URL)).status_code == 401
    assert (await client.get(URL, headers=auth(agency="police"))).status_code == 403
    r = await client.get(URL, params={"cursor": "garbage!"}, headers=auth("dir1"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "cursor"


async def _prune(engine: AsyncEngine, settings: Settings, clock: FixedClock) -> None:
    ctx = JobContext(job_id=0, attempt=1, settings=settings, clock=clock, worker_id="test")
    async with AsyncSession(engine) as session, session.begin():
        await sync_jobs.prune_changes(session, {}, ctx)


async def test_a_phone_away_longer_than_the_log_keeps_starts_over_and_misses_nothing(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
    clock: FixedClock,
) -> None:
    """The change log is pruned after SYNC_CHANGES_RETENTION_DAYS: a cursor from before the
    pruned changes gets the whole set again; a later cursor still gets just the changes."""
    assert "sync.prune_changes" in PERIODIC
    async with committed_engine.begin() as conn:
        kid = await make_child(conn, settings, village=VILLAGE2)
    h = auth("dir2")
    old = (await sync(committed_client, h, None))["next_cursor"]
    body = visit_body(kid)
    assert (await committed_client.post("/api/v1/visits", json=body, headers=h)).status_code == 201
    recent = (await sync(committed_client, h, old))["next_cursor"]
    # every change so far is older than the retention; one written now is not
    days = settings.sync_changes_retention_days
    async with committed_engine.begin() as conn:
        await conn.execute(
            update(SyncChange).values(at=clock.now() - timedelta(days=days, seconds=1))
        )
    async with committed_engine.begin() as conn:
        fresh = await make_child(conn, settings, village=VILLAGE2)
    await _prune(committed_engine, settings, clock)
    async with committed_engine.connect() as conn:
        left = (await conn.execute(select(SyncChange.child_id))).scalars().all()
    assert set(left) == {fresh}

    again = await sync(committed_client, h, old)  # its changes were pruned: the whole set
    assert again["full"] is True
    ids = {c["id"] for c in again["children"]}
    assert {str(kid), str(fresh)} <= ids
    entry = next(c for c in again["children"] if c["id"] == str(kid))
    assert entry["last_visit"]["id"] == body["id"]

    later = await sync(committed_client, h, recent)  # nothing it needs was pruned
    assert later["full"] is False
    assert [c["id"] for c in later["children"]] == [str(fresh)]
    # pruning again with nothing old is harmless
    await _prune(committed_engine, settings, clock)
    quiet = await sync(committed_client, h, later["next_cursor"])
    assert (quiet["full"], quiet["children"]) == (False, [])
