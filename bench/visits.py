"""Visits benchmark: batch uploads, an idle sync, the district's coverage — over real HTTP.

    python -m bench.visits            # 5,000 children, 3 years of visits, 709 directors
    python -m bench.visits --small    # CI size (< 30 s)

A fresh database on the embedded PostgreSQL ("bench-pg") is migrated and filled directly
(COPY): the demo district's 20 towns, 709 villages and 729 workers, the children, and a visit
for every child in every past month. A real uvicorn serves the app on 127.0.0.1; an aiohttp
client (lighter than httpx: it shares the 2 cores with the service) then measures
  1. 709 directors each uploading a batch of 10 visits (all must be accepted), `--concurrency`
     batches in flight at a time;
  2. GET /sync with an up-to-date cursor (nothing changed);
  3. GET /visits/coverage for the whole district for last month.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select, text

from app import embedded
from app.auth.tokens import create_access_token
from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.demo import _load_foundation
from app.kit import idnumber
from app.kit.clock import DISTRICT_TZ, month_of
from app.kit.crypto import KeyRing
from app.migrate import upgrade
from app.models import User
from bench.common import (
    Answer,
    LightClient,
    children_of,
    cpu_seconds,
    free_port,
    pct,
    postgres_cpu_seconds,
    wait_ready,
)

ROOT = Path(__file__).resolve().parent.parent
DISTRICT = "110115"


def summary(label: str, ms: list[float]) -> str:
    return (
        f"{label}: n={len(ms)} p50={statistics.median(ms):.1f} ms "
        f"p95={pct(ms, 95):.1f} ms max={max(ms):.1f} ms"
    )


def add_months(first: date, n: int) -> date:
    m = first.year * 12 + first.month - 1 + n
    return date(m // 12, m % 12 + 1, 1)


async def seed(url: str, settings: Settings, children: int, months: int) -> dict[str, Any]:
    engine = create_engine(url, settings)
    await upgrade(engine)
    maker = create_sessionmaker(engine)
    async with maker() as session:
        await _load_foundation(session, DISTRICT)
        await session.commit()
        users = (
            await session.execute(select(User.id, User.username, User.role, User.area_code))
        ).all()
    directors = {area: (uid, name) for uid, name, role, area in users if role == "village_director"}
    admin = next(uid for uid, name, _, _ in users if name == "admin")
    villages = sorted(directors)
    ring = KeyRing.from_settings(
        settings.encryption_keys.get_secret_value(),
        settings.encryption_active_key_id,
        settings.hmac_key.get_secret_value(),
    )
    rng = random.Random(7)
    today = datetime.now(UTC).astimezone(DISTRICT_TZ).date()
    this_month = today.replace(day=1)
    start = add_months(this_month, -months)
    child_rows = []
    by_village: dict[str, list[uuid.UUID]] = {}
    for i in range(children):
        village = villages[i % len(villages)]
        birth = date(2008, 1, 1) + timedelta(days=(i * 37) % 5000)
        gender: Literal["male", "female"] = "male" if i % 2 else "female"
        number = idnumber.make(birth, gender, sequence=(i * 13) % 500)
        cid = uuid.uuid4()
        by_village.setdefault(village, []).append(cid)
        child_rows.append(
            (
                cid,
                f"儿童{i:05d}",
                ring.encrypt(number),
                ring.lookup_hash(number),
                idnumber.mask(number),
                gender,
                birth,
                "orphan",
                "dispersed",
                village,
                start - timedelta(days=30),
                "active",
                "[]",
                '[{"name": "监护人", "relation": "grandparent", "phone": "13800000000"}]',
                "none",
                "{}",
                "primary",
                1,
            )
        )
    findings = json.dumps(
        {
            k: {"rating": "good", "text": "正常"}
            for k in ("living_conditions", "support_received", "schooling", "health")
        },
        ensure_ascii=False,
    )
    t0 = time.perf_counter()
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        pg: Any = raw.driver_connection
        # Unique ID hashes are only required among active children; the bench makes them unique.
        await pg.execute("DROP INDEX IF EXISTS uq_children_active_id_number")
        await pg.copy_records_to_table(
            "children",
            records=child_rows,
            columns=[
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
                "parents",
                "guardians",
                "household_assistance",
                "insurance",
                "school_stage",
                "version",
            ],
        )
        await pg.execute("ALTER TABLE visits DISABLE TRIGGER visits_sync_log")
        batch: list[tuple[Any, ...]] = []
        total = 0
        for m in range(months):
            first = add_months(start, m)
            days = (add_months(first, 1) - first).days
            for village, kids in by_village.items():
                uid, name = directors[village]
                for cid in kids:
                    day = first + timedelta(days=rng.randrange(days))
                    at = datetime(day.year, day.month, day.day, 2 + rng.randrange(8), tzinfo=UTC)
                    batch.append(
                        (
                            uuid.uuid4(),
                            cid,
                            at,
                            month_of(at),
                            "home",
                            findings,
                            "[]",
                            False,
                            "[]",
                            village,
                            uid,
                            name,
                            "0" * 64,
                            at,
                            at,
                        )
                    )
            if len(batch) > 50_000 or m == months - 1:
                await pg.copy_records_to_table(
                    "visits",
                    records=batch,
                    columns=[
                        "id",
                        "child_id",
                        "visited_at",
                        "visit_month",
                        "mode",
                        "findings",
                        "difficulties",
                        "suspected_infringement",
                        "photos",
                        "village_code",
                        "visitor_id",
                        "visitor_name",
                        "body_hash",
                        "created_at",
                        "updated_at",
                    ],
                )
                total += len(batch)
                batch = []
        await pg.execute("ALTER TABLE visits ENABLE TRIGGER visits_sync_log")
        await pg.execute(
            "INSERT INTO sync_changes (xid, child_id, entity, area_old, area_new) "
            "SELECT 0, child_id, 'visit', village_code, village_code FROM visits"
        )
        await pg.execute("ANALYZE")
        await conn.commit()
    await engine.dispose()
    return {
        "directors": directors,
        "by_village": by_village,
        "admin": admin,
        "visits": total,
        "seconds": time.perf_counter() - t0,
        "last_month": add_months(this_month, -1),
    }


def _cpu(server: int) -> tuple[float, float, float]:
    """CPU seconds so far: the API's worker processes, PostgreSQL, this process."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    return (
        cpu_seconds(children_of(server) or [server]),
        postgres_cpu_seconds(ROOT / ".data" / "bench-pg"),
        me.ru_utime + me.ru_stime,
    )


def start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        DATABASE_URL=url,
        APP_ENV="development",
        DEMO_DATA="0",
        MIGRATE_ON_START="0",
        RUN_WORKER_IN_PROCESS="0",
        LOG_LEVEL="WARNING",
        DB_POOL_SIZE="10",
    )
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    return subprocess.Popen(cmd, cwd=ROOT, env=env)


async def timed(
    concurrency: int, jobs: list[Callable[[], Awaitable[Answer]]]
) -> tuple[list[float], list[Answer], float]:
    sem = asyncio.Semaphore(concurrency)
    times: list[float] = []
    answers: list[Answer] = []

    async def one(job: Callable[[], Awaitable[Answer]]) -> None:
        async with sem:
            t = time.perf_counter()
            r = await job()
            times.append((time.perf_counter() - t) * 1000)
            answers.append(r)

    t0 = time.perf_counter()
    await asyncio.gather(*(one(j) for j in jobs))
    return times, answers, time.perf_counter() - t0


async def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    small = args.small
    children = 300 if small else 5000
    months = 12 if small else 36
    n_batches = 16 if small else 709
    settings = Settings(app_env="development", demo_data=False)
    server_url = embedded.start(ROOT / ".data", name="bench-pg")
    name = f"bench_visits_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(server_url, settings)
    async with admin_engine.connect() as c:
        await c.execution_options(isolation_level="AUTOCOMMIT")
        await c.execute(text(f'CREATE DATABASE "{name}"'))
    from sqlalchemy.engine import make_url

    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    proc: subprocess.Popen[bytes] | None = None
    try:
        data = await seed(url, settings, children, months)
        print(
            f"seeded {children} children, {data['visits']} visits over {months} months "
            f"in {data['seconds']:.1f} s"
        )
        port = free_port()
        proc = start_server(url, port, 1 if small and args.workers == 2 else args.workers)
        base = f"http://127.0.0.1:{port}"
        await wait_ready(base, "/healthz")
        now = datetime.now(UTC)
        async with LightClient(base, connections=args.concurrency) as client:
            tokens = {
                area: create_access_token(settings, now=now, subject=uid, kind="user", extra={})[0]
                for area, (uid, _) in data["directors"].items()
            }
            villages = sorted(data["by_village"])[:n_batches]

            def batch_job(village: str) -> Callable[[], Awaitable[Answer]]:
                kids = data["by_village"][village]
                visits = []
                for i in range(10):
                    visits.append(
                        {
                            "id": str(uuid.uuid4()),
                            "child_id": str(kids[i % len(kids)]),
                            "visited_at": (now - timedelta(minutes=30 + 20 * i)).isoformat(),
                            "mode": "home",
                            "findings": {
                                k: {"rating": "good", "text": "正常"}
                                for k in (
                                    "living_conditions",
                                    "support_received",
                                    "schooling",
                                    "health",
                                )
                            },
                            "difficulties": [{"kind": "living", "text": "需要冬衣"}]
                            if i == 0
                            else [],
                            "notes": f"第{i}次，{village} 探访记录，情况良好，无异常。",
                            "location": {"lat": 39.7, "lon": 116.3},
                        }
                    )
                headers = {"Authorization": f"Bearer {tokens[village]}"}
                return lambda: client.post(
                    "/api/v1/visits/batch", json={"visits": visits}, headers=headers
                )

            times, answers, wall = await timed(args.concurrency, [batch_job(v) for v in villages])
            created = sum(r.json().get("created", 0) for r in answers if r.status_code == 200)
            bad = [r.status_code for r in answers if r.status_code != 200]
            print(summary(f"batch of 10 visits ({args.concurrency} in flight)", times))
            print(
                f"  {len(answers)} batches, {created} visits accepted of {10 * len(answers)}, "
                f"errors {bad[:5]}, wall {wall:.1f} s, {10 * len(answers) / wall:.0f} visits/s"
            )
            ok = created == 10 * len(answers)

            # idle sync: first a full sync per director, then cursors with nothing changed
            sync_villages = villages[: 10 if small else 200]
            cursors: dict[str, str] = {}
            for v in sync_villages:
                r = await client.get(
                    "/api/v1/sync", headers={"Authorization": f"Bearer {tokens[v]}"}
                )
                cursors[v] = r.json()["next_cursor"]

            def sync_job(v: str) -> Callable[[], Awaitable[Answer]]:
                h = {"Authorization": f"Bearer {tokens[v]}", "Accept-Encoding": "gzip"}
                return lambda: client.get("/api/v1/sync", params={"cursor": cursors[v]}, headers=h)

            jobs = [sync_job(v) for _ in range(2 if small else 3) for v in sync_villages]
            cpu_before = _cpu(proc.pid)
            times, answers, _ = await timed(args.sync_concurrency, jobs)
            cpu = [
                (a - b) / len(jobs) * 1000 for a, b in zip(_cpu(proc.pid), cpu_before, strict=True)
            ]
            sizes = [len(r.content) for r in answers]
            changed = sum(1 for r in answers if r.json()["children"])
            print(summary(f"sync, nothing changed ({args.sync_concurrency} in flight)", times))
            print(f"  answer {max(sizes)} bytes, {changed} answers with changes")
            print(
                f"  CPU per call: API {cpu[0]:.2f} ms, PostgreSQL {cpu[1]:.2f} ms, "
                f"this client {cpu[2]:.2f} ms"
            )

            # coverage of the whole district for last month
            admin_token = create_access_token(
                settings, now=now, subject=data["admin"], kind="user", extra={}
            )[0]
            month = data["last_month"].strftime("%Y-%m")
            h = {"Authorization": f"Bearer {admin_token}", "Accept-Encoding": "gzip"}
            jobs = [
                lambda: client.get("/api/v1/visits/coverage", params={"month": month}, headers=h)
                for _ in range(3 if small else 20)
            ]
            times, answers, _ = await timed(1, jobs)
            cov = answers[0].json()["total"]
            print(summary(f"district coverage {month}", times))
            print(f"  due {cov['due']}, visited {cov['visited']}, coverage {cov['coverage']}")
        print(f"total {time.perf_counter() - started:.1f} s")
        return 0 if ok else 1
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)
        async with admin_engine.connect() as c:
            await c.execution_options(isolation_level="AUTOCOMMIT")
            await c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin_engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.visits")
    parser.add_argument("--small", action="store_true", help="CI size (< 30 s)")
    parser.add_argument("--concurrency", type=int, default=8, help="batches in flight")
    parser.add_argument("--sync-concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
