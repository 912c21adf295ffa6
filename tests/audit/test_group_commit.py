"""The audit entries of reads go to a group commit (app.kit.audit_batch): one chained batch per
flush for the reads that finish together, each read's entry committed before its response."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.tokens import create_access_token
from app.kit import audit_batch
from app.kit.audit import verify_chain
from app.models import AuditEntry
from tests.children.factories import child_body
from tests.conftest import AuthHeaders, Base, make_settings
from tests.ops.service import run_service

pytestmark = pytest.mark.asyncio


async def _reads(engine: AsyncEngine, child_id: str) -> list[AuditEntry]:
    async with engine.connect() as c:
        rows = await c.execute(
            select(AuditEntry).where(
                AuditEntry.action == "child.read", AuditEntry.resource_id == child_id
            )
        )
        return list(rows.all())  # type: ignore[arg-type]


async def test_concurrent_reads_share_batches_and_each_is_in_the_chain(
    committed_client: httpx.AsyncClient,
    committed_app: FastAPI,
    committed_engine: AsyncEngine,
    auth: AuthHeaders,
) -> None:
    r = await committed_client.post("/api/v1/children", json=child_body(), headers=auth("admin"))
    assert r.status_code == 201, r.text
    child = r.json()["id"]
    ids = [f"group-{i}-{uuid.uuid4().hex[:6]}" for i in range(20)]
    answers = await asyncio.gather(
        *(
            committed_client.get(
                f"/api/v1/children/{child}", headers=auth("admin") | {"X-Request-ID": rid}
            )
            for rid in ids
        )
    )
    assert [a.status_code for a in answers] == [200] * 20
    logged = await _reads(committed_engine, child)
    # every read is there, once, with its own request id and the reader
    assert sorted(e.request_id or "" for e in logged) == sorted(ids)
    assert {e.principal_name for e in logged} == {"admin"}
    async with committed_engine.connect() as c:
        report = await verify_chain(c)
    assert report.first_broken_id is None, report.reason
    # fewer commits of the chain than reads: they were grouped
    assert committed_app.state.audit_batcher.batches < 20


async def test_a_read_whose_entry_cannot_be_written_is_not_answered(
    committed_client: httpx.AsyncClient,
    committed_app: FastAPI,
    committed_engine: AsyncEngine,
    auth: AuthHeaders,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    r = await committed_client.post("/api/v1/children", json=child_body(), headers=auth("admin"))
    child = r.json()["id"]

    async def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(audit_batch, "flush_on_driver", broken)
    transport = httpx.ASGITransport(app=committed_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        r = await c.get(f"/api/v1/children/{child}", headers=auth("admin"))
    assert r.status_code == 500
    assert "测试儿童" not in r.text
    assert await _reads(committed_engine, child) == []


async def test_an_answered_read_is_in_the_log_when_the_process_dies_at_once(
    committed_engine: AsyncEngine, base: Base, tmp_path: Path
) -> None:
    """The real service (uvicorn, its own pool) is killed (SIGKILL) the moment a read is
    answered: the read's entry is already committed, chained."""
    url = committed_engine.url.render_as_string(hide_password=False)
    with run_service(url, tmp_path, RUN_WORKER_IN_PROCESS="0") as service:
        await service.wait_ready()
        async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as client:
            token, _ = create_access_token(
                make_settings(url),
                now=datetime.now(UTC),
                subject=base.users["admin"],
                kind="user",
                extra={},
            )
            admin = {"Authorization": f"Bearer {token}"}
            r = await client.post("/api/v1/children", json=child_body(), headers=admin)
            assert r.status_code == 201, r.text
            child = r.json()["id"]
            rid = f"crash-{uuid.uuid4().hex[:8]}"
            # several reads in flight, so that they share batches; the last answer kills it
            answers = await asyncio.gather(
                *(
                    client.get(
                        f"/api/v1/children/{child}",
                        headers=admin | {"X-Request-ID": f"{rid}-{i}"},
                    )
                    for i in range(8)
                )
            )
            service.proc.kill()
            service.proc.wait(timeout=30)
    assert [a.status_code for a in answers] == [200] * 8
    logged = await _reads(committed_engine, child)
    assert sorted(e.request_id or "" for e in logged) == sorted(f"{rid}-{i}" for i in range(8))
    async with committed_engine.connect() as c:
        report = await verify_chain(c)
    assert report.first_broken_id is None, report.reason
