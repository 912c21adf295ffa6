"""An import interrupted after some chunks resumes from the last committed chunk (or fails)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.kit.clock import FixedClock
from app.models import ScreeningRecord
from app.screening.imports import merge, runner
from tests.conftest import AuthHeaders
from tests.screening.factories import csv_bytes, drain, row, upload


class Crash(Exception):
    pass


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.screening.jobs.DEFAULT_CHUNK_ROWS", 4)


async def _status(client: httpx.AsyncClient, h: dict[str, str], import_id: str) -> dict[str, Any]:
    body: dict[str, Any] = (
        await client.get(f"/api/v1/screening/imports/{import_id}", headers=h)
    ).json()
    return body


async def _stored(engine: AsyncEngine, names: list[str]) -> int:
    async with engine.connect() as conn:
        n = await conn.execute(
            select(func.count()).select_from(ScreeningRecord).where(ScreeningRecord.name.in_(names))
        )
        return int(n.scalar_one())


async def _make_job_due(engine: AsyncEngine, import_id: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE jobs SET run_at = now() WHERE payload->>'import_id' = :id"),
            {"id": import_id},
        )


async def test_crash_after_two_chunks_then_resume(
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
    rows.append(dict(rows[1]))  # row 13 repeats row 3 (in the first chunk)
    names = [r["name"] for r in rows]

    async def crash(import_id: uuid.UUID, chunks: int) -> None:
        if chunks == 2:
            raise Crash

    monkeypatch.setattr(runner, "after_chunk_hook", crash)
    r = await upload(committed_client, h, csv_bytes(rows))
    import_id = r.json()["id"]
    await drain(committed_engine, settings, clock)

    mid = await _status(committed_client, h, import_id)
    assert mid["status"] == "running"
    assert (mid["total_rows"], mid["inserted"]) == (8, 8)  # two whole chunks of four
    assert await _stored(committed_engine, names) == 8

    monkeypatch.setattr(runner, "after_chunk_hook", None)
    await _make_job_due(committed_engine, import_id)
    await drain(committed_engine, settings, clock)
    done = await _status(committed_client, h, import_id)
    assert done["status"] == "done"
    assert (done["total_rows"], done["inserted"], done["updated"], done["unchanged"]) == (
        11,
        10,
        0,
        0,
    )
    assert done["rejected"] == 1  # the repeat of row 3 is still recognised after the restart
    errors = await committed_client.get(
        f"/api/v1/screening/imports/{import_id}/errors", params={"format": "csv"}, headers=h
    )
    assert "与第3行重复" in errors.content.decode("utf-8-sig")
    assert await _stored(committed_engine, names) == 10


async def test_a_chunk_that_fails_is_not_half_applied_and_the_last_attempt_marks_failed(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
    clock: FixedClock,
    small_chunks: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = auth("admin")
    rows = [row() for _ in range(6)]
    names = [r["name"] for r in rows]
    real_apply = merge.apply_chunk

    async def broken_apply(session: Any, chunk: Any, **kw: Any) -> Any:
        if chunk.last_row > 5:  # the second chunk: merge it, then die before the commit
            await real_apply(session, chunk, **kw)
            raise Crash
        return await real_apply(session, chunk, **kw)

    monkeypatch.setattr(merge, "apply_chunk", broken_apply)
    r = await upload(committed_client, h, csv_bytes(rows))
    import_id = r.json()["id"]
    for _ in range(runner.MAX_ATTEMPTS):
        await _make_job_due(committed_engine, import_id)
        await drain(committed_engine, settings, clock)
    failed = await _status(committed_client, h, import_id)
    assert failed["status"] == "failed"
    assert failed["error"]
    assert (failed["total_rows"], failed["inserted"]) == (4, 4)  # the first chunk, whole
    assert await _stored(committed_engine, names) == 4  # nothing of the second chunk

    monkeypatch.setattr(merge, "apply_chunk", real_apply)
    again = await upload(committed_client, h, csv_bytes(rows))
    await drain(committed_engine, settings, clock)
    body = await _status(committed_client, h, again.json()["id"])
    assert (body["inserted"], body["unchanged"]) == (2, 4)
