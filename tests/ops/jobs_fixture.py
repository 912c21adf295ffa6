"""A test-only job kind for the ops tests, loaded with EXTRA_JOB_MODULES=tests.ops.jobs_fixture.

`ops.slow` sleeps `seconds`, then writes an audit entry `ops.slow_job.done` in the job's own
transaction: the entry exists exactly when the job is 'done', never for a half-done job.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit import audit
from app.worker.registry import JobContext, handler

SLOW = "ops.slow"
DONE_ACTION = "ops.slow_job.done"


@handler(SLOW)
async def slow_job(session: AsyncSession, payload: dict[str, Any], ctx: JobContext) -> None:
    await asyncio.sleep(float(payload.get("seconds", 2.0)))
    audit.record(session, None, DONE_ACTION, "job", ctx.job_id, {"worker": ctx.worker_id})


HANG = "ops.hang"


@handler(HANG)
async def hang_job(session: AsyncSession, payload: dict[str, Any], ctx: JobContext) -> None:
    """Blocks the worker's event loop (a handler that calls blocking code): the loop hangs."""
    time.sleep(float(payload.get("seconds", 10.0)))  # noqa: ASYNC251 - the point of the test
