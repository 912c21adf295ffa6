"""Losing the database answers 503 problem+json with Retry-After, and the service recovers alone.

A PostgreSQL of its own (a second embedded server in the test's tmp dir, so stopping it touches
no other test), the real service (`python -m app`) on it. PostgreSQL stopped: an authenticated
call answers 503 `database_unavailable` (zh-CN, English on request) with Retry-After, /readyz
503; PostgreSQL started again: the same call succeeds, the service never restarted. And a
connection killed under a running request (pg_terminate_backend) answers 503, not 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.db import create_engine
from app.embedded import to_asyncpg_url
from tests.conftest import ROOT, make_settings
from tests.ops.service import ADMIN, ADMIN_PASSWORD, login, run_service


class OwnPostgres:
    """A pgserver data dir of the test's own, stopped and started with pg_ctl."""

    def __init__(self, pgdata: Path) -> None:
        import pgserver

        self.server: Any = pgserver.get_server(pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
        self.uri: str = self.server.get_uri()
        self.url = to_asyncpg_url(self.uri)
        self.socket_dir = self.uri.split("host=", 1)[1].split("&", 1)[0]

    def _pg_ctl(self, args: list[str]) -> None:
        from pgserver import _commands

        pg_ctl: Any = getattr(_commands, "pg_ctl")  # noqa: B009 - untyped

        pg_ctl(args, pgdata=self.server.pgdata, user=self.server.system_user, timeout=30)

    def stop(self) -> None:
        self._pg_ctl(["-w", "-m", "fast", "stop"])

    def start(self) -> None:
        self._pg_ctl(
            [
                "-w",
                "-o",
                '-h ""',
                "-o",
                f"-k {self.socket_dir}",
                "-l",
                str(self.server.log),
                "start",
            ]
        )

    def cleanup(self) -> None:
        with contextlib.suppress(Exception):  # already stopped
            self._pg_ctl(["-w", "-m", "immediate", "stop"])


@pytest.fixture
def own_pg() -> Iterator[OwnPostgres]:
    # Under the worktree, not tmp_path: the server runs as another user (pgserver, under root),
    # and pytest's base temp dir is private to the user running the tests.
    pgdata = ROOT / ".data" / f"outage-{uuid.uuid4().hex[:8]}"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    pg = OwnPostgres(pgdata)
    try:
        yield pg
    finally:
        pg.cleanup()
        shutil.rmtree(pgdata, ignore_errors=True)


def _assert_database_unavailable(r: httpx.Response, *, english: bool = False) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert int(r.headers["retry-after"]) > 0
    body = r.json()
    assert body["code"] == "database_unavailable"
    assert body["status"] == 503
    if english:
        assert "database" in body["title"].lower()
    else:
        assert "数据库" in body["title"]


async def test_postgres_stopped_answers_503_and_recovers_without_restart(
    own_pg: OwnPostgres, tmp_path: Path
) -> None:
    with run_service(own_pg.url, tmp_path, "outage") as service:
        await service.wait_ready()
        async with httpx.AsyncClient(base_url=service.base_url, timeout=20) as c:
            admin = await login(c, ADMIN, ADMIN_PASSWORD)
            assert (await c.get("/api/v1/users", headers=admin)).status_code == 200

            await asyncio.to_thread(own_pg.stop)

            _assert_database_unavailable(await c.get("/api/v1/users", headers=admin))
            _assert_database_unavailable(
                await c.get("/api/v1/users", headers={**admin, "Accept-Language": "en"}),
                english=True,
            )
            ready = await c.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["status"] == "database_unreachable"
            assert int(ready.headers["retry-after"]) > 0

            await asyncio.to_thread(own_pg.start)

            again = await c.get("/api/v1/users", headers=admin)
            assert again.status_code == 200, again.text
            assert ADMIN in {u["username"] for u in again.json()["items"]}
            assert (await c.get("/readyz")).status_code == 200
        assert service.proc.poll() is None  # the same process all along
        assert "internal_error" not in service.output()


async def test_connection_killed_mid_request_answers_503(
    own_pg: OwnPostgres, tmp_path: Path
) -> None:
    superuser = create_engine(own_pg.url, make_settings(own_pg.url, db_pool_size=2))
    try:
        with run_service(own_pg.url, tmp_path, "killed") as service:
            await service.wait_ready()
            async with httpx.AsyncClient(base_url=service.base_url, timeout=20) as c:
                admin = await login(c, ADMIN, ADMIN_PASSWORD)
                assert (await c.get("/api/v1/users", headers=admin)).status_code == 200

                # Hold the users table so the request waits inside PostgreSQL, then kill the
                # connection it waits on.
                async with superuser.connect() as holder:
                    await holder.execute(text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
                    pending = asyncio.create_task(c.get("/api/v1/users", headers=admin))
                    async with superuser.connect() as killer:
                        await killer.execution_options(isolation_level="AUTOCOMMIT")
                        killed: list[Any] = []
                        for _ in range(100):
                            killed = list(
                                await killer.scalars(
                                    text(
                                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                        "WHERE datname = current_database() "
                                        "AND wait_event_type = 'Lock' "
                                        "AND pid <> pg_backend_pid()"
                                    )
                                )
                            )
                            if killed:
                                break
                            await asyncio.sleep(0.1)
                        assert killed == [True]
                    r = await pending
                    await holder.rollback()

                _assert_database_unavailable(r)
                # The pool lets the dead connection go: the next call succeeds.
                assert (await c.get("/api/v1/users", headers=admin)).status_code == 200
            assert service.proc.poll() is None
    finally:
        await superuser.dispose()
