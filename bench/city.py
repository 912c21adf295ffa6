"""City load benchmark (issue 31): N districts of one city, 3 API + 2 worker processes, PgBouncer.

    python -m bench.city                      # districts 1, 4 and 16 at full size, 60 s of load each
    python -m bench.city --small              # CI: districts 1 and 2, a small fraction, 8 s each
    python -m bench.city --districts 16 --seconds 120 --rate-scale 2

For each district count, on the embedded PostgreSQL ("bench-pg"):

1. a fresh database, migrated, then loaded fast (COPY through asyncpg): the city area above the
   districts (when the schema has the `city` level), per district its towns and villages (1/16 of
   11,000), one director per village, a supervisor per town and the district's staff; ledger
   children (1/16 of 3,300) with ID numbers of valid GB 11643 check characters, encrypted and
   HMAC-hashed as the children service stores them, and their `created` history entry; a year of
   monthly visits; screening records (1/16 of 550,000) through the import's own path
   (validate_row → stage_tuple → COPY → merge_records). The seconds this takes are "data load".
2. PgBouncer (Debian's, transaction mode as in k8s/) in front of that database; 3 API processes
   (uvicorn, one worker each, each its own port: the Service's round robin is the load
   generator's) and 2 `python -m app.worker` processes, all with DATABASE_PGBOUNCER=true,
   rate limits on (keyed by user), RUN_WORKER_IN_PROCESS=0.
3. the busiest hour's mix, open loop (Poisson arrivals, each request timed from its scheduled
   arrival, so a slow server cannot slow the arrivals: no coordinated omission), per district:

     POST /api/v1/visits              0.10/s  directors' phones upload a visit (month-end rush)
     GET  /api/v1/sync?cursor=…       1.00/s  phones syncing (about half of 690 every 6 minutes)
     POST /api/v1/incidents           0.01/s  mandatory reports by directors
     GET  /api/v1/dashboard/summary   0.05/s  district staff on the dashboard
     GET  /api/v1/children?limit=50   0.10/s  district staff reading the ledger
     GET  /api/v1/visits?limit=50     0.10/s  district staff reading visits
     GET  /api/v1/screening/records   0.05/s  district staff reading screening records

   plus, city-wide, one screening import (a CSV posted by the first district's admin, run by the
   workers) for as long as it takes. `--rate-scale` multiplies every rate.
4. printed: per route n, p50, p95, p99 and errors; throughput; CPU seconds of the API processes,
   the workers, PostgreSQL (from /proc: the postmaster's own, its exited backends' and its live
   backends'), PgBouncer and this load generator (to show it is not the
   bottleneck); the database size. Then the table of what grows how from 1 to 4 to 16 districts.
   The figures also go to .data/bench-city.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Literal

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import embedded
from app.auth.passwords import hash_password
from app.auth.roles import Role
from app.auth.tokens import create_access_token
from app.children.fields import state_of
from app.children.projection import ID_CONTEXT
from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.kit import idnumber
from app.kit.clock import DISTRICT_TZ, month_of
from app.kit.crypto import KeyRing
from app.migrate import upgrade
from app.models import Child
from app.models.areas import AREA_LEVELS
from app.screening.demo import demo_rows
from app.screening.imports import merge
from app.screening.imports.prepare import FastCrypto, stage_tuple
from app.screening.imports.rows import ValidRow, validate_row
from bench.common import LightClient, children_of, cpu_seconds, free_port, pct, wait_ready
from bench.gen_screening import generate_rows, write_file

ROOT = Path(__file__).resolve().parent.parent
PG_NAME = "bench-pg"
PG_DIR = ROOT / ".data" / PG_NAME
LOG = ROOT / ".data" / "bench-city.log"
RESULTS = ROOT / ".data" / "bench-city.json"
PASSWORD = "City-Bench-2026"  # synthetic accounts of a throw-away database

CITY_CODE: Final = "110100"
CITY_NAME: Final = "北京市（演示）"
# Beijing's 16 districts (GB/T 2260), in the order the benchmark adds them.
DISTRICTS: Final = (
    ("110115", "大兴区"), ("110101", "东城区"), ("110102", "西城区"), ("110105", "朝阳区"),
    ("110106", "丰台区"), ("110107", "石景山区"), ("110108", "海淀区"), ("110109", "门头沟区"),
    ("110111", "房山区"), ("110112", "通州区"), ("110113", "顺义区"), ("110114", "昌平区"),
    ("110116", "怀柔区"), ("110117", "平谷区"), ("110118", "密云区"), ("110119", "延庆区"),
)  # fmt: skip
_TOWN_SYLLABLES: Final = "青兰松柳杏枫梅竹桃荷石云明清星金长安永福"


@dataclass(frozen=True)
class Size:
    """Per district: 1/16 of the city's totals at full size."""

    towns: int
    villages: int
    children: int
    screening: int
    months: int  # of visits, one per child a month
    seconds: float  # of load
    import_rows: int  # the screening file imported during the load
    sync_phones: int  # directors whose phones sync (each did a full sync first)


FULL: Final = Size(
    towns=20, villages=688, children=206, screening=34_375, months=12, seconds=60,
    import_rows=20_000, sync_phones=40,
)  # fmt: skip
SMALL: Final = Size(
    towns=3, villages=30, children=20, screening=1_500, months=3, seconds=8,
    import_rows=1_500, sync_phones=4,
)  # fmt: skip

# The busiest hour, per district, requests a second (see the module docstring).
MIX: Final[dict[str, float]] = {
    "POST /visits": 0.10,
    "GET /sync (cursor)": 1.00,
    "POST /incidents": 0.01,
    "GET /dashboard/summary": 0.05,
    "GET /children?limit=50": 0.10,
    "GET /visits?limit=50": 0.10,
    "GET /screening/records?limit=50": 0.05,
}


def has_city_level() -> bool:
    return "city" in AREA_LEVELS


# ---------------------------------------------------------------------------- generator


@dataclass
class District:
    code: str
    name: str
    towns: list[str] = field(default_factory=list)
    villages: list[str] = field(default_factory=list)
    town_of: dict[str, str] = field(default_factory=dict)


def district_codes(n: int) -> list[tuple[str, str]]:
    if not 1 <= n <= len(DISTRICTS):
        raise ValueError(f"1 to {len(DISTRICTS)} districts")
    return list(DISTRICTS[:n])


def areas(n: int, size: Size) -> tuple[list[dict[str, Any]], list[District]]:
    """The area rows (parents first, with materialised paths) and each district's codes."""
    rows: list[dict[str, Any]] = []
    root = ""
    if has_city_level():
        rows.append(_area(CITY_CODE, CITY_NAME, "city", None, f"{CITY_CODE}/"))
        root = f"{CITY_CODE}/"
    out = []
    base, extra = divmod(size.villages, size.towns)
    for code, name in district_codes(n):
        d = District(code, name)
        dpath = f"{root}{code}/"
        parent = CITY_CODE if root else None
        rows.append(_area(code, f"{name}（演示）", "district", parent, dpath))
        for t in range(1, size.towns + 1):
            tcode = f"{code}{t:03d}"
            tname = f"{name[:-1]}{_TOWN_SYLLABLES[(t - 1) % 20]}{t:02d}演示镇"
            rows.append(_area(tcode, tname, "town", code, f"{dpath}{tcode}/"))
            d.towns.append(tcode)
            for v in range(1, base + (1 if t <= extra else 0) + 1):
                vcode = f"{tcode}{v:03d}"
                rows.append(
                    _area(vcode, f"{tname}{v:02d}村", "village", tcode, f"{dpath}{tcode}/{vcode}/")
                )
                d.villages.append(vcode)
                d.town_of[vcode] = tcode
        out.append(d)
    return rows, out


def _area(code: str, name: str, level: str, parent: str | None, path: str) -> dict[str, Any]:
    return {"code": code, "name": name, "level": level, "parent_code": parent, "path": path}


USER_COLUMNS: Final = (
    "id", "username", "password_hash", "full_name", "role", "area_code", "is_active",
    "failed_logins", "version",
)  # fmt: skip


def users(districts: list[District], password_hash: str) -> list[tuple[Any, ...]]:
    """The city's admin and viewer (with a city level); per district its admin, leader and auditor, a supervisor per town, a director per
    village (usernames `<district>-admin`, `<district>-sup<TTT>`, `<district>-dir<TTTVVV>`)."""
    out: list[tuple[Any, ...]] = []

    def add(username: str, full_name: str, role: str, area: str) -> None:
        out.append((uuid.uuid4(), username, password_hash, full_name, role, area, True, 0, 1))

    if has_city_level():
        add("city-admin", "市民政局管理员（演示）", Role.CITY_ADMIN, CITY_CODE)
        add("city-viewer", "市民政局统计员（演示）", Role.CITY_VIEWER, CITY_CODE)

    for d in districts:
        add(f"{d.code}-admin", f"{d.name}管理员（演示）", Role.DISTRICT_ADMIN, d.code)
        add(f"{d.code}-leader", f"{d.name}局领导（演示）", Role.DISTRICT_LEADER, d.code)
        add(f"{d.code}-auditor", f"{d.name}审计员（演示）", Role.AUDITOR, d.code)
        for t in d.towns:
            add(f"{d.code}-sup{t[-3:]}", f"督导员{t}（演示）", Role.TOWN_SUPERVISOR, t)
        for v in d.villages:
            add(f"{d.code}-dir{v[-6:]}", f"儿童主任{v}（演示）", Role.VILLAGE_DIRECTOR, v)
    return out


CHILD_COLUMNS: Final = (
    "id", "name", "id_number_enc", "id_number_hash", "id_number_masked", "gender", "birth_date",
    "category", "placement", "village_code", "approved_on", "status", "parents", "guardians",
    "household_assistance", "insurance", "school_stage", "version",
)  # fmt: skip
CATEGORIES: Final = ("orphan", "de_facto_unsupported", "poor_family_seriously_ill",
                     "poor_family_disabled")  # fmt: skip


@dataclass(frozen=True)
class GenChild:
    id: uuid.UUID
    name: str
    id_number: str
    gender: Literal["male", "female"]
    birth_date: date
    category: str
    village_code: str
    approved_on: date


def children(d: District, count: int, *, seed: int, today: date) -> list[GenChild]:
    """`count` ledger children of the district, each in one of its villages; ID numbers of the
    district's division code with valid check characters, unique within the city."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        birth = today - timedelta(days=rng.randrange(365, 17 * 365))
        gender: Literal["male", "female"] = "male" if rng.random() < 0.52 else "female"
        number = idnumber.make(birth, gender, division_code=d.code, sequence=i)
        out.append(
            GenChild(
                id=uuid.uuid4(),
                name=f"{'王李张刘陈杨黄赵吴周'[i % 10]}演示{i:04d}",
                id_number=number,
                gender=gender,
                birth_date=birth,
                category=CATEGORIES[i % 4],
                village_code=rng.choice(d.villages),
                approved_on=today - timedelta(days=rng.randrange(400, 2000)),
            )
        )
    return out


def child_tuple(c: GenChild, ring: KeyRing) -> tuple[Any, ...]:
    return (
        c.id, c.name, ring.encrypt(c.id_number, context=ID_CONTEXT),
        ring.lookup_hash(c.id_number), idnumber.mask(c.id_number), c.gender, c.birth_date,
        c.category, "dispersed", c.village_code, c.approved_on, "active", "[]",
        '[{"name": "演示监护人", "relation": "grandparent", "phone": "13800000000"}]',
        "none", "{}", "primary", 1,
    )  # fmt: skip


def add_months(first: date, n: int) -> date:
    m = first.year * 12 + first.month - 1 + n
    return date(m // 12, m % 12 + 1, 1)


FINDINGS: Final = {
    k: {"rating": "good", "text": "正常"}
    for k in ("living_conditions", "support_received", "schooling", "health")
}
VISIT_COLUMNS: Final = (
    "id", "child_id", "visited_at", "visit_month", "mode", "findings", "difficulties",
    "suspected_infringement", "photos", "village_code", "visitor_id", "visitor_name",
    "body_hash", "created_at", "updated_at",
)  # fmt: skip


def visits(
    kids: list[GenChild],
    director: dict[str, tuple[uuid.UUID, str]],
    months: int,
    *,
    seed: int,
    this_month: date,
) -> Iterator[tuple[Any, ...]]:
    """A visit of every child in each of the past `months` months, by its village's director."""
    rng = random.Random(seed)
    findings = json.dumps(FINDINGS, ensure_ascii=False)
    for m in range(months, 0, -1):
        first = add_months(this_month, -m)
        days = (add_months(first, 1) - first).days
        for c in kids:
            uid, name = director[c.village_code]
            day = first + timedelta(days=rng.randrange(days))
            at = datetime(day.year, day.month, day.day, 1 + rng.randrange(9), tzinfo=UTC)
            yield (
                uuid.uuid4(), c.id, at, month_of(at), "home", findings, "[]", False, "[]",
                c.village_code, uid, name, "0" * 64, at, at,
            )  # fmt: skip


def screening_tuples(
    d: District, count: int, *, seed: int, today: date, crypto: FastCrypto, seen: set[bytes]
) -> list[tuple[Any, ...]]:
    """`count` screened children of the district through the importer's own validation
    (validate_row: ID check characters, villages, dates, classification) and staging."""
    known = d.town_of.__contains__
    out: list[tuple[Any, ...]] = []
    round_ = 0
    while len(out) < count:
        round_ += 1
        want = count - len(out)
        for i, raw in enumerate(
            demo_rows(want, d.villages, seed=seed * 1000 + round_, today=today)
        ):
            row = validate_row(i + 2, raw, known_villages=known, district_code=d.code, today=today)
            if not isinstance(row, ValidRow):
                continue
            staged = stage_tuple(row, d.town_of[row.village_code], crypto)
            if staged[0] in seen:  # a made-up ID number drawn twice
                continue
            seen.add(staged[0])
            out.append(staged)
    return out


# ------------------------------------------------------------------------------ loading


@dataclass
class Loaded:
    districts: list[District]
    seconds: float
    children: int
    visits: int
    screening: int
    villages: int
    users: int
    staff: dict[str, uuid.UUID]  # district → its admin
    directors: dict[str, tuple[uuid.UUID, str]]  # village → (id, name)
    kids_by_village: dict[str, list[uuid.UUID]]
    db_bytes: int = 0


def keyring(settings: Settings) -> KeyRing:
    return KeyRing.from_settings(
        settings.encryption_keys.get_secret_value(),
        settings.encryption_active_key_id,
        settings.hmac_key.get_secret_value(),
    )


async def load(url: str, settings: Settings, n: int, size: Size) -> Loaded:
    """Migrate the database at `url`, then fill it for `n` districts; timed from after the
    migrations to the final ANALYZE."""
    engine = create_engine(url, settings)
    await upgrade(engine)
    t0 = time.perf_counter()
    ring = keyring(settings)
    crypto = FastCrypto(ring)
    today = datetime.now(UTC).astimezone(DISTRICT_TZ).date()
    this_month = today.replace(day=1)
    area_rows, districts = areas(n, size)
    user_rows = users(districts, hash_password(PASSWORD))
    directors = {r[5]: (r[0], r[3]) for r in user_rows if r[4] == Role.VILLAGE_DIRECTOR}
    staff = {r[5]: r[0] for r in user_rows if r[4] == Role.DISTRICT_ADMIN}
    n_children = n_visits = n_screening = 0
    kids_by_village: dict[str, list[uuid.UUID]] = {}
    try:
        async with engine.connect() as conn:
            pg: Any = (await conn.get_raw_connection()).driver_connection
            cols = ("code", "name", "level", "parent_code", "path")
            await pg.copy_records_to_table(
                "areas", records=[tuple(a[c] for c in cols) for a in area_rows], columns=cols
            )
            await pg.copy_records_to_table("users", records=user_rows, columns=USER_COLUMNS)
            for k, d in enumerate(districts):
                kids = children(d, size.children, seed=k + 1, today=today)
                for c in kids:
                    kids_by_village.setdefault(c.village_code, []).append(c.id)
                await pg.copy_records_to_table(
                    "children", records=[child_tuple(c, ring) for c in kids], columns=CHILD_COLUMNS
                )
                changes = [_created(c) for c in kids]
                await pg.copy_records_to_table(
                    "child_changes",
                    records=changes,
                    columns=("id", "child_id", "kind", "ledger_month", "changes", "state",
                             "effective_on", "version", "actor_name"),
                )  # fmt: skip
                batch = list(visits(kids, directors, size.months, seed=k, this_month=this_month))
                await pg.copy_records_to_table("visits", records=batch, columns=VISIT_COLUMNS)
                n_children += len(kids)
                n_visits += len(batch)
            await conn.commit()
        maker = create_sessionmaker(engine)
        seen: set[bytes] = set()
        async with maker() as session:
            await merge.ensure_stats_state(session, today)
            await session.commit()
        for k, d in enumerate(districts):
            records = screening_tuples(
                d, size.screening, seed=k + 1, today=today, crypto=crypto, seen=seen
            )
            for start in range(0, len(records), 20_000):
                async with maker() as session:
                    await merge.merge_records(
                        session, records[start : start + 20_000], import_id=None,
                        now=datetime.now(UTC),
                    )  # fmt: skip
                    await session.commit()
            n_screening += len(records)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE"))
        seconds = time.perf_counter() - t0
        async with engine.connect() as conn:
            size_bytes = int(
                (await conn.execute(text("SELECT pg_database_size(current_database())"))).scalar()
                or 0
            )
    finally:
        await engine.dispose()
    return Loaded(
        districts=districts,
        seconds=seconds,
        children=n_children,
        visits=n_visits,
        screening=n_screening,
        villages=sum(len(d.villages) for d in districts),
        users=len(user_rows),
        staff=staff,
        directors=directors,
        kids_by_village=kids_by_village,
        db_bytes=size_bytes,
    )


def _created(c: GenChild) -> tuple[Any, ...]:
    """The child's `created` history entry, its state as the children service keeps it."""
    child = Child(
        id=c.id, name=c.name, id_number_masked=idnumber.mask(c.id_number), gender=c.gender,
        birth_date=c.birth_date, category=c.category, placement="dispersed",
        village_code=c.village_code, approved_on=c.approved_on, status="active",
    )  # fmt: skip
    return (
        uuid.uuid4(), c.id, "created", c.approved_on.replace(day=1), "[]",
        json.dumps(state_of(child), ensure_ascii=False), c.approved_on, 1, "基准数据",
    )  # fmt: skip


# ---------------------------------------------------------------------------- processes


@dataclass
class Deployment:
    bases: list[str]
    api: list[subprocess.Popen[bytes]]
    workers: list[subprocess.Popen[bytes]]
    bouncer_pid: int

    def stop(self) -> None:
        for p in [*self.api, *self.workers]:
            p.terminate()
        for p in [*self.api, *self.workers]:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)


def service_env(via_bouncer: str) -> dict[str, str]:
    env = dict(
        os.environ,
        DATABASE_URL=via_bouncer,
        DATABASE_PGBOUNCER="true",
        DEMO_DATA="0",
        MIGRATE_ON_START="0",
        RUN_WORKER_IN_PROCESS="0",
        LOG_LEVEL="WARNING",
        DB_POOL_SIZE="10",
    )
    if has_city_level():
        env["CITY_CODE"] = CITY_CODE
    return env


def start_deployment(via_bouncer: str, bouncer_pid: int, log: Any) -> Deployment:
    env = service_env(via_bouncer)
    bases, api = [], []
    for _ in range(3):
        port = free_port()
        bases.append(f"http://127.0.0.1:{port}")
        cmd = [
            sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
            "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
        api.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log))
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "app.worker"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        for _ in range(2)
    ]
    return Deployment(bases, api, workers, bouncer_pid)


async def ready(dep: Deployment) -> None:
    for base, proc in zip(dep.bases, dep.api, strict=True):
        for _ in range(10):
            if proc.poll() is not None:
                raise RuntimeError(f"an API process exited ({proc.returncode}): see {LOG}")
            try:
                await wait_ready(base)
                break
            except RuntimeError:
                continue
        else:
            raise RuntimeError(f"{base} never became ready: see {LOG}")


# ----------------------------------------------------------------------------- the load


@dataclass
class RouteStats:
    ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


@dataclass
class RunResult:
    districts: int
    size: dict[str, Any]
    load_seconds: float
    rows: dict[str, int]
    db_mb_before: float
    db_mb_after: float
    seconds: float
    requests: int
    throughput: float
    routes: dict[str, dict[str, float]]
    errors: dict[str, dict[str, int]]
    cpu: dict[str, float]  # CPU seconds per wall second
    idle_cpu: dict[str, float]  # the same with no request in flight
    run_queue_wait: dict[str, float]  # seconds per second runnable but waiting for a core
    cpu_ms_per_request: dict[str, float]  # (busy - idle) per answered request
    route_cpu_ms: dict[str, dict[str, float]]  # route → process group → CPU ms per request
    import_rows: int
    import_seconds: float | None
    import_status: str
    load_average: tuple[float, float]  # the machine's 1-minute load average before, after


def _visit_body(child: uuid.UUID, now: datetime, rng: random.Random) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "child_id": str(child),
        "visited_at": (now - timedelta(minutes=rng.randrange(5, 600))).isoformat(),
        "mode": "home",
        "findings": FINDINGS,
        "notes": "压测探访记录，情况良好。",
    }


def _incident_body() -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "child": {"name": "压测儿童", "age": 10, "gender": "female"},
        "situations": ["abandonment_or_no_care"],
        "kinds": ["neglect"],
        "description": "长期无人照料（压测）",
        "discovered_at": datetime.now(UTC).isoformat(),
        "location": "村委会",
        "immediate_danger": False,
    }


async def drive(
    dep: Deployment,
    data: Loaded,
    settings: Settings,
    size: Size,
    *,
    seconds: float,
    rate_scale: float,
    import_file: Path,
    min_each: int,
    idle_seconds: float,
    per_route: int,
) -> RunResult:
    now = datetime.now(UTC)

    def token(uid: uuid.UUID) -> dict[str, str]:
        t = create_access_token(settings, now=now, subject=uid, kind="user", extra={})[0]
        return {"Authorization": f"Bearer {t}", "Accept-Encoding": "gzip"}

    rng = random.Random(31)
    clients = [LightClient(b, connections=64, timeout=60) for b in dep.bases]
    rr = [0]

    def client() -> LightClient:
        rr[0] += 1
        return clients[rr[0] % len(clients)]

    staff_h = {d.code: token(data.staff[d.code]) for d in data.districts}
    # Directors who visit: those of villages with children; phones that sync: a sample.
    visiting: dict[str, list[tuple[dict[str, str], list[uuid.UUID]]]] = {}
    phones: dict[str, list[tuple[dict[str, str], str]]] = {}
    director_h: dict[str, dict[str, str]] = {}
    for d in data.districts:
        with_kids = [v for v in d.villages if v in data.kids_by_village]
        visiting[d.code] = [
            (token(data.directors[v][0]), data.kids_by_village[v]) for v in with_kids
        ]
        director_h[d.code] = visiting[d.code][0][0] if visiting[d.code] else {}
        phones[d.code] = []
    try:
        # Each syncing phone's first (full) sync, a few at a time: the cursor of the mix.
        sem = asyncio.Semaphore(8)

        async def first_sync(code: str, village: str) -> None:
            h = token(data.directors[village][0])
            async with sem:
                r = await client().get("/api/v1/sync", headers=h)
            if r.status_code != 200:
                raise RuntimeError(f"first sync: HTTP {r.status_code} {r.text[:300]}")
            phones[code].append((h, r.json()["next_cursor"]))

        await asyncio.gather(
            *(
                first_sync(d.code, v)
                for d in data.districts
                for v in rng.sample(d.villages, min(size.sync_phones, len(d.villages)))
            )
        )
        # Probe every route once per district before the clock starts (and fail loudly).
        for d in data.districts:
            for route in MIX:
                r = await _call(route, d.code, client(), staff_h, visiting, phones, rng, now)
                if r is not None and r.status_code not in (200, 201):
                    raise RuntimeError(f"{route} ({d.code}): HTTP {r.status_code} {r.text[:300]}")

        # The screening import (city-wide, one at a time), posted as the load starts.
        first = data.districts[0]
        stats = {route: RouteStats() for route in MIX}
        arrivals: list[tuple[float, str, str]] = []
        for d in data.districts:
            for route, rate in MIX.items():
                t = 0.0
                while True:
                    t += rng.expovariate(rate * rate_scale)
                    if t >= seconds:
                        break
                    arrivals.append((t, route, d.code))
        # A rare route (incidents, 0.01/s) may draw no arrival at all in a short run: each route
        # gets at least `min_each` arrivals per run (added at uniform random moments), so that
        # each has a p95; the table prints n.
        for route in MIX:
            drawn = sum(1 for a in arrivals if a[1] == route)
            for _ in range(max(0, min_each - drawn)):
                code = rng.choice(data.districts).code
                arrivals.append((rng.uniform(0, seconds), route, code))
        arrivals.sort()
        # The deployment's idle cost (pollers, timers, the workers' claim loop): measured with no
        # request in flight, subtracted from the CPU per request below.
        idle0 = _cpu(dep)
        t_idle = time.perf_counter()
        await asyncio.sleep(idle_seconds)
        idle1 = _cpu(dep)
        idle_wall = time.perf_counter() - t_idle
        idle = {k: (idle1[k] - idle0[k]) / idle_wall for k in idle0}
        load_before = os.getloadavg()[0]
        me0 = resource.getrusage(resource.RUSAGE_SELF)
        cpu0, wait0 = _cpu(dep), _waits(dep)
        t0 = time.perf_counter()
        imp = asyncio.create_task(
            _import(dep.bases[0], staff_h[first.code], import_file, size.seconds * 20)
        )

        async def one(at: float, route: str, code: str) -> None:
            delay = t0 + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                r = await _call(route, code, client(), staff_h, visiting, phones, rng, now)
            except Exception as exc:  # a timeout or a dropped connection: counted
                stats[route].error(type(exc).__name__)
                return
            if r is None:
                return
            if r.status_code not in (200, 201):
                stats[route].error(str(r.status_code))
                return
            stats[route].ms.append((time.perf_counter() - (t0 + at)) * 1000)

        await asyncio.gather(*(one(at, route, code) for at, route, code in arrivals))
        wall = time.perf_counter() - t0
        cpu1, wait1 = _cpu(dep), _waits(dep)
        me1 = resource.getrusage(resource.RUSAGE_SELF)
        import_seconds, import_status = await imp
        # Each route's own cost: `per_route` requests of it alone, one at a time, the districts
        # in turn; the deployment's CPU over the pass, less its idle CPU, per answered request.
        route_cpu: dict[str, dict[str, float]] = {}
        for route in MIX:
            c0, p0 = _cpu(dep), time.perf_counter()
            answered = 0
            for i in range(per_route):
                code = data.districts[i % len(data.districts)].code
                r = await _call(route, code, client(), staff_h, visiting, phones, rng, now)
                answered += r is not None and r.status_code in (200, 201)
            c1, spent = _cpu(dep), time.perf_counter() - p0
            route_cpu[route] = {
                k: max(0.0, c1[k] - c0[k] - idle[k] * spent) / max(answered, 1) * 1000 for k in c0
            }
    finally:
        for c in clients:
            await c.aclose()
    cpu = {k: (cpu1[k] - cpu0[k]) / wall for k in cpu0}
    waiting = {k: (wait1[k] - wait0[k]) / wall for k in wait0}
    cpu["load generator"] = (me1.ru_utime + me1.ru_stime - me0.ru_utime - me0.ru_stime) / wall
    done = sum(len(s.ms) for s in stats.values())
    per_request = {
        k: max(0.0, v - idle.get(k, 0.0)) * wall / max(done, 1) * 1000 for k, v in cpu.items()
    }
    return RunResult(
        districts=len(data.districts),
        size=asdict(size),
        load_seconds=data.seconds,
        rows={
            "villages": data.villages,
            "users": data.users,
            "children": data.children,
            "visits": data.visits,
            "screening_records": data.screening,
        },
        db_mb_before=data.db_bytes / 1e6,
        db_mb_after=0.0,
        seconds=wall,
        requests=done,
        throughput=done / wall,
        routes={
            route: {
                "n": len(s.ms),
                "p50": pct(s.ms, 50) if s.ms else float("nan"),
                "p95": pct(s.ms, 95) if s.ms else float("nan"),
                "p99": pct(s.ms, 99) if s.ms else float("nan"),
            }
            for route, s in stats.items()
        },
        errors={route: s.errors for route, s in stats.items() if s.errors},
        cpu=cpu,
        idle_cpu=idle,
        run_queue_wait=waiting,
        cpu_ms_per_request=per_request,
        route_cpu_ms=route_cpu,
        import_rows=size.import_rows,
        import_seconds=import_seconds,
        import_status=import_status,
        load_average=(load_before, os.getloadavg()[0]),
    )


async def _call(
    route: str,
    code: str,
    c: LightClient,
    staff_h: dict[str, dict[str, str]],
    visiting: dict[str, list[tuple[dict[str, str], list[uuid.UUID]]]],
    phones: dict[str, list[tuple[dict[str, str], str]]],
    rng: random.Random,
    now: datetime,
) -> Any:
    if route == "POST /visits":
        if not visiting[code]:
            return None
        h, kids = rng.choice(visiting[code])
        return await c.post(
            "/api/v1/visits", json=_visit_body(rng.choice(kids), now, rng), headers=h
        )
    if route == "GET /sync (cursor)":
        h, cursor = rng.choice(phones[code])
        return await c.get("/api/v1/sync", params={"cursor": cursor}, headers=h)
    if route == "POST /incidents":
        if not visiting[code]:
            return None
        h, _ = rng.choice(visiting[code])
        return await c.post("/api/v1/incidents", json=_incident_body(), headers=h)
    h = staff_h[code]
    if route == "GET /dashboard/summary":
        return await c.get("/api/v1/dashboard/summary", headers=h)
    if route == "GET /children?limit=50":
        return await c.get("/api/v1/children", params={"limit": "50"}, headers=h)
    if route == "GET /visits?limit=50":
        return await c.get("/api/v1/visits", params={"limit": "50"}, headers=h)
    if route == "GET /screening/records?limit=50":
        return await c.get("/api/v1/screening/records", params={"limit": "50"}, headers=h)
    raise AssertionError(route)


async def _import(
    base: str, h: dict[str, str], path: Path, limit: float
) -> tuple[float | None, str]:
    """Post the screening file; poll until it is done (seconds, status)."""
    async with httpx.AsyncClient(base_url=base, headers=h, timeout=120) as c:
        t0 = time.perf_counter()
        with path.open("rb") as f:
            r = await c.post(
                "/api/v1/screening/imports", files={"file": (path.name, f, "text/csv")}
            )
        if r.status_code != 202:
            return None, f"HTTP {r.status_code}: {r.text[:200]}"
        url = f"/api/v1/screening/imports/{r.json()['id']}"
        status = "queued"
        while time.perf_counter() - t0 < limit:
            await asyncio.sleep(0.5)
            got = await c.get(url)
            if got.status_code != 200:
                return None, f"HTTP {got.status_code}"
            status = got.json()["status"]
            if status in ("done", "failed", "cancelled"):
                return time.perf_counter() - t0, status
        return None, f"{status} after {limit:.0f} s"


def tree_cpu_seconds(pids: list[int]) -> float:
    """CPU seconds of processes with their children: their own, their exited children's
    (reaped: cutime + cstime) and their live children's (the screening import's parser, the
    postmaster's backends, which come and go)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += sum(int(f) for f in fields[11:15]) / tick
        total += cpu_seconds(children_of(pid))
    return total


def run_queue_wait_seconds(pids: list[int]) -> float:
    """Seconds the processes' threads have spent runnable but waiting for a core
    (/proc/<pid>/task/<tid>/schedstat, second field, ns): on a shared machine, what the
    service's latency is made of besides its own work."""
    total = 0
    for pid in pids:
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                total += int((task / "schedstat").read_text().split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return total / 1e9


def _cpu(dep: Deployment) -> dict[str, float]:
    try:
        postmaster = int((PG_DIR / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        postmaster = 0
    return {
        "API (3)": tree_cpu_seconds([p.pid for p in dep.api]),
        "workers (2)": tree_cpu_seconds([p.pid for p in dep.workers]),
        "PostgreSQL": tree_cpu_seconds([postmaster]) if postmaster else 0.0,
        "PgBouncer": tree_cpu_seconds([dep.bouncer_pid]),
    }


def _waits(dep: Deployment) -> dict[str, float]:
    return {
        "API (3)": run_queue_wait_seconds([p.pid for p in dep.api]),
        "workers (2)": run_queue_wait_seconds([p.pid for p in dep.workers]),
    }


# ---------------------------------------------------------------------------------- run


async def new_database(server: str, settings: Settings) -> str:
    name = f"bench_city_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, settings)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


async def drop_database(server: str, settings: Settings, url: str) -> None:
    admin = create_engine(server, settings)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    await admin.dispose()


async def drop_stale_databases(server: str, settings: Settings) -> None:
    """Databases of an interrupted run (Ctrl-C during a load) hold hundreds of MB: drop them."""
    admin = create_engine(server, settings)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        names = (
            await conn.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE 'bench_city_%'")
            )
        ).scalars()
        for name in list(names):
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def db_megabytes(url: str, settings: Settings) -> float:
    engine = create_engine(url, settings)
    try:
        async with engine.connect() as conn:
            got = (await conn.execute(text("SELECT pg_database_size(current_database())"))).scalar()
    finally:
        await engine.dispose()
    return int(got or 0) / 1e6


async def one_city(
    server: str, settings: Settings, n: int, size: Size, seconds: float, rate_scale: float
) -> RunResult:
    from tests.ops.pgbouncer import run_pgbouncer

    url = await new_database(server, settings)
    log = LOG.open("ab")
    dep: Deployment | None = None
    try:
        data = await load(url, settings, n, size)
        print(
            f"  {n} district(s): loaded {data.villages} villages, {data.users} users, "
            f"{data.children} children, {data.visits} visits, {data.screening} screening "
            f"records in {data.seconds:.1f} s ({data.db_bytes / 1e6:.0f} MB)",
            flush=True,
        )
        import_file = PG_DIR.parent / f"bench-city-import-{n}.csv"
        write_file(
            import_file,
            generate_rows(size.import_rows, villages=data.districts[0].villages, seed=n + 100),
        )
        with run_pgbouncer(url, pool_size=20) as bouncer:
            pid = _pgbouncer_pid(bouncer.port)
            dep = start_deployment(bouncer.url(str(make_url(url).database)), pid, log)
            t1 = time.perf_counter()
            await ready(dep)
            print(
                f"  3 API + 2 worker processes ready in {time.perf_counter() - t1:.1f} s",
                flush=True,
            )
            result = await drive(
                dep, data, settings, size, seconds=seconds, rate_scale=rate_scale,
                import_file=import_file, min_each=5 if size is SMALL else 20,
                idle_seconds=3 if size is SMALL else 15, per_route=5 if size is SMALL else 30,
            )  # fmt: skip
            dep.stop()
            dep = None
        import_file.unlink(missing_ok=True)
        result.db_mb_after = await db_megabytes(url, settings)
        return result
    finally:
        if dep is not None:
            dep.stop()
        log.close()
        await drop_database(server, settings, url)


def _pgbouncer_pid(port: int) -> int:
    """The pgbouncer listening on `port` (its command line names its ini in a temp dir)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"pgbouncer") and len(cmd) > 1:
            ini = Path(cmd[-2].decode() if not cmd[-1] else cmd[-1].decode())
            try:
                if f"listen_port = {port}" in ini.read_text():
                    return int(proc.name)
            except OSError:
                continue
    return 0


def print_run(r: RunResult) -> None:
    print(
        f"bench.city: {r.districts} district(s), {r.seconds:.0f} s of the busiest-hour mix, "
        f"3 API + 2 worker processes through PgBouncer (transaction mode)"
    )
    print(f"  {'route':<34} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  errors")
    for route, s in r.routes.items():
        err = r.errors.get(route, {})
        print(
            f"  {route:<34} {int(s['n']):6d} {s['p50']:8.1f} {s['p95']:8.1f} {s['p99']:8.1f}  "
            f"{err or ''}"
        )
    print(f"  throughput {r.throughput:.1f} requests/s ({r.requests} answered)")
    imp = (
        f"{r.import_rows} rows in {r.import_seconds:.1f} s "
        f"({r.import_rows / r.import_seconds:.0f} rows/s)"
        if r.import_seconds
        else "not finished"
    )
    print(f"  screening import: {imp}, {r.import_status}")
    cores = ", ".join(f"{k} {v:.2f}" for k, v in r.cpu.items())
    per = ", ".join(f"{k} {v:.1f}" for k, v in r.cpu_ms_per_request.items())
    idle = ", ".join(f"{k} {v:.3f}" for k, v in r.idle_cpu.items())
    print(f"  CPU (cores busy): {cores}")
    print(f"  CPU idle (cores, before the load): {idle}")
    waits = ", ".join(f"{k} {v:.2f}" for k, v in r.run_queue_wait.items())
    print(f"  runnable but waiting for a core (s per s, all threads): {waits}")
    print(f"  CPU per answered request, over idle (ms, the import's work included): {per}")
    print(
        "  CPU per request of each route alone, over idle (ms): API, PostgreSQL, workers, PgBouncer"
    )
    for route, c in r.route_cpu_ms.items():
        print(
            f"    {route:<34} {c['API (3)']:6.1f} {c['PostgreSQL']:6.1f} {c['workers (2)']:6.1f} "
            f"{c['PgBouncer']:6.1f}"
        )
    print(
        f"  database {r.db_mb_before:.0f} MB after the load, {r.db_mb_after:.0f} MB after the run"
    )


def print_growth(results: list[RunResult]) -> None:
    if not results:
        return
    head = "".join(f"{str(r.districts) + ' district' + ('s' if r.districts > 1 else ''):>14}"
                   for r in results)  # fmt: skip
    print(f"\nbench.city: what grows how\n  {'':<54}{head}")

    def row(label: str, values: list[str]) -> None:
        print(f"  {label:<54}" + "".join(f"{v:>14}" for v in values))

    row("villages / children", [f"{r.rows['villages']}/{r.rows['children']}" for r in results])
    row("visits / screening records",
        [f"{r.rows['visits']}/{r.rows['screening_records']}" for r in results])  # fmt: skip
    row("data load (s)", [f"{r.load_seconds:.1f}" for r in results])
    for route in MIX:
        row(f"p95 {route} (ms)", [f"{r.routes[route]['p95']:.1f}" for r in results])
    row("throughput (requests/s)", [f"{r.throughput:.1f}" for r in results])
    row("screening import (rows/s)", [
        f"{r.import_rows / r.import_seconds:.0f}" if r.import_seconds else "-" for r in results
    ])  # fmt: skip
    row("PostgreSQL CPU (cores)", [f"{r.cpu['PostgreSQL']:.2f}" for r in results])
    row("API CPU (cores, 3 processes)", [f"{r.cpu['API (3)']:.2f}" for r in results])
    row("workers CPU (cores, 2 processes)", [f"{r.cpu['workers (2)']:.2f}" for r in results])
    row("API waiting for a core (s/s)", [f"{r.run_queue_wait['API (3)']:.2f}" for r in results])
    row("load generator CPU (cores)", [f"{r.cpu['load generator']:.2f}" for r in results])
    row("idle CPU, API+workers+PG (cores)", [
        f"{r.idle_cpu['API (3)'] + r.idle_cpu['workers (2)'] + r.idle_cpu['PostgreSQL']:.2f}"
        for r in results
    ])  # fmt: skip
    row("API CPU per request (ms)", [f"{r.cpu_ms_per_request['API (3)']:.1f}" for r in results])
    row("PG CPU per request (ms)", [f"{r.cpu_ms_per_request['PostgreSQL']:.1f}" for r in results])
    row("workers CPU per request (ms)",
        [f"{r.cpu_ms_per_request['workers (2)']:.1f}" for r in results])  # fmt: skip
    for route in MIX:
        row(f"CPU/req {route} (ms, API+PG)", [
            f"{r.route_cpu_ms[route]['API (3)'] + r.route_cpu_ms[route]['PostgreSQL']:.1f}"
            for r in results
        ])  # fmt: skip
    row("database size (MB)", [f"{r.db_mb_after:.0f}" for r in results])
    errors = [sum(sum(e.values()) for e in r.errors.values()) for r in results]
    row("failed requests", [str(e) for e in errors])


async def main(args: argparse.Namespace) -> int:
    from tests.ops.pgbouncer import pgbouncer_binary

    if pgbouncer_binary() is None:
        print("pgbouncer is not installed (Debian package; CI: .ci/install-pgbouncer)",
              file=sys.stderr)  # fmt: skip
        return 1
    size = SMALL if args.small else FULL
    counts = [int(x) for x in (args.districts or ("1,2" if args.small else "1,4,16")).split(",")]
    seconds = args.seconds or size.seconds
    args.rate_scale = args.rate_scale or (4.0 if args.small else 1.0)
    settings = Settings(demo_data=False)
    server = embedded.start(ROOT / ".data", name=PG_NAME)
    await drop_stale_databases(server, settings)
    print(
        f"bench.city ({'small' if args.small else 'full'}): districts {counts}, per district "
        f"{size.villages} villages, {size.children} children, {size.screening} screening "
        f"records, {size.months} months of visits; {seconds:.0f} s of load at "
        f"{sum(MIX.values()) * args.rate_scale:.2f} requests/s per district"
        + ("" if has_city_level() else " (no `city` area level in this schema: districts only)"),
        flush=True,
    )
    results = []
    for n in counts:
        r = await one_city(server, settings, n, size, seconds, args.rate_scale)
        print_run(r)
        results.append(r)
    print_growth(results)
    RESULTS.write_text(json.dumps([asdict(r) for r in results], indent=1, ensure_ascii=False))
    failed = sum(sum(sum(e.values()) for e in r.errors.values()) for r in results)
    finished = all(r.import_status == "done" for r in results)
    ok = failed == 0 and finished
    print("  result:", "every request answered, every import done" if ok else "FAILURES")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.city")
    parser.add_argument("--small", action="store_true", help="CI size")
    parser.add_argument("--districts", help="comma-separated district counts (default 1,4,16)")
    parser.add_argument("--seconds", type=float, default=0, help="seconds of load per count")
    parser.add_argument(
        "--rate-scale", type=float, default=0, help="multiply every rate (default 1; small: 4)"
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
