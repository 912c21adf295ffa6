"""Two replicas start at once on one fresh database: migrations run once, both become ready.

With BOOTSTRAP_ADMIN_* set on both (as the Kubernetes Secret does for every API pod), the first
start also races on creating the district and the first admin; app/bootstrap.py serialises it
with a transaction-scoped advisory lock (safe behind PgBouncer), so exactly one admin results.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.migrate import heads
from tests.ops.service import ADMIN, ADMIN_PASSWORD, login, run_service


@pytest.mark.parametrize(
    "bootstrap",
    [
        pytest.param(False, id="migrations"),
        pytest.param(True, id="migrations+bootstrap-admin"),
    ],
)
async def test_two_replicas_start_together(
    scratch_url: str, scratch_engine: AsyncEngine, tmp_path: Path, bootstrap: bool
) -> None:
    # DEBUG: Alembic's "Running upgrade" lines are quiet at INFO (only warnings), and they are
    # how this test sees which replica ran each migration.
    env = {"RUN_WORKER_IN_PROCESS": "0", "DB_POOL_SIZE": "3", "LOG_LEVEL": "DEBUG"}
    if not bootstrap:
        env |= {"BOOTSTRAP_ADMIN_USERNAME": "", "BOOTSTRAP_ADMIN_PASSWORD": ""}
    with (
        run_service(scratch_url, tmp_path, "replica-a", **env) as a,
        run_service(scratch_url, tmp_path, "replica-b", **env) as b,
    ):
        await asyncio.gather(a.wait_ready(), b.wait_ready())
        for replica in (a, b):
            async with httpx.AsyncClient(base_url=replica.base_url, timeout=30) as client:
                ready = (await client.get("/readyz")).json()
                assert ready == {"status": "ready", "migration": sorted(heads())}
                if not bootstrap:
                    continue
                headers = await login(client, ADMIN, ADMIN_PASSWORD)
                me = await client.get("/api/v1/auth/me", headers=headers)
                assert me.status_code == 200
                assert me.json()["role"] == "district_admin"
        a.terminate()
        b.terminate()
        codes = await asyncio.gather(a.wait_exit(60), b.wait_exit(60))
    assert list(codes) == [0, 0], a.output() + b.output()

    # Each migration ran in exactly one of the two processes.
    upgrades = [
        r["msg"]
        for replica in (a, b)
        for r in replica.log_records()
        if r.get("logger") == "alembic.runtime.migration"
        and str(r.get("msg", "")).startswith("Running upgrade")
    ]
    assert upgrades, "no migration ran"
    assert len(upgrades) == len(set(upgrades)), upgrades

    async with scratch_engine.connect() as conn:
        versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        admins = (
            await conn.execute(text("SELECT count(*) FROM users WHERE username = :u"), {"u": ADMIN})
        ).scalar_one()
    assert [v[0] for v in versions] == sorted(heads())
    assert admins == (1 if bootstrap else 0)
