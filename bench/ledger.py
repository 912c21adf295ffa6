"""Ledger benchmark: HTTP latency of the month's ledger, its xlsx export and the children list.

    python -m bench.ledger [--small] [--scale N] [--requests N]

Starts the embedded PostgreSQL (.data/bench-pg), a fresh database with the demo data (205
children, 18 months of history), multiplies the children `--scale` times with their history
(a city-sized register), then a real uvicorn server on 127.0.0.1 and times the requests.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import embedded
from app.config import Settings
from app.db import create_engine
from app.demo import DEMO_PASSWORD
from app.kit.clock import SystemClock, local_today
from app.main import create_app
from bench.common import free_port

SCALE_SQL = [
    "CREATE TEMP TABLE bench_map AS SELECT id AS old, gen_random_uuid() AS new FROM children "
    "WHERE id IN (SELECT id FROM bench_orig)",
    "INSERT INTO children (id, name, id_number_enc, id_number_hash, id_number_masked, gender, "
    "birth_date, category, placement, village_code, approved_on, status, revoked_on, "
    "revoke_reason, revoke_note, parents, guardians, household_assistance, serious_illness, "
    "disability, school_stage, school_name, insurance, created_by, version) "
    "SELECT m.new, name, id_number_enc, md5(random()::text) || md5(random()::text), "
    "id_number_masked, gender, birth_date, category, placement, village_code, approved_on, "
    "status, revoked_on, revoke_reason, revoke_note, parents, guardians, household_assistance, "
    "serious_illness, disability, school_stage, school_name, insurance, created_by, version "
    "FROM children c JOIN bench_map m ON m.old = c.id",
    "INSERT INTO child_changes (id, child_id, at, kind, ledger_month, actor_id, actor_name, "
    "changes, reason, effective_on, state) SELECT gen_random_uuid(), m.new, at, kind, "
    "ledger_month, actor_id, actor_name, changes, reason, effective_on, state "
    "FROM child_changes ch JOIN bench_map m ON m.old = ch.child_id",
    "DROP TABLE bench_map",
]


def _settings(url: str, port: int) -> Settings:
    return Settings(
        app_env="development",
        database_url=url,
        port=port,
        jwt_signing_key="bench-signing-key-0123456789abcdef-0123456789",
        encryption_keys="b1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        encryption_active_key_id="b1",
        hmac_key="bench-hmac-key-0123456789abcdef-0123456789",
        migrate_on_start=True,
        demo_data=True,
        run_worker_in_process=False,
        log_level="WARNING",
    )


async def _scale(url: str, settings: Settings, scale: int) -> int:
    engine = create_engine(url, settings)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TEMP TABLE bench_orig AS SELECT id FROM children"))
        for _ in range(scale - 1):
            for sql in SCALE_SQL:
                await conn.execute(text(sql))
        total = int((await conn.execute(text("SELECT count(*) FROM children"))).scalar_one())
        await conn.execute(text("ANALYZE"))
    await engine.dispose()
    return total


async def _time(n: int, call: Callable[[], Awaitable[httpx.Response]]) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = await call()
        out.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
    return out


def _report(name: str, ms: list[float]) -> None:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    print(f"  {name:<34} n={len(ms):<4} p50={statistics.median(ms):8.1f} ms  p95={p95:8.1f} ms")


async def main(scale: int, requests: int) -> None:
    server_url = embedded.start(Path(".data"), name="bench-pg")
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, _settings(server_url, 0))
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    port = free_port()
    settings = _settings(url, port)
    try:
        t0 = time.perf_counter()
        engine = create_engine(url, settings)
        app = create_app(settings, engine=engine)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
            await asyncio.sleep(0.05)
        print(f"start-up with migrations and demo data: {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        total = await _scale(url, settings, scale)
        print(
            f"children on the register: {total} (scale {scale}, {time.perf_counter() - t0:.1f} s)"
        )
        month = f"{local_today(SystemClock()):%Y-%m}"
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            tok = await c.post(
                "/api/v1/auth/token",
                data={"grant_type": "password", "username": "admin", "password": DEMO_PASSWORD},
            )
            h = {"Authorization": f"Bearer {tok.json()['access_token']}"}
            page = (await c.get("/api/v1/children", params={"limit": 1}, headers=h)).json()
            one = page["items"][0]["id"]
            print(f"latency over HTTP ({requests} requests each):")
            _report(
                f"GET /ledger/{month}",
                await _time(requests, lambda: c.get(f"/api/v1/ledger/{month}", headers=h)),
            )
            _report(
                f"GET /ledger/{month}/export (xlsx)",
                await _time(
                    max(3, requests // 4),
                    lambda: c.get(f"/api/v1/ledger/{month}/export", headers=h),
                ),
            )
            _report(
                "GET /children?limit=50",
                await _time(
                    requests, lambda: c.get("/api/v1/children", params={"limit": 50}, headers=h)
                ),
            )
            _report(
                "GET /children/{id} (audited)",
                await _time(requests, lambda: c.get(f"/api/v1/children/{one}", headers=h)),
            )
            _report(
                "GET /discovery/candidates",
                await _time(requests, lambda: c.get("/api/v1/discovery/candidates", headers=h)),
            )
        server.should_exit = True
        await task
        await engine.dispose()
    finally:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.ledger")
    parser.add_argument(
        "--small", action="store_true", help="CI size: demo data only, few requests"
    )
    parser.add_argument("--scale", type=int, default=None, help="copies of the demo register")
    parser.add_argument("--requests", type=int, default=None)
    args = parser.parse_args()
    scale = args.scale or (1 if args.small else 50)
    requests = args.requests or (10 if args.small else 50)
    asyncio.run(main(scale, requests))
