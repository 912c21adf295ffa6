"""An import whose worker died shows `interrupted — resuming at row N`, then resumes; a district
admin may cancel an import that has not finished (issue 27, gap 2)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.kit.clock import FixedClock
from app.models import AuditEntry, ScreeningImport, ScreeningRecord
from app.screening.imports import runner
from tests.conftest import AuthHeaders
from tests.screening.factories import csv_bytes, drain, row, upload


class Killed(BaseException):
    """kill -9: nothing runs after it (no failure recorded, the job stays claimed)."""


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.screening.jobs.DEFAULT_CHUNK_ROWS", 4)


async def _status(client: httpx.AsyncClient, h: dict[str, str], import_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/screening/imports/{import_id}", headers=h)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def _stored(engine: AsyncEngine, names: list[str]) -> int:
    async with engine.connect() as conn:
        n = await conn.execute(
            select(func.count()).select_from(ScreeningRecord).where(ScreeningRecord.name.in_(names))
        )
        return int(n.scalar_one())


async def _stored_name(engine: AsyncEngine, import_id: str) -> str:
    async with engine.connect() as conn:
        q = select(ScreeningImport.stored_name).where(ScreeningImport.id == uuid.UUID(import_id))
        return str((await conn.execute(q)).scalar_one())


async def test_a_killed_import_shows_interrupted_then_resumes(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
    clock: FixedClock,
    small_chunks: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = auth("admin")
    rows = [row() for _ in range(10)]
    names = [r["name"] for r in rows]

    async def kill(import_id: uuid.UUID, chunks: int) -> None:
        if chunks == 2:
            raise Killed

    monkeypatch.setattr(runner, "after_chunk_hook", kill)
    r = await upload(committed_client, h, csv_bytes(rows))
    import_id = r.json()["id"]
    with pytest.raises(Killed):
        await drain(committed_engine, settings, clock)

    # Just after the kill the heartbeat is fresh: still running.
    mid = await _status(committed_client, h, import_id)
    assert mid["status"] == "running"
    assert mid["heartbeat_at"] is not None
    assert mid["resume_at_row"] is None
    # The job's lease is short (its heartbeat renewed it while it ran): it lapses in seconds.
    async with committed_engine.connect() as c:
        left = (
            await c.execute(
                text(
                    "SELECT extract(epoch FROM locked_until - now()) FROM jobs "
                    "WHERE payload->>'import_id' = :id"
                ),
                {"id": import_id},
            )
        ).scalar_one()
    assert 0 < left <= 31

    # No heartbeat for longer than the stale limit: interrupted, resuming after the 2 chunks.
    clock.set(clock.now() + timedelta(seconds=runner.STALE_SECONDS + 5))
    stalled = await _status(committed_client, h, import_id)
    assert stalled["status"] == "interrupted"
    assert (stalled["total_rows"], stalled["inserted"]) == (8, 8)
    assert stalled["resume_at_row"] == 10  # the header is row 1; rows 2-9 are applied

    # The lease lapses; a worker takes the job over and the import finishes, nothing twice.
    monkeypatch.setattr(runner, "after_chunk_hook", None)
    async with committed_engine.begin() as c:
        await c.execute(
            text(
                "UPDATE jobs SET locked_until = now() - interval '1 second' "
                "WHERE payload->>'import_id' = :id"
            ),
            {"id": import_id},
        )
    await drain(committed_engine, settings, clock)
    done = await _status(committed_client, h, import_id)
    assert done["status"] == "done"
    assert done["resume_at_row"] is None
    assert (done["total_rows"], done["inserted"], done["rejected"]) == (10, 10, 0)
    assert await _stored(committed_engine, names) == 10


async def test_a_district_admin_cancels_a_waiting_import(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
    clock: FixedClock,
) -> None:
    rows = [row() for _ in range(3)]
    r = await upload(committed_client, auth("sup1"), csv_bytes(rows))
    assert r.status_code == 202, r.text
    import_id = r.json()["id"]
    stored = settings.uploads_path / await _stored_name(committed_engine, import_id)
    assert stored.exists()
    url = f"/api/v1/screening/imports/{import_id}/cancel"

    refused = await committed_client.post(url, headers=auth("sup1"))  # the uploader, not admin
    assert refused.status_code == 403
    r = await committed_client.post(url, headers=auth("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert r.json()["finished_at"] is not None
    assert not stored.exists()

    again = await committed_client.post(url, headers=auth("admin"))
    assert again.status_code == 409
    assert again.json()["code"] == "screening_import_finished"
    en = await committed_client.post(url, headers={**auth("admin"), "Accept-Language": "en"})
    assert "cannot be cancelled" in en.json()["title"]

    await drain(committed_engine, settings, clock)  # its job finds it cancelled: nothing runs
    assert (await _status(committed_client, auth("admin"), import_id))["status"] == "cancelled"
    assert await _stored(committed_engine, [x["name"] for x in rows]) == 0
    async with committed_engine.connect() as c:
        logged = (
            await c.execute(
                select(AuditEntry.principal_name, AuditEntry.detail).where(
                    AuditEntry.action == "screening_import.cancel",
                    AuditEntry.resource_id == import_id,
                )
            )
        ).all()
    assert len(logged) == 1
    assert logged[0].detail["status"] == "queued"


async def test_a_running_import_stops_before_its_next_chunk(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
    clock: FixedClock,
    small_chunks: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = auth("admin")
    rows = [row() for _ in range(10)]
    answers: list[httpx.Response] = []

    async def cancel_after_first(import_id: uuid.UUID, chunks: int) -> None:
        if chunks == 1:
            answers.append(
                await committed_client.post(
                    f"/api/v1/screening/imports/{import_id}/cancel", headers=h
                )
            )

    monkeypatch.setattr(runner, "after_chunk_hook", cancel_after_first)
    r = await upload(committed_client, h, csv_bytes(rows))
    import_id = r.json()["id"]
    await drain(committed_engine, settings, clock)
    assert [a.status_code for a in answers] == [200]
    assert answers[0].json()["status"] == "cancelled"
    body = await _status(committed_client, h, import_id)
    assert body["status"] == "cancelled"
    assert (body["total_rows"], body["inserted"]) == (4, 4)  # the first chunk, whole
    assert await _stored(committed_engine, [x["name"] for x in rows]) == 4
    async with committed_engine.connect() as c:
        status = (
            await c.execute(
                text("SELECT status FROM jobs WHERE payload->>'import_id' = :id"),
                {"id": import_id},
            )
        ).scalar_one()
    assert status == "done"  # stopped, not failed and retried


async def test_a_finished_import_cannot_be_cancelled(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
    clock: FixedClock,
) -> None:
    h = auth("admin")
    r = await upload(committed_client, h, csv_bytes([row()]))
    import_id = r.json()["id"]
    await drain(committed_engine, settings, clock)
    assert (await _status(committed_client, h, import_id))["status"] == "done"
    refused = await committed_client.post(
        f"/api/v1/screening/imports/{import_id}/cancel", headers=h
    )
    assert refused.status_code == 409
    assert (await _status(committed_client, h, import_id))["status"] == "done"
    missing = await committed_client.post(
        f"/api/v1/screening/imports/{uuid.uuid4()}/cancel", headers=h
    )
    assert missing.status_code == 404
