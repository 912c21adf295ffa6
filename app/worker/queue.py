"""Enqueue a job in the caller's transaction: it exists if and only if the caller commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.sql import insert_ignoring_conflicts, table_of
from app.models import Job


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = 10,
) -> None:
    values: dict[str, Any] = {
        "kind": kind,
        "payload": payload or {},
        "max_attempts": max_attempts,
        "dedupe_key": dedupe_key,
    }
    if run_at is not None:
        values["run_at"] = run_at
    # Core statements on the table (the ORM's bulk-insert path costs more than the insert), of
    # a kind SQLAlchemy caches compiled.
    if dedupe_key is None:
        await session.execute(insert(table_of(Job)).values(**values))
    else:
        await session.execute(insert_ignoring_conflicts(Job, "dedupe_key").values(**values))
    wake_after_commit(session)


def wake_after_commit(session: AsyncSession) -> None:
    """Wake the in-process worker as soon as this transaction commits (jobs were queued).

    The session dependency leaves the worker in `session.info["wake_worker"]` (a session-level
    hook, not the request); sessions of jobs and scripts have none (the worker polls, and
    LISTENs for jobs queued by other processes).
    """
    worker = session.info.get("wake_worker")
    if worker is not None:
        session.info.setdefault("after_commit", []).append(worker.wake)
