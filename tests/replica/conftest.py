"""A real streaming standby of the test server, for the read-replica tests (app/replica.py).

The standby is a second PostgreSQL from the same binaries as the embedded test server
(pgserver's `pginstall/bin`): `pg_basebackup -R -X stream` of the running server into a fresh
data directory, started as a hot standby on its own socket directory. It replicates the whole
server; the tests use a scratch database of their own (created before the backup, so the
standby has it from the start), where requests really commit. Started once per module,
stopped and removed at its end.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.kit.clock import FixedClock
from app.main import create_app
from app.manage import scratch_database
from app.migrate import upgrade
from tests.conftest import Base, make_settings, seed_base


def _bin(name: str) -> str:
    from pgserver._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _run_as() -> dict[str, Any]:
    # pgserver runs its servers as the `pgserver` account when started by root.
    return {"user": "pgserver"} if os.geteuid() == 0 else {}


@dataclass
class Standby:
    """The hot standby: its directories, URL (same database as the primary's) and control."""

    root: Path
    socket_dir: Path
    primary_url: str
    url: str

    @property
    def pgdata(self) -> Path:
        return self.root / "data"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            [_bin("pg_ctl"), "-D", str(self.pgdata), *args],
            check=True,
            capture_output=True,
            timeout=60,
            **_run_as(),
        )

    def start(self) -> None:
        self._pg_ctl(
            "-w",
            "-t",
            "60",
            "-l",
            str(self.root / "standby.log"),
            "-o",
            f"-h '' -k {self.socket_dir} -c hot_standby=on -c port=5432",
            "start",
        )

    def stop(self) -> None:
        self._pg_ctl("-w", "-m", "fast", "stop")

    @property
    def running(self) -> bool:
        return (self.pgdata / "postmaster.pid").exists()

    async def execute(self, sql: str, **params: Any) -> Any:
        """One statement on the standby as the superuser (replay control, pg_stat_activity)."""
        engine = create_engine(self.url, make_settings(self.url))
        try:
            async with engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                return (await conn.execute(text(sql), params)).all()
        finally:
            await engine.dispose()

    async def pause_replay(self) -> None:
        await self.execute("SELECT pg_wal_replay_pause()")

    async def resume_replay(self) -> None:
        await self.execute("SELECT pg_wal_replay_resume()")

    async def caught_up(self, within: float = 20.0) -> None:
        """Wait until the standby has replayed everything the primary has written so far."""
        primary = create_engine(self.primary_url, make_settings(self.primary_url))
        try:
            async with primary.connect() as conn:
                lsn = (await conn.execute(text("SELECT pg_current_wal_lsn()::text"))).scalar()
        finally:
            await primary.dispose()
        async with asyncio.timeout(within):
            while True:
                rows = await self.execute(
                    "SELECT pg_last_wal_replay_lsn() >= CAST(CAST(:lsn AS text) AS pg_lsn)", lsn=lsn
                )
                if rows[0][0]:
                    return
                await asyncio.sleep(0.05)


@pytest.fixture(scope="module")
async def replica_db(database_url: str, base: Base) -> AsyncIterator[str]:
    """The module's own database on the test server (migrated, with the base accounts)."""
    if os.environ.get("DATABASE_URL"):
        pytest.skip("the standby is built from the embedded test server's own binaries")
    async with scratch_database(database_url) as url:
        engine = create_engine(url, make_settings(url))
        await upgrade(engine)
        await seed_base(engine, base.users, base.clients)
        await engine.dispose()
        yield url


@pytest.fixture(scope="module")
def standby(replica_db: str) -> Iterator[Standby]:
    """A hot standby of the test server, streaming from it (pg_basebackup -R -X stream)."""
    primary = make_url(replica_db)
    primary_socket = str(primary.query["host"])
    root = Path(tempfile.mkdtemp(prefix="standby-"))  # short: the socket path has a limit
    socket_dir = root / "sock"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        root.chmod(0o755)
        socket_dir.chmod(0o777)
    run_as = _run_as()
    if run_as:
        shutil.chown(root, "pgserver", "pgserver")
        shutil.chown(socket_dir, "pgserver", "pgserver")
    url = primary.update_query_dict({"host": str(socket_dir)}).render_as_string(hide_password=False)
    node = Standby(root=root, socket_dir=socket_dir, primary_url=replica_db, url=url)
    try:
        subprocess.run(
            [
                _bin("pg_basebackup"),
                "-h",
                primary_socket,
                "-p",
                str(primary.port or 5432),
                "-U",
                primary.username or "postgres",
                "-D",
                str(node.pgdata),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            timeout=120,
            **run_as,
        )
        # Not the primary's handle file: pgserver's process list belongs to the primary.
        with contextlib.suppress(FileNotFoundError):
            (node.pgdata / ".handle_pids.json").unlink()
        node.start()
        yield node
    finally:
        if node.running:
            with contextlib.suppress(subprocess.SubprocessError):
                node.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
async def primary_engine(replica_db: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(replica_db, make_settings(replica_db))
    yield engine
    await engine.dispose()


def replica_settings(primary_url: str, standby: Standby, **overrides: Any) -> Settings:
    return make_settings(
        primary_url,
        database_read_url=standby.url,
        database_read_connect_timeout_seconds=2.0,
        database_read_backoff_seconds=10.0,
        **overrides,
    )


@contextlib.asynccontextmanager
async def replica_client(
    settings: Settings, primary_engine: AsyncEngine, clock: FixedClock
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """An app whose requests commit on the module's database, reading lag-tolerant routes
    from the standby named in `settings`."""
    app = create_app(
        settings,
        engine=primary_engine,
        sessionmaker=create_sessionmaker(primary_engine),
        clock=clock,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield app, c


def new_code() -> str:
    return str(uuid.uuid4().int)[:3]
