"""Job handlers and periodic tasks of the domains.

A domain marks its functions in its jobs module:

    @handler("screening.import")
    async def run_import(session: AsyncSession, payload: dict[str, Any], ctx: JobContext) -> None: ...

    @periodic("incidents.escalate", every_seconds=30)
    async def escalate(session: AsyncSession, payload: dict[str, Any], ctx: JobContext) -> None: ...

Marking registers nothing: `app.wiring.wire_jobs` registers each domain's jobs module
explicitly (`register_module`). A handler runs in its own transaction together with the job's completion, so the database work
of a job is done exactly once. Periodic tasks are enqueued once per time slot across replicas.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType
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

SPEC_ATTRIBUTE = "job_spec"

# A claimed job's lease, in seconds: renewed while the job is in hand (the worker's and a long
# import's heartbeat), so that a job whose worker died is claimed again within it.
LEASE_SECONDS = 30


@dataclass(frozen=True)
class JobSpec:
    kind: str
    every_seconds: int | None = None  # periodic
    max_running: int | None = None


def handler(kind: str, *, max_running: int | None = None) -> Callable[[Handler], Handler]:
    """Mark a job handler of `kind` (registered by `register_module`)."""

    def mark(fn: Handler) -> Handler:
        setattr(fn, SPEC_ATTRIBUTE, JobSpec(kind, max_running=max_running))
        return fn

    return mark


def periodic(kind: str, *, every_seconds: int) -> Callable[[Handler], Handler]:
    """Mark a periodic task of `kind`, enqueued every `every_seconds`."""

    def mark(fn: Handler) -> Handler:
        setattr(fn, SPEC_ATTRIBUTE, JobSpec(kind, every_seconds=every_seconds))
        return fn

    return mark


def register(fn: Handler) -> None:
    """Register one marked handler (idempotent)."""
    spec: JobSpec = getattr(fn, SPEC_ATTRIBUTE)
    HANDLERS[spec.kind] = fn
    if spec.every_seconds is not None:
        PERIODIC[spec.kind] = spec.every_seconds
    if spec.max_running is not None:
        LIMITS[spec.kind] = spec.max_running


def register_module(module: ModuleType) -> None:
    """Register every marked handler of a jobs module, in definition order."""
    for value in vars(module).values():
        if callable(value) and hasattr(value, SPEC_ATTRIBUTE):
            register(value)
