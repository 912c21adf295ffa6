"""Job handlers and periodic tasks, registered by the domains.

A domain adds its jobs module to JOB_MODULES and decorates its functions:

    @handler("screening.import")
    async def run_import(session: AsyncSession, payload: dict[str, Any], ctx: JobContext) -> None: ...

    @periodic("incidents.escalate", every_seconds=30)
    async def escalate(session: AsyncSession, payload: dict[str, Any], ctx: JobContext) -> None: ...

A handler runs in its own transaction together with the job's completion, so the database work
of a job is done exactly once. Periodic tasks are enqueued once per time slot across replicas.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.clock import Clock


@dataclass(frozen=True)
class JobContext:
    job_id: int
    attempt: int
    settings: Settings
    clock: Clock
    worker_id: str


Handler = Callable[[AsyncSession, dict[str, Any], JobContext], Awaitable[None]]

HANDLERS: dict[str, Handler] = {}
PERIODIC: dict[str, int] = {}
# Heavy kinds (a file import: a child process, a core, memory) run at most this many at once in
# one worker, whatever its concurrency; the slots left over go to light jobs (deliveries).
LIMITS: dict[str, int] = {}

# Modules that register handlers; each domain appends its own.
JOB_MODULES: list[str] = [
    "app.children.jobs",
    "app.incidents.jobs",
    "app.webhooks.jobs",
    "app.screening.jobs",
    "app.dashboard.jobs",
    "app.sync.jobs",
]


def handler(kind: str, *, max_running: int | None = None) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        if max_running is not None:
            LIMITS[kind] = max_running
        return fn

    return register


def periodic(kind: str, *, every_seconds: int) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        PERIODIC[kind] = every_seconds
        return fn

    return register


def load_all() -> None:
    for module in JOB_MODULES:
        importlib.import_module(module)
