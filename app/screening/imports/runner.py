"""Running one screening import 摸排导入 (the `screening.import` job).

Crash safety — resume from the last committed chunk:

- the file is read in chunks of `chunk_rows` rows; each chunk's merge into `screening_records`
  (with its history and statistics deltas), its rejected rows, and the import's progress
  (`last_row`, the counts) commit in ONE transaction. A chunk is therefore applied wholly or
  not at all, and `last_row` always says exactly how far the applied part of the file reaches;
- when the worker dies (a restart, a crash, a lost lease) or an attempt raises, the job is
  claimed again and the import continues after `last_row`: the file is read from its start
  again (the rows before `last_row` only feed the in-file duplicate check, so a later row
  repeating an earlier child is still rejected) and nothing is applied twice;
- while it runs, a heartbeat every HEARTBEAT_SECONDS renews the job's lease and stamps the
  import's `heartbeat_at` (so does each chunk's commit); when the worker dies the heartbeat
  stops, the import shows `interrupted — resuming at row N` once it is older than
  STALE_SECONDS, and the job's lease lapses within the worker's lease (30 s), not minutes;
- a district admin may cancel an import that has not finished (`cancelled`): the runner stops
  before its next chunk, and what was applied stays applied;
- after the last attempt the import is marked `failed`, keeping the chunks already applied
  (each whole, and counted in its figures); uploading the file again completes it, the
  applied rows then coming out `unchanged`.

The uploaded file stays in the upload directory until the import is done or failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final

from sqlalchemy import literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.kit import audit
from app.kit.clock import Clock, local_today
from app.models import Area, ScreeningImport
from app.screening.imports import merge
from app.screening.imports.prepare import DEFAULT_CHUNK_ROWS, PrepareContext, PreparedChunk
from app.screening.imports.producer import prepared_chunks
from app.screening.imports.table import NotATableError
from app.worker import registry

log = logging.getLogger("app.screening")

MAX_ATTEMPTS: Final = 3
# The heartbeat of a running import, and how old it may get before the import shows
# `interrupted` (a few missed beats: a chunk's commit can hold the row for a moment).
HEARTBEAT_SECONDS: Final = 5.0
STALE_SECONDS: Final = 20.0
# Test hook: called after each chunk commits, with the import id and the chunk count so far.
AfterChunk = Callable[[uuid.UUID, int], Awaitable[None]]
after_chunk_hook: AfterChunk | None = None


def upload_path(settings: Settings, stored_name: str) -> Path:
    return settings.uploads_path / stored_name


async def village_towns(session: AsyncSession, district_path: str) -> dict[str, str]:
    """Every village of the district (by its area path, "110115/" or "110100/110115/") → its
    town."""
    rows = await session.execute(
        select(Area.code, Area.parent_code).where(
            Area.level == "village", Area.path.startswith(district_path)
        )
    )
    return {code: parent or "" for code, parent in rows.tuples()}


async def villages_within(session: AsyncSession, area_path: str) -> frozenset[str]:
    rows = await session.execute(
        select(Area.code).where(Area.level == "village", Area.path.startswith(area_path))
    )
    return frozenset(rows.scalars())


async def run_import(
    session: AsyncSession,
    import_id: uuid.UUID,
    *,
    settings: Settings,
    clock: Clock,
    job_id: int | None = None,
    attempt: int = 1,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    child_process: bool | None = None,
) -> None:
    """Run (or resume) the import; commits per chunk. Raises to have the job retried."""
    try:
        await _run(session, import_id, settings, clock, job_id, chunk_rows, child_process)
    except ImportCancelled:
        await session.rollback()
        log.info("screening import cancelled: stopped", extra={"import_id": str(import_id)})
    except NotATableError as exc:
        await session.rollback()
        await _finish(session, import_id, settings, clock, failed=str(exc))
    except Exception as exc:
        await session.rollback()
        if attempt >= MAX_ATTEMPTS:
            log.exception("screening import failed", extra={"import_id": str(import_id)})
            await _finish(
                session, import_id, settings, clock, failed=f"导入中断：{type(exc).__name__}"
            )
            return
        raise


async def _run(
    session: AsyncSession,
    import_id: uuid.UUID,
    settings: Settings,
    clock: Clock,
    job_id: int | None,
    chunk_rows: int,
    child_process: bool | None,
) -> None:
    imp = (
        await session.execute(
            select(ScreeningImport).where(ScreeningImport.id == import_id).with_for_update()
        )
    ).scalar_one_or_none()
    if imp is None or imp.status in ("done", "failed", "cancelled"):
        await session.rollback()
        return
    today = local_today(clock)
    imp.status = "running"
    imp.heartbeat_at = clock.now()
    if imp.started_at is None:
        imp.started_at = clock.now()
    await merge.ensure_stats_state(session, today)
    # the district of the uploader's area (a city holds several; a district's import reads
    # and classifies by its own villages and its own division code)
    district_code, district_path = (
        await session.execute(
            select(Area.code, Area.path).where(
                Area.level == "district", literal(imp.area_path).startswith(Area.path)
            )
        )
    ).one()
    villages = await village_towns(session, district_path)
    allowed = None
    if imp.area_path != district_path:
        allowed = await villages_within(session, imp.area_path)
    area_name = (
        await session.execute(select(Area.name).where(Area.code == imp.area_code))
    ).scalar_one()
    skip = imp.last_row
    await session.commit()

    ctx = PrepareContext(
        path=str(upload_path(settings, imp.stored_name)),
        villages=villages,
        allowed_villages=allowed,
        area_name=area_name,
        district_code=district_code,
        today=today,
        encryption_keys=settings.encryption_keys.get_secret_value(),
        active_key_id=settings.encryption_active_key_id,
        hmac_key=settings.hmac_key.get_secret_value(),
        chunk_rows=chunk_rows,
        skip_through_row=skip,
    )
    chunks = 0
    engine = session.bind
    assert isinstance(engine, AsyncEngine)
    beating = asyncio.create_task(heartbeat(engine, import_id, job_id, clock), name="import-beat")
    try:
        async for chunk in prepared_chunks(ctx, child_process=child_process):
            await _apply(session, import_id, chunk, skip, job_id, clock)
            skip = chunk.last_row
            chunks += 1
            if after_chunk_hook is not None:
                await after_chunk_hook(import_id, chunks)
    finally:
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating
    await merge.refresh_statistics(session, import_id)
    await _finish(session, import_id, settings, clock, failed=None)


async def _apply(
    session: AsyncSession,
    import_id: uuid.UUID,
    chunk: PreparedChunk,
    expected_last_row: int,
    job_id: int | None,
    clock: Clock,
) -> None:
    current = (
        await session.execute(
            text("SELECT last_row, status FROM screening_imports WHERE id = :id FOR UPDATE"),
            {"id": import_id},
        )
    ).one()
    if current.status == "cancelled":
        await session.rollback()
        raise ImportCancelled
    if current.last_row != expected_last_row or current.status != "running":
        # Another worker took the import over (our lease lapsed): stop without applying.
        await session.rollback()
        raise RuntimeError("the import advanced elsewhere")
    await merge.apply_chunk(session, chunk, import_id=import_id, job_id=job_id, now=clock.now())
    await session.execute(
        update(ScreeningImport)
        .where(ScreeningImport.id == import_id)
        .values(heartbeat_at=clock.now())
    )
    await session.commit()


class ImportCancelled(Exception):
    """The import was cancelled while it ran: stop, applying nothing more."""


_RENEW_JOB = text(
    "UPDATE jobs SET locked_until = greatest(locked_until, now() + make_interval(secs => :lease)) "
    "WHERE id = :id AND status = 'running'"
)


async def heartbeat(
    engine: AsyncEngine, import_id: uuid.UUID, job_id: int | None, clock: Clock
) -> None:
    """Every HEARTBEAT_SECONDS, in its own short transaction: the import's `heartbeat_at`, and
    its job's lease. A beat that cannot be written (the database away, the row locked by a
    chunk's commit for longer than a second) is skipped; the next one tries again."""
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        try:
            async with engine.begin() as conn:
                await conn.execute(text("SET LOCAL lock_timeout = '1s'"))
                await conn.execute(
                    update(ScreeningImport)
                    .where(ScreeningImport.id == import_id, ScreeningImport.status == "running")
                    .values(heartbeat_at=clock.now())
                )
                if job_id is not None:
                    await conn.execute(_RENEW_JOB, {"id": job_id, "lease": registry.LEASE_SECONDS})
        except Exception:
            log.warning("import heartbeat skipped", extra={"import_id": str(import_id)})


async def _finish(
    session: AsyncSession,
    import_id: uuid.UUID,
    settings: Settings,
    clock: Clock,
    *,
    failed: str | None,
) -> None:
    values: dict[str, Any] = {"finished_at": clock.now()}
    if failed is None:
        values.update(status="done", progress=1.0)
    else:
        values.update(status="failed", error=failed)
    result = await session.execute(
        update(ScreeningImport)
        .where(ScreeningImport.id == import_id, ScreeningImport.status.in_(("queued", "running")))
        .values(**values)
        .returning(
            ScreeningImport.stored_name,
            ScreeningImport.inserted,
            ScreeningImport.updated,
            ScreeningImport.unchanged,
            ScreeningImport.rejected,
        )
    )
    row = result.first()
    if row is None:
        return
    audit.record(
        session,
        None,
        "screening_import.finish",
        "screening_import",
        import_id,
        {
            "status": values["status"],
            "inserted": row.inserted,
            "updated": row.updated,
            "unchanged": row.unchanged,
            "rejected": row.rejected,
        },
    )
    await audit.flush(session)
    await session.commit()
    upload_path(settings, row.stored_name).unlink(missing_ok=True)
