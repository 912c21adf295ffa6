"""Subsidy engine benchmark: a payroll run for 100,000 children, and quote latency over HTTP.

    python -m bench.subsidies [--small] [--children N] [--quotes N]

Bulk-generates synthetic children with COPY into a fresh database on the embedded PostgreSQL
(`.data/bench-pg`), times `create_payroll` (stream the ledger, compute in Python, COPY the
lines, commit), then starts a real uvicorn on 127.0.0.1 and measures POST /subsidy/quote
(half by child, half by category). Targets: payroll < 10 s for 100,000; quote p95 < 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import httpx
from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url

from app.auth.passwords import hash_password
from app.auth.principal import Principal
from app.auth.tokens import create_access_token
from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.kit import idnumber
from app.kit.crypto import KeyRing
from app.migrate import upgrade
from app.models import Area, User
from bench.common import free_port, wait_ready

ROOT = Path(__file__).resolve().parent.parent
DISTRICT = "110115"
TOWNS, VILLAGES_PER_TOWN = 20, 35
CATEGORIES = (
    ["orphan"] * 3
    + ["de_facto_unsupported"] * 2
    + ["poor_family_seriously_ill"] * 3
    + ["poor_family_disabled"] * 2
)
STAGES = ["primary", "junior_secondary", "senior_secondary", "secondary_vocational", None]
MONTH = "2026-05"


def bench_settings(url: str) -> Settings:
    return Settings(
        app_env="test",
        database_url=url,
        jwt_signing_key="bench-signing-key-0123456789abcdef-0123456789",
        encryption_keys="b1:" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        encryption_active_key_id="b1",
        hmac_key="bench-hmac-key-0123456789abcdef-0123456789",
        migrate_on_start=False,
        demo_data=False,
        run_worker_in_process=False,
        log_level="WARNING",
        db_pool_size=10,
    )


def _child_records(n: int, ring: KeyRing, villages: list[str]) -> list[tuple[Any, ...]]:
    rng = random.Random(2026)
    now = datetime.now(UTC)
    out = []
    used: set[str] = set()
    for i in range(n):
        birth = date(2008, 6, 1) + timedelta(days=rng.randrange(0, 17 * 365))
        gender: Literal["male", "female"] = "male" if i % 2 else "female"
        number = idnumber.make(birth, gender, rng=rng)
        while number in used:
            number = idnumber.make(birth, gender, rng=rng)
        used.add(number)
        institution = rng.random() < 0.05
        approved = max(birth, date(2015, 1, 1)) + timedelta(days=rng.randrange(0, 3000))
        approved = min(approved, date(2026, 6, 1))
        revoked = rng.random() < 0.03
        out.append(
            (
                uuid.uuid4(),
                f"基准儿童{i:06d}",
                ring.encrypt(number),
                ring.lookup_hash(number),
                idnumber.mask(number),
                gender,
                birth,
                rng.choice(CATEGORIES),
                "institution" if institution else "dispersed",
                None if institution else rng.choice(villages),
                approved,
                "revoked" if revoked else "active",
                approved + timedelta(days=200) if revoked else None,
                "[]",
                json.dumps(
                    [
                        {
                            "name": f"监护人{i:06d}",
                            "relation": "parent",
                            "bank_account": f"6222{i:012d}",
                        }
                    ]
                ),
                "none",
                "{}",
                rng.choice(STAGES),
                1,
                now,
                now,
            )
        )
    return out


CHILD_COLUMNS = [
    "id",
    "name",
    "id_number_enc",
    "id_number_hash",
    "id_number_masked",
    "gender",
    "birth_date",
    "category",
    "placement",
    "village_code",
    "approved_on",
    "status",
    "revoked_on",
    "parents",
    "guardians",
    "household_assistance",
    "insurance",
    "school_stage",
    "version",
    "created_at",
    "updated_at",
]


def start_server(url: str, port: int) -> tuple[Any, threading.Thread]:
    """A real uvicorn serving the app on 127.0.0.1, in a thread with its own event loop."""
    import uvicorn

    from app.main import create_app

    settings = bench_settings(url)
    app = create_app(settings, engine=create_engine(url, settings))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    return server, thread


async def run(n_children: int, n_quotes: int) -> dict[str, Any]:
    from app import embedded

    server = embedded.start(ROOT / ".data", name="bench-pg")
    name = f"bench_subsidies_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(server, bench_settings(server))
    async with admin_engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    settings = bench_settings(url)
    engine = create_engine(url, settings)
    report: dict[str, Any] = {"children": n_children}
    server_thread: tuple[Any, threading.Thread] | None = None
    try:
        await upgrade(engine)
        villages = [
            f"{DISTRICT}{t:03d}{v:03d}"
            for t in range(1, TOWNS + 1)
            for v in range(1, VILLAGES_PER_TOWN + 1)
        ]
        admin_id = uuid.uuid4()
        async with engine.begin() as conn:
            areas = [
                {
                    "code": DISTRICT,
                    "name": "基准区",
                    "level": "district",
                    "parent_code": None,
                    "path": f"{DISTRICT}/",
                }
            ]
            for t in range(1, TOWNS + 1):
                town = f"{DISTRICT}{t:03d}"
                areas.append(
                    {
                        "code": town,
                        "name": f"基准{t}镇",
                        "level": "town",
                        "parent_code": DISTRICT,
                        "path": f"{DISTRICT}/{town}/",
                    }
                )
            for v in villages:
                areas.append(
                    {
                        "code": v,
                        "name": f"基准村{v[-6:]}",
                        "level": "village",
                        "parent_code": v[:9],
                        "path": f"{DISTRICT}/{v[:9]}/{v}/",
                    }
                )
            await conn.execute(insert(Area), areas)
            await conn.execute(
                insert(User),
                [
                    {
                        "id": admin_id,
                        "username": "admin",
                        "password_hash": hash_password("Bench-Pass-12345"),
                        "full_name": "基准管理员",
                        "role": "district_admin",
                        "area_code": DISTRICT,
                        "is_active": True,
                        "failed_logins": 0,
                        "version": 1,
                    }
                ],
            )
        ring = KeyRing.from_settings(
            settings.encryption_keys.get_secret_value(),
            settings.encryption_active_key_id,
            settings.hmac_key.get_secret_value(),
        )
        t0 = time.perf_counter()
        records = _child_records(n_children, ring, villages)
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            pg: Any = raw.driver_connection  # asyncpg's connection: binary COPY
            await pg.copy_records_to_table("children", records=records, columns=CHILD_COLUMNS)
            await pg.execute("ANALYZE children")
        report["load_children_s"] = round(time.perf_counter() - t0, 2)

        from app.kit.clock import FixedClock
        from app.kit.context import RequestContext
        from app.subsidies.payroll.service import create_payroll

        maker = create_sessionmaker(engine)
        principal = Principal(
            kind="user",
            id=admin_id,
            name="admin",
            role="district_admin",
            district_code=settings.district_code,
        )
        t0, cpu0 = time.perf_counter(), time.process_time()
        async with maker() as session:
            ctx = RequestContext.for_job(
                settings,
                FixedClock(datetime(2026, 6, 15, 2, tzinfo=UTC)),
                principal=principal,
                keyring=ring,
            )
            run_ = await create_payroll(session, ctx, MONTH)
            await session.commit()
        report["payroll_s"] = round(time.perf_counter() - t0, 2)
        report["payroll_cpu_s"] = round(time.process_time() - cpu0, 2)
        report["payroll_lines"] = run_.line_count
        report["payroll_total_fen"] = run_.total_fen

        child_ids = [r[0] for r in records[: min(len(records), 1000)]]
        async with engine.connect() as conn:
            paid = (
                await conn.execute(text("SELECT count(*) FROM subsidy_payroll_lines"))
            ).scalar_one()
            assert paid == run_.line_count
            _ = (await conn.execute(select(User.id))).all()

        port = free_port()
        server_thread = start_server(url, port)
        token, _ = create_access_token(
            settings, now=datetime.now(UTC), subject=admin_id, kind="user", extra={}
        )
        headers = {"Authorization": f"Bearer {token}"}
        base = f"http://127.0.0.1:{port}"
        await wait_ready(base, "/healthz")
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=10) as client:
            bodies = [
                {"child_id": str(child_ids[i % len(child_ids)]), "month": MONTH}
                if i % 2 == 0
                else {"category": CATEGORIES[i % len(CATEGORIES)], "month": MONTH}
                for i in range(n_quotes)
            ]
            for body in bodies[:20]:  # warm-up
                (await client.post("/api/v1/subsidy/quote", json=body)).raise_for_status()
            timings: list[float] = []
            for body in bodies:
                started = time.perf_counter()
                r = await client.post("/api/v1/subsidy/quote", json=body)
                timings.append((time.perf_counter() - started) * 1000)
                assert r.status_code == 200, r.text
        timings.sort()
        report["quotes"] = len(timings)
        report["quote_p50_ms"] = round(statistics.median(timings), 2)
        report["quote_p95_ms"] = round(timings[int(len(timings) * 0.95) - 1], 2)
        report["quote_max_ms"] = round(timings[-1], 2)
    finally:
        if server_thread is not None:
            server_thread[0].should_exit = True
            server_thread[1].join(timeout=10)
        await engine.dispose()
        async with admin_engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin_engine.dispose()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.subsidies")
    parser.add_argument("--small", action="store_true", help="CI size: 2,000 children, 200 quotes")
    parser.add_argument("--children", type=int, default=None)
    parser.add_argument("--quotes", type=int, default=None)
    args = parser.parse_args(argv)
    n = args.children or (2_000 if args.small else 100_000)
    q = args.quotes or (200 if args.small else 1_000)
    report = asyncio.run(run(n, q))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"subsidy engine benchmark (CPUs: {os.cpu_count()}, load average at the end: {load:.1f})")
    print(
        f"  children loaded (COPY):      {report['children']:>9,}  in {report['load_children_s']} s"
    )
    print(
        f"  payroll {MONTH}:             {report['payroll_lines']:>9,} lines, "
        f"{report['payroll_total_fen'] / 100:,.2f} yuan, in {report['payroll_s']} s "
        f"(Python CPU {report['payroll_cpu_s']} s; target < 10 s)"
    )
    print(
        f"  quote over HTTP (uvicorn):   {report['quotes']:>9,} requests, p50 {report['quote_p50_ms']} ms, "
        f"p95 {report['quote_p95_ms']} ms, max {report['quote_max_ms']} ms  (target p95 < 20 ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
