"""Dashboard summary latency over a real uvicorn on 127.0.0.1, at bench scale.

A fresh database on the embedded PostgreSQL ("bench-pg") is migrated and filled directly: the
demo district (20 towns, 709 villages, their workers), 5,000 ledger children with their history,
and — when those domains' models are installed — 3 years of monthly visits, open and overdue
follow-ups, incidents with referrals, and 1,000,000 screening records. Then

  1. GET /api/v1/dashboard/summary for the district (admin) and for a town (its supervisor),
     sequentially and with a few clients at once: p50 / p95 / max;
  2. the raw screening aggregation over the million rows (what the cache spares each request):
     on the real `screening_records` when the model exists, else on a stand-in table of the
     columns the provider reads.

    python -m bench.dashboard            # 5,000 children, 36 months, 1,000,000 screening rows
    python -m bench.dashboard --small    # CI: 500 children, 6 months, 20,000 rows (< 30 s)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from app import embedded
from app.auth.tokens import create_access_token
from app.config import Settings
from app.db import Base, create_engine, create_sessionmaker
from app.demo import _load_foundation
from app.kit.clock import DISTRICT_TZ
from app.migrate import upgrade
from app.models import User
from bench.common import free_port, pct, wait_ready

ROOT = Path(__file__).resolve().parent.parent
DISTRICT = "110115"
SCREENING_SQL = """
SELECT classification, count(*),
       count(*) FILTER (WHERE school_status = 'not_in_school' AND birth_date > $1
                        AND birth_date <= $2)
  FROM {table} GROUP BY classification
"""
CATEGORIES = ("orphan", "de_facto_unsupported", "poor_family_seriously_ill", "poor_family_disabled")


def report(label: str, ms: list[float]) -> str:
    return (
        f"{label}: n={len(ms)} p50={statistics.median(ms):.1f} ms "
        f"p95={pct(ms, 95):.1f} ms max={max(ms):.1f} ms"
    )


def add_months(first: date, n: int) -> date:
    m = first.year * 12 + first.month - 1 + n
    return date(m // 12, m % 12 + 1, 1)


def settings_for(url: str) -> Settings:
    return Settings(
        app_env="test",
        database_url=url,
        jwt_signing_key="bench-dashboard-signing-key-0123456789abcdef",
        encryption_keys="b1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        encryption_active_key_id="b1",
        hmac_key="bench-dashboard-hmac-key-0123456789abcdef",
        demo_data=False,
        migrate_on_start=False,
        run_worker_in_process=True,
        log_level="WARNING",
    )


async def seed(url: str, settings: Settings, children: int, months: int, screening: int) -> None:
    engine = create_engine(url, settings)
    await upgrade(engine)
    async with create_sessionmaker(engine)() as session:
        await _load_foundation(session, DISTRICT)
        await session.commit()
        directors = (
            await session.execute(
                select(User.id, User.area_code).where(User.role == "village_director")
            )
        ).all()
    villages = sorted(a for _, a in directors)
    director_of = {a: uid for uid, a in directors}
    rng = random.Random(8)
    today = datetime.now(UTC).astimezone(DISTRICT_TZ).date()
    this_month = today.replace(day=1)
    start = add_months(this_month, -months)
    tables = Base.metadata.tables
    t0 = time.perf_counter()
    async with engine.connect() as conn:
        pg: Any = (await conn.get_raw_connection()).driver_connection
        await pg.execute("DROP INDEX IF EXISTS uq_children_active_id_number")
        kids: list[tuple[Any, ...]] = []
        changes: list[tuple[Any, ...]] = []
        for i in range(children):
            cid = uuid.uuid4()
            village = villages[i % len(villages)] if i % 25 else None
            approved = start + timedelta(days=rng.randrange(0, max(1, months * 30)))
            revoked = approved + timedelta(days=400) if i % 17 == 0 else None
            if revoked is not None and revoked > today:
                revoked = None
            kids.append(
                (
                    cid, f"儿童{i:05d}", b"x", uuid.uuid4().hex, "110115********0000",
                    "female", date(2014, 1, 1) + timedelta(days=i % 3000),
                    CATEGORIES[i % 4], "dispersed" if village else "institution", village,
                    approved, "revoked" if revoked else "active", revoked,
                    "[]", "[]", "none", "{}", 1,
                )
            )  # fmt: skip
            changes.append((uuid.uuid4(), cid, "created", approved.replace(day=1), "[]", "{}"))
            if revoked:
                changes.append((uuid.uuid4(), cid, "revoked", revoked.replace(day=1), "[]", "{}"))
        await pg.copy_records_to_table(
            "children",
            records=kids,
            columns=[
                "id", "name", "id_number_enc", "id_number_hash", "id_number_masked", "gender",
                "birth_date", "category", "placement", "village_code", "approved_on", "status",
                "revoked_on", "parents", "guardians", "household_assistance", "insurance",
                "version",
            ],
        )  # fmt: skip
        change_columns = ["id", "child_id", "kind", "ledger_month", "changes", "state"]
        if "state" not in tables["child_changes"].c:  # the ledger's snapshot column, if merged
            change_columns.pop()
        await pg.copy_records_to_table(
            "child_changes",
            records=[c[: len(change_columns)] for c in changes],
            columns=change_columns,
        )
        print(f"children: {children} in {time.perf_counter() - t0:.1f} s", flush=True)
        dispersed = [(k[0], k[9], k[10]) for k in kids if k[9]]
        if "visits" in tables:
            t1 = time.perf_counter()
            visits: list[tuple[Any, ...]] = []
            for cid, village, approved in dispersed:
                for m in range(months + 1):
                    month = add_months(start, m)
                    if month < approved.replace(day=1) or rng.random() < 0.12:
                        continue
                    at = datetime(month.year, month.month, 10, 2, tzinfo=UTC)
                    visits.append(
                        (
                            uuid.uuid4(), cid, at, month, "home", "{}", "[]", False, "[]",
                            village, director_of[village], "儿童主任", uuid.uuid4().hex,
                        )
                    )  # fmt: skip
            await pg.copy_records_to_table(
                "visits",
                records=visits,
                columns=[
                    "id", "child_id", "visited_at", "visit_month", "mode", "findings",
                    "difficulties", "suspected_infringement", "photos", "village_code",
                    "visitor_id", "visitor_name", "body_hash",
                ],
            )  # fmt: skip
            print(f"visits: {len(visits)} in {time.perf_counter() - t1:.1f} s", flush=True)
            if "follow_ups" in tables:
                follow = []
                for n, v in enumerate(visits[:: max(1, len(visits) // 3000)]):
                    status = ("open", "in_progress", "resolved")[n % 3]
                    due = v[3] + timedelta(days=30)
                    follow.append(
                        (uuid.uuid4(), v[0], v[1], v[9][:9], "living", "困难", status, due, "[]", 1)
                    )
                await pg.copy_records_to_table(
                    "follow_ups",
                    records=follow,
                    columns=[
                        "id", "visit_id", "child_id", "town_code", "kind", "text", "status",
                        "due_on", "history", "version",
                    ],
                )  # fmt: skip
                print(f"follow-ups: {len(follow)}", flush=True)
        if "incidents" in tables and "referrals" in tables:
            reporter = directors[0][0]
            incs, refs = [], []
            now = datetime.now(UTC)
            for n in range(max(50, children // 10)):
                iid = uuid.uuid4()
                status = ("reported", "acknowledged", "investigating", "intervening", "closed")[
                    n % 5
                ]
                at = now - timedelta(hours=n * 7)
                incs.append(
                    (
                        iid, status, "substantiated" if status == "closed" else None,
                        villages[n % len(villages)], ["neglect"], ["abandonment_or_no_care"],
                        n % 7 == 0, n % 11 == 0,
                        reporter, "儿童主任", at, "[]", 1,
                    )
                )  # fmt: skip
                pending = status == "reported"
                refs.append(
                    (
                        uuid.uuid4(), iid, "police", "pending" if pending else "acknowledged",
                        False, at, at + timedelta(hours=1), None if pending else at,
                        at + timedelta(hours=1) if pending and n % 2 else None,
                    )
                )  # fmt: skip
            await pg.copy_records_to_table(
                "incidents",
                records=incs,
                columns=[
                    "id", "status", "outcome", "area_code", "kinds", "situations", "urgent",
                    "immediate_danger", "reporter_id", "reporter_name", "reported_at",
                    "interventions", "version",
                ],
            )  # fmt: skip
            await pg.copy_records_to_table(
                "referrals",
                records=refs,
                columns=[
                    "id", "incident_id", "agency", "status", "urgent", "referred_at",
                    "ack_due_at", "acknowledged_at", "escalated_at",
                ],
            )  # fmt: skip
            print(f"incidents: {len(incs)}", flush=True)
        t2 = time.perf_counter()
        real = "screening_records" in tables
        target = "screening_records" if real else "bench_screening_standin"
        if not real:
            await pg.execute(
                "CREATE TABLE bench_screening_standin (id bigserial PRIMARY KEY, classification "
                "varchar(16) NOT NULL, village_code varchar(12) NOT NULL, birth_date date NOT "
                "NULL, school_status varchar(24))"
            )
            await pg.execute(
                """
                INSERT INTO bench_screening_standin (classification, village_code, birth_date,
                                                     school_status)
                SELECT (ARRAY['migrant','left_behind','neither'])[1 + g % 3],
                       (SELECT array_agg(code ORDER BY code) FROM areas
                         WHERE level = 'village')[1 + g % 709],
                       DATE '2008-01-01' + (g % 6000),
                       CASE WHEN g % 41 = 0 THEN 'not_in_school' ELSE 'primary' END
                  FROM generate_series(1, $1) AS g
                """,
                screening,
            )
            await pg.execute("ANALYZE bench_screening_standin")
            print(
                f"screening stand-in: {screening} rows in {time.perf_counter() - t2:.1f} s "
                "(the screening model is not merged: its section is absent from the summary)",
                flush=True,
            )
        else:
            print("screening: the real table exists; seed it with bench.gen_screening + import")
        await pg.execute("ANALYZE")
        sql = SCREENING_SQL.replace("{table}", target)
        ms = []
        for _ in range(5):
            t = time.perf_counter()
            await pg.fetch(
                sql, today.replace(year=today.year - 16), today.replace(year=today.year - 6)
            )
            ms.append((time.perf_counter() - t) * 1000)
        print(report(f"raw screening aggregation over {target} (per request if uncached)", ms))
        await conn.commit()
    await engine.dispose()


def serve(url: str, settings: Settings, port: int) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "APP_ENV": "test",
        "DATABASE_URL": url,
        "JWT_SIGNING_KEY": settings.jwt_signing_key.get_secret_value(),
        "ENCRYPTION_KEYS": settings.encryption_keys.get_secret_value(),
        "ENCRYPTION_ACTIVE_KEY_ID": settings.encryption_active_key_id,
        "HMAC_KEY": settings.hmac_key.get_secret_value(),
        "DEMO_DATA": "0",
        "MIGRATE_ON_START": "0",
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_PER_MINUTE": "100000000",
    }
    cmd = [
        sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    return subprocess.Popen(cmd, cwd=ROOT, env=env)


async def measure(
    base: str, token: str, params: dict[str, str], n: int, concurrency: int
) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    out: list[float] = []
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as c:
        for _ in range(3):  # warm up: connections, caches, the pre-aggregated sections
            (await c.get("/api/v1/dashboard/summary", params=params)).raise_for_status()

        async def one() -> None:
            t = time.perf_counter()
            r = await c.get("/api/v1/dashboard/summary", params=params)
            out.append((time.perf_counter() - t) * 1000)
            r.raise_for_status()

        for _ in range(n // concurrency):
            await asyncio.gather(*(one() for _ in range(concurrency)))
        async with httpx.AsyncClient(base_url=base, headers=headers) as c2:
            body = (await c2.get("/api/v1/dashboard/summary", params=params)).json()
        print(f"  sections: {', '.join(body['sections'])}", flush=True)
    return out


async def run(args: argparse.Namespace) -> int:
    server = embedded.start(ROOT / ".data", name="bench-pg")
    name = f"bench_dashboard_{uuid.uuid4().hex[:8]}"
    base_settings = settings_for(server)
    admin_engine = create_engine(server, base_settings)
    async with admin_engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    settings = settings_for(url)
    proc: subprocess.Popen[bytes] | None = None
    try:
        await seed(url, settings, args.children, args.months, args.screening)
        engine = create_engine(url, settings)
        async with create_sessionmaker(engine)() as session:
            users = dict(
                (
                    await session.execute(
                        select(User.username, User.id).where(User.username.in_(["admin", "sup001"]))
                    )
                )
                .tuples()
                .all()
            )
        await engine.dispose()
        now = datetime.now(UTC)
        tokens = {
            u: create_access_token(settings, now=now, subject=uid, kind="user", extra={})[0]
            for u, uid in users.items()
        }
        port = free_port()
        proc = serve(url, settings, port)
        base = f"http://127.0.0.1:{port}"
        await wait_ready(base, "/healthz")
        figures: dict[str, float] = {}
        cases: list[tuple[str, str, dict[str, str], int]] = [
            ("district (admin), 1 client", "admin", {}, 1),
            ("district (admin), 4 clients", "admin", {}, 4),
            ("town 110115001 (sup001), 1 client", "sup001", {}, 1),
        ]
        for label, user, params, conc in cases:
            ms = await measure(base, tokens[user], params, args.requests, conc)
            print(report(f"GET /dashboard/summary {label}", ms), flush=True)
            figures[label] = pct(ms, 95)
        worst = max(figures.values())
        verdict = "OK" if worst < 150 else "OVER TARGET"
        print(f"worst p95 {worst:.1f} ms against the 150 ms target: {verdict}")
        return 0
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        if args.keep:
            print(f"kept: {url}")
        else:
            async with admin_engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin_engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--small", action="store_true", help="CI size, < 30 s")
    parser.add_argument("--children", type=int, default=5000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--screening", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the database (to profile)")
    args = parser.parse_args()
    if args.small:
        args.children, args.months, args.screening, args.requests = 500, 6, 20_000, 60
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
