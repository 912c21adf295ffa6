"""Lag-tolerant reads against a real streaming standby (app/replica.py, docs/read-replicas.md).

The proof of routing: replay is paused on the standby, a change is committed on the primary,
and the marked routes answer without it (the standby's view) while unmarked routes see it.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.models import AuditEntry
from app.replica import APPLICATION_NAME, get_lag_tolerant_session
from tests.conftest import CASEWORK_AGENCY_ID, PASSWORD, VILLAGE1, AuthHeaders
from tests.replica.conftest import Standby, replica_client, replica_settings

pytestmark = pytest.mark.timeout(180)

DASHBOARD = "/api/v1/dashboard/summary"

# Every lag-tolerant route, as a reader allowed to call it would (path, account).
MARKED: list[tuple[str, str]] = [
    (DASHBOARD, "admin"),
    ("/api/v1/ledger/2026-06", "leader"),
    ("/api/v1/ledger/2026-06/export", "leader"),
    ("/api/v1/screening/stats", "admin"),
    ("/api/v1/screening/records", "admin"),
    ("/api/v1/audit", "auditor"),
    (f"/api/v1/casework/agencies/{CASEWORK_AGENCY_ID}/months/2026-06", "admin"),
    (f"/api/v1/casework/agencies/{CASEWORK_AGENCY_ID}/months/2026-06/export", "admin"),
    ("/api/v1/institution/reports/2026-06", "institute"),
    ("/api/v1/institution/reports/2026-06/export", "institute"),
    ("/api/v1/insurance/premiums?year=2026", "admin"),
    ("/api/v1/training/coverage?year=2026", "admin"),
    ("/api/v1/training/certificates?year=2026", "admin"),
    ("/api/v1/subsidy/payrolls/2026-06/export", "admin"),
    ("/api/v1/subsidy/spending?year=2026", "admin"),
    ("/api/v1/screening/referrals/stats", "admin"),
    ("/api/v1/parent-classes/report?year=2026", "admin"),
]


def reads(app: FastAPI, outcome: str) -> float:
    value = app.state.metrics.registry.get_sample_value(
        "db_read_replica_reads_total", {"outcome": outcome}
    )
    return float(value or 0)


async def directors(client: httpx.AsyncClient, auth: AuthHeaders) -> int:
    r = await client.get(DASHBOARD, headers=auth("admin"))
    assert r.status_code == 200, r.text
    return int(r.json()["sections"]["areas"]["village_directors"])


async def new_director(client: httpx.AsyncClient, auth: AuthHeaders) -> dict[str, Any]:
    """A write through the API (a new village director, which the dashboard counts)."""
    body = {
        "username": f"dir-{uuid.uuid4().hex[:8]}",
        "password": PASSWORD,
        "full_name": "测试新村主任",
        "role": "village_director",
        "area_code": VILLAGE1,
    }
    r = await client.post("/api/v1/users", json=body, headers=auth("admin"))
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def audit_count(engine: AsyncEngine, action: str) -> int:
    async with engine.connect() as conn:
        stmt = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
        return int((await conn.execute(stmt)).scalar_one())


def test_only_reads_are_lag_tolerant() -> None:
    """A lag-tolerant session never writes: only GET routes take it, and the list is known."""
    from fastapi.routing import APIRoute

    from app.main import _routers

    marked = set()
    for router in _routers():
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            todo = list(route.dependant.dependencies)
            while todo:
                dep = todo.pop()
                if dep.call is get_lag_tolerant_session:
                    assert set(route.methods or ()) <= {"GET", "HEAD"}, route.path
                    marked.add(route.path.replace(":uuid}", "}"))
                todo.extend(dep.dependencies)
    expected = {
        path.split("?")[0]
        .replace(str(CASEWORK_AGENCY_ID), "{agency_id}")
        .replace("2026-06", "{month}")
        for path, _ in MARKED
    }
    assert marked == expected


async def test_marked_routes_read_the_standby_and_writes_go_to_the_primary(
    standby: Standby, replica_db: str, primary_engine: AsyncEngine, clock: Any, auth: AuthHeaders
) -> None:
    settings = replica_settings(replica_db, standby)
    async with replica_client(settings, primary_engine, clock) as (app, client):
        await standby.caught_up()
        before = await directors(client, auth)
        assert reads(app, "replica") == 1
        audits = await audit_count(primary_engine, "dashboard.summary")
        await standby.pause_replay()
        try:
            # A write: on the primary (a standby would refuse it), answered 201.
            user = await new_director(client, auth)
            # Read-your-write on an unmarked route: the primary has it at once.
            r = await client.get(f"/api/v1/users/{user['id']}", headers=auth("admin"))
            assert r.status_code == 200, r.text
            # The dashboard reads the standby, whose replay is paused: not there yet.
            assert await directors(client, auth) == before
            assert reads(app, "replica") == 2
            # Its audit entry was written on the primary (a standby refuses writes).
            assert await audit_count(primary_engine, "dashboard.summary") == audits + 1
            rows = await standby.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name",
                name=APPLICATION_NAME,
            )
            assert rows[0][0] >= 1  # the app's read pool is connected to the standby
        finally:
            await standby.resume_replay()
        await standby.caught_up()
        assert await directors(client, auth) == before + 1
        assert reads(app, "primary_unreachable") == 0


@pytest.mark.parametrize(("path", "who"), MARKED)
async def test_each_marked_route_answers_from_the_standby(
    standby: Standby,
    replica_db: str,
    primary_engine: AsyncEngine,
    clock: Any,
    auth: AuthHeaders,
    path: str,
    who: str,
) -> None:
    """Read-only on a hot standby: any write (a cache, a lock) would fail there."""
    settings = replica_settings(replica_db, standby)
    async with replica_client(settings, primary_engine, clock) as (app, client):
        r = await client.get(path, headers=auth(who))
        assert r.status_code in (200, 404), r.text
        if r.status_code == 404:  # no payroll for the month: the standby said so
            assert r.json()["code"].endswith("not_found"), r.text
        assert reads(app, "replica") == 1
        assert reads(app, "primary_unreachable") == 0


async def test_without_a_read_url_everything_is_on_the_primary(
    standby: Standby, replica_db: str, primary_engine: AsyncEngine, clock: Any, auth: AuthHeaders
) -> None:
    from tests.conftest import make_settings

    async with replica_client(make_settings(replica_db), primary_engine, clock) as (app, client):
        assert app.state.read_replica is None
        await standby.caught_up()
        before = await directors(client, auth)
        await standby.pause_replay()
        try:
            await new_director(client, auth)
            assert await directors(client, auth) == before + 1
        finally:
            await standby.resume_replay()


async def test_standby_down_the_primary_answers(
    standby: Standby, replica_db: str, primary_engine: AsyncEngine, clock: Any, auth: AuthHeaders
) -> None:
    settings = replica_settings(replica_db, standby)
    async with replica_client(settings, primary_engine, clock) as (app, client):
        await standby.caught_up()
        before = await directors(client, auth)  # the read pool holds a standby connection
        assert reads(app, "replica") == 1
        standby.stop()
        try:
            await new_director(client, auth)
            await asyncio.sleep(0.2)
            # The standby is gone: the dashboard and a report still answer, from the primary.
            assert await directors(client, auth) == before + 1
            r = await client.get("/api/v1/ledger/2026-06/export", headers=auth("leader"))
            assert r.status_code == 200, r.text
            assert reads(app, "primary_unreachable") == 1
            assert reads(app, "primary_backoff") == 1  # not tried again within the back-off
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
        finally:
            standby.start()
        await standby.caught_up()


async def test_a_restarted_standby_is_read_again_without_an_error(
    standby: Standby, replica_db: str, primary_engine: AsyncEngine, clock: Any, auth: AuthHeaders
) -> None:
    """The read pool's connections die with the standby; the next read gets a live one."""
    settings = replica_settings(replica_db, standby)
    async with replica_client(settings, primary_engine, clock) as (app, client):
        await standby.caught_up()
        before = await directors(client, auth)
        standby.stop()
        standby.start()
        await standby.caught_up()
        assert await directors(client, auth) == before
        assert reads(app, "replica") == 2
        assert reads(app, "primary_unreachable") == 0


async def test_unreachable_replica_costs_at_most_the_connect_timeout(
    replica_db: str, primary_engine: AsyncEngine, clock: Any, auth: AuthHeaders, tmp_path: Any
) -> None:
    """A replica URL whose socket nobody listens on: answered from the primary, at once."""
    from sqlalchemy.engine import make_url

    from tests.conftest import make_settings

    url = make_url(replica_db).update_query_dict({"host": str(tmp_path)})
    settings = make_settings(
        replica_db,
        database_read_url=url.render_as_string(hide_password=False),
        database_read_connect_timeout_seconds=1.0,
    )
    async with replica_client(settings, primary_engine, clock) as (app, client):
        for _ in range(3):
            r = await client.get(DASHBOARD, headers=auth("admin"))
            assert r.status_code == 200, r.text
        assert reads(app, "primary_unreachable") == 1
        assert reads(app, "primary_backoff") == 2
        assert reads(app, "replica") == 0


async def test_replica_behind_the_max_lag_is_not_read(
    standby: Standby, replica_db: str, primary_engine: AsyncEngine, clock: Any, auth: AuthHeaders
) -> None:
    settings = replica_settings(replica_db, standby, database_read_max_lag_seconds=0.5)
    async with replica_client(settings, primary_engine, clock) as (app, client):
        await standby.caught_up()
        before = await directors(client, auth)
        assert reads(app, "replica") == 1  # caught up: lag 0
        await standby.pause_replay()
        try:
            await new_director(client, auth)
            await asyncio.sleep(1.0)  # the standby's replay is now more than 0.5 s behind
            app.state.read_replica.lag_checked_at = None  # measure now, not in 3 s
            assert await directors(client, auth) == before + 1
            assert reads(app, "primary_lag") == 1
            lag = app.state.metrics.registry.get_sample_value("db_read_replica_lag_seconds")
            assert lag is not None
            assert lag > 0.5
        finally:
            await standby.resume_replay()
        await standby.caught_up()
        app.state.read_replica.lag_checked_at = None
        assert await directors(client, auth) == before + 1
        assert reads(app, "replica") == 2
