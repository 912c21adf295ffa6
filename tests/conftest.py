"""Test fixtures: a real PostgreSQL (DATABASE_URL, else the embedded one), migrated once.

Each test runs inside a transaction that is rolled back (the app's sessions join it through
savepoints). A small committed base of areas, accounts and agency clients is laid once per
test session; tests that need real commits (concurrency, the worker) use `committed_client`.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from app.auth.passwords import hash_password
from app.auth.tokens import create_access_token
from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.kit.clock import FixedClock
from app.kit.secrets import hash_client_secret
from app.main import create_app
from app.migrate import upgrade
from app.models import AgencyClient, Area, CaseworkAgency, User

ROOT = Path(__file__).resolve().parent.parent
# The tests' world is a city (CITY_CODE mode) of two districts: the district every test works in
# (DISTRICT, two towns, three villages) and a second one (DISTRICT_B) that must never see, nor be
# seen by, the first.
CITY = "110100"
DISTRICT = "110115"
TOWN1, TOWN2 = "110115001", "110115002"
VILLAGE1, VILLAGE2, VILLAGE3 = "110115001001", "110115001002", "110115002001"
DISTRICT_B = "110116"
TOWN_B = "110116001"
VILLAGE_B = "110116001001"
# code → (name, level, parent)
AREAS: dict[str, tuple[str, str, str | None]] = {
    CITY: ("测试市", "city", None),
    DISTRICT: ("测试区", "district", CITY),
    TOWN1: ("测试一镇", "town", DISTRICT),
    TOWN2: ("测试二镇", "town", DISTRICT),
    VILLAGE1: ("测试一村", "village", TOWN1),
    VILLAGE2: ("测试二村", "village", TOWN1),
    VILLAGE3: ("测试三村", "village", TOWN2),
    DISTRICT_B: ("测试乙区", "district", CITY),
    TOWN_B: ("乙区一镇", "town", DISTRICT_B),
    VILLAGE_B: ("乙区一村", "village", TOWN_B),
}


def pytest_collection_finish(session: pytest.Session) -> None:
    """Refuse a run in which two tests share a node id: pytest-xdist reports such tests as one,
    so all but one of them would never run while the run still passes."""
    counts = Counter(item.nodeid for item in session.items)
    repeated = sorted(nodeid for nodeid, n in counts.items() if n > 1)
    if repeated:
        raise pytest.UsageError(
            f"{len(repeated)} test node ids are not unique (give them ids): {repeated[:5]}"
        )


def area_path(code: str) -> str:
    """The materialised path of a base area: "110100/110115/110115001/"."""
    parent = AREAS[code][2]
    return (area_path(parent) if parent else "") + code + "/"


def area_rows() -> list[dict[str, Any]]:
    return [
        {"code": code, "name": name, "level": level, "parent_code": parent, "path": area_path(code)}
        for code, (name, level, parent) in AREAS.items()
    ]


PASSWORD = "Test-Pass-12345"
# A fixed "now" for every test: 2026-06-15 10:00 in Beijing.
NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)

USERS: dict[str, tuple[str, str]] = {
    # username: (role, area)
    "admin": ("district_admin", DISTRICT),
    "leader": ("district_leader", DISTRICT),
    "auditor": ("auditor", DISTRICT),
    "institute": ("institution_staff", DISTRICT),
    "sup1": ("town_supervisor", TOWN1),
    "sup2": ("town_supervisor", TOWN2),
    "dir1": ("village_director", VILLAGE1),
    "dir2": ("village_director", VILLAGE2),
    "dir3": ("village_director", VILLAGE3),
    # the second wave's roles: no area reach; each domain grants its own rows
    "protect": ("protection_staff", DISTRICT),
    "counsel": ("counsellor", DISTRICT),
    "caseworker": ("case_worker", DISTRICT),
    # the second district's staff: they must see nothing of DISTRICT (and DISTRICT's staff
    # nothing of theirs)
    "admin_b": ("district_admin", DISTRICT_B),
    "sup_b": ("town_supervisor", TOWN_B),
    "dir_b": ("village_director", VILLAGE_B),
    "protect_b": ("protection_staff", DISTRICT_B),
    # the city above both: aggregates of every district, no one's record (CITY_RECORD_ROLES)
    "city_admin": ("city_admin", CITY),
    "city_viewer": ("city_viewer", CITY),
}
# The contracted social-work agency (精准帮扶) the base "caseworker" works for.
CASEWORK_AGENCY_ID = uuid.UUID("5ca5e000-0000-4000-8000-000000000001")
USER_AGENCY = {"caseworker": CASEWORK_AGENCY_ID}
AGENCY_CLIENTS = (
    "police",
    "health",
    "education",
    "disabled_federation",
    "women_federation",
    "charity",
)
ALL_SCOPES = [
    "children:read",
    "referrals:read",
    "referrals:write",
    "screening:read",
    "programmes:read",
]
# The contracted accounts' art. 62 record check (app.kit.record_check): clear, valid on NOW.
RECORD_CHECKS: dict[str, dict[str, Any]] = {
    "counsel": {
        "record_check_queried_on": datetime(2026, 1, 10).date(),
        "record_check_result": "clear",
        "record_check_reference": "测试查询-2026-0001",
    },
}
NO_RECORD_CHECK = dict.fromkeys(
    ("record_check_queried_on", "record_check_result", "record_check_reference")
)


def make_settings(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "app_env": "test",
        "database_url": url,
        "jwt_signing_key": "test-signing-key-0123456789abcdef-0123456789",
        "encryption_keys": "t1:" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        "encryption_active_key_id": "t1",
        "hmac_key": "test-hmac-key-0123456789abcdef-0123456789",
        "migrate_on_start": False,
        "demo_data": False,
        "run_worker_in_process": False,
        "log_level": "WARNING",
        "db_pool_size": 5,
        "rate_limit_enabled": True,
        "prebuild_routes": False,  # each test's app would build all routes (~1 s), not just its own
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Base:
    users: dict[str, uuid.UUID]
    clients: dict[str, uuid.UUID]


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    """A fresh database for this test session, on DATABASE_URL's server or the embedded one.

    Under pytest-xdist each worker starts its own embedded server: the sync's cursor and the
    dashboard's cache are transaction-id horizons, and transaction ids are the whole server's, so
    another worker's open test transaction (in its own database) would hold them back."""
    server = os.environ.get("DATABASE_URL")
    if not server:
        from app import embedded

        worker = os.environ.get("PYTEST_XDIST_WORKER")
        server = embedded.start(ROOT / ".data", name=f"test-pg-{worker}" if worker else "test-pg")
    name = f"test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, make_settings(server))
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(server).set(database=name).render_as_string(hide_password=False)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-compatible server over HTTP (moto in server mode), started on first use and
    shared by the documents' and the audit checkpoints' tests."""
    from tests.documents.s3server import moto_server

    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
async def engine(settings: Settings, database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, settings)
    await upgrade(engine)
    yield engine
    await engine.dispose()


async def seed_base(
    engine: AsyncEngine, users: dict[str, uuid.UUID], clients: dict[str, uuid.UUID]
) -> None:
    """The committed base every test may rely on: areas, one account per role, agency clients."""
    pw = _password_hash()
    async with engine.begin() as conn:
        await conn.execute(insert(Area), area_rows())
        await conn.execute(
            insert(CaseworkAgency),
            [
                {
                    "id": CASEWORK_AGENCY_ID,
                    "name": "测试社工服务中心",
                    "contract_from": datetime(2026, 1, 1).date(),
                    "contract_to": datetime(2026, 12, 31).date(),
                    "hours_bought": 1000,
                    "hourly_rate_fen": 12000,
                    "district_code": DISTRICT,
                    "version": 1,
                }
            ],
        )
        await conn.execute(
            insert(User),
            [
                {
                    "id": users[name],
                    "username": name,
                    "password_hash": pw,
                    "full_name": f"测试{name}",
                    "role": role,
                    "area_code": area,
                    "is_active": True,
                    "failed_logins": 0,
                    "agency_id": USER_AGENCY.get(name),
                    "version": 1,
                    **RECORD_CHECKS.get(name, NO_RECORD_CHECK),
                }
                for name, (role, area) in USERS.items()
            ],
        )
        await conn.execute(
            insert(AgencyClient),
            [
                {
                    "id": clients[agency],
                    "client_id": f"test-{agency}",
                    "name": f"测试{agency}",
                    "agency": agency,
                    "area_code": DISTRICT,  # the base clients serve DISTRICT (a district agency)
                    "scopes": ALL_SCOPES,
                    "secret_hash": hash_client_secret(f"test-{agency}-secret"),
                    "is_active": True,
                    "version": 1,
                }
                for agency in AGENCY_CLIENTS
            ],
        )


@functools.cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture(scope="session")
async def base(engine: AsyncEngine) -> Base:
    users = {name: uuid.uuid4() for name in USERS}
    clients = {agency: uuid.uuid4() for agency in AGENCY_CLIENTS}
    await seed_base(engine, users, clients)
    return Base(users=users, clients=clients)


@pytest.fixture(scope="session")
async def committed_engine(database_url: str, base: Base) -> AsyncIterator[AsyncEngine]:
    """A second database for tests whose requests really commit (concurrency, the worker).

    It holds the same base (same ids, so `auth` works against it), and what those tests commit
    stays there instead of leaking into the shared test database's counts.
    """
    from app.manage import scratch_database

    async with scratch_database(database_url) as url:
        engine = create_engine(url, make_settings(url))
        await upgrade(engine)
        await seed_base(engine, base.users, base.clients)
        yield engine
        await engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def conn(engine: AsyncEngine, base: Base) -> AsyncIterator[AsyncConnection]:
    """The test's connection; everything it does is rolled back at the end.

    The dashboard's cached sections that a committed test (a live server, the worker) left
    behind are removed inside the test's transaction: each test computes its own figures,
    whichever test files ran before it in this process (pytest-xdist deals files out)."""
    async with engine.connect() as connection:
        trans = await connection.begin()
        await connection.execute(text("DELETE FROM dashboard_section_cache"))
        yield connection
        if trans.is_active:
            await trans.rollback()


@pytest.fixture
def sessionmaker(conn: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        bind=conn, expire_on_commit=False, autoflush=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as s:
        yield s


@pytest.fixture
async def app(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> AsyncIterator[FastAPI]:
    application = create_app(settings, engine=engine, sessionmaker=sessionmaker, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
async def committed_app(
    settings: Settings, committed_engine: AsyncEngine, clock: FixedClock
) -> AsyncIterator[FastAPI]:
    """An app whose requests really commit, on `committed_engine`'s database."""
    application = create_app(
        settings,
        engine=committed_engine,
        sessionmaker=create_sessionmaker(committed_engine),
        clock=clock,
    )
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def committed_client(committed_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=committed_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


AuthHeaders = Callable[..., dict[str, str]]


@pytest.fixture
def auth(settings: Settings, base: Base, clock: FixedClock) -> AuthHeaders:
    """`auth("dir1")` → Authorization headers for a base account; `auth(agency="police")` for a client."""

    def headers(
        username: str | None = None,
        *,
        agency: str | None = None,
        scopes: list[str] | None = None,
        user_id: uuid.UUID | None = None,
        lang: str | None = None,
    ) -> dict[str, str]:
        now = clock.now()
        if agency is not None:
            token, _ = create_access_token(
                settings,
                now=now,
                subject=base.clients[agency],
                kind="agency",
                extra={"agency": agency, "scopes": scopes if scopes is not None else ALL_SCOPES},
            )
        else:
            assert username is not None or user_id is not None
            subject = user_id or base.users[str(username)]
            token, _ = create_access_token(
                settings, now=now, subject=subject, kind="user", extra={}
            )
        h = {"Authorization": f"Bearer {token}"}
        if lang:
            h["Accept-Language"] = lang
        return h

    return headers


@pytest.fixture(scope="session")
def demo_documents_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database's document store (the demo stores a few files through the service)."""
    return tmp_path_factory.mktemp("demo-documents")


@pytest.fixture(scope="session")
async def demo_engine(database_url: str, demo_documents_dir: Path) -> AsyncIterator[AsyncEngine]:
    """A scratch database holding the whole demo data set (loaded once, by `app.demo.load`).

    Demo tests look at it rather than at the shared test database, where committed rows of
    other tests would make "205 children" a matter of test order.
    """
    from app import demo
    from app.manage import scratch_database

    async with scratch_database(database_url) as url:
        settings = make_settings(url, demo_data=True, documents_dir=demo_documents_dir)
        engine = create_engine(url, settings)
        await upgrade(engine)
        async with create_sessionmaker(engine)() as s:
            await demo.load(s, settings)
            await s.commit()
        yield engine
        await engine.dispose()


@pytest.fixture
async def demo_session(demo_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session on the demo database; what a test does in it is rolled back."""
    async with demo_engine.connect() as connection:
        trans = await connection.begin()
        maker = async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        async with maker() as s:
            yield s
        await trans.rollback()
