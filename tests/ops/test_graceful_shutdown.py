"""SIGTERM under load: accepted requests complete, new ones are refused, jobs stop at a safe point.

The real service runs as `python -m app` (uvicorn, in-process worker) on a scratch database.
Twenty clients hammer it with authenticated reads and creations, three requests are held in
flight by slowly streamed bodies, and a slow job is running when SIGTERM arrives.

"Accepted" is decided by the server itself: every request it handled leaves an access-log line
with the request id the client sent (X-Request-ID). So: every logged request reached its client
with a complete response, and every request a client lost never reached the application.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import create_sessionmaker
from app.worker.queue import enqueue
from tests.ops.jobs_fixture import DONE_ACTION, SLOW
from tests.ops.service import ADMIN, ADMIN_PASSWORD, Service, login, run_service

CLIENTS = 20
SLOW_REQUESTS = 3
ANSWERED = 40
GRACE = 15
JOB_SECONDS = 4.0
IN_HAND = 2  # WORKER_CONCURRENCY: jobs run side by side
DISTRICT = "110115"


@dataclass
class Outcome:
    request_id: str
    kind: str  # "list" | "create"
    username: str | None
    status: int | None = None
    ok: bool = False  # a complete, correct body
    error: str | None = None


def _user_body(username: str) -> dict[str, str]:
    return {
        "username": username,
        "password": "Load-Pass-123456",
        "full_name": "压测用户",
        "role": "district_leader",
        "area_code": DISTRICT,
    }


async def _one(
    client: httpx.AsyncClient, headers: dict[str, str], request_id: str, create: bool
) -> Outcome:
    h = headers | {"X-Request-ID": request_id}
    if create:
        username = request_id
        out = Outcome(request_id, "create", username)
        try:
            r = await client.post("/api/v1/users", json=_user_body(username), headers=h)
        except httpx.TransportError as exc:
            out.error = type(exc).__name__
            return out
        out.status = r.status_code
        out.ok = r.status_code == 201 and r.json().get("username") == username
    else:
        out = Outcome(request_id, "list", None)
        try:
            r = await client.get("/api/v1/areas", headers=h)
        except httpx.TransportError as exc:
            out.error = type(exc).__name__
            return out
        out.status = r.status_code
        out.ok = r.status_code == 200 and any(
            a["code"] == DISTRICT for a in r.json().get("items", [])
        )
    assert r.headers.get("x-request-id") == request_id
    return out


async def _load_client(
    service: Service, headers: dict[str, str], n: int, outcomes: list[Outcome]
) -> None:
    async with httpx.AsyncClient(base_url=service.base_url, timeout=60) as client:
        i = 0
        while service.proc.poll() is None:
            out = await _one(client, headers, f"load-{n}-{i}", create=i % 8 == 7)
            outcomes.append(out)
            i += 1
            if out.error:
                await asyncio.sleep(0.05)


async def _slow_body(username: str, release: asyncio.Event) -> AsyncIterator[bytes]:
    body = httpx.Request("POST", "/", json=_user_body(username)).content
    yield body[:10]
    await release.wait()
    await asyncio.sleep(2)  # still streaming well after SIGTERM
    yield body[10:]


async def _slow_request(
    service: Service, headers: dict[str, str], n: int, release: asyncio.Event
) -> Outcome:
    username = f"slow{n}_{uuid.uuid4().hex[:6]}"
    rid = f"slow-{n}"
    out = Outcome(rid, "create", username)
    async with httpx.AsyncClient(base_url=service.base_url, timeout=60) as client:
        try:
            r = await client.post(
                "/api/v1/users",
                content=_slow_body(username, release),
                headers=headers | {"X-Request-ID": rid, "Content-Type": "application/json"},
            )
        except httpx.TransportError as exc:
            out.error = type(exc).__name__
            return out
    out.status = r.status_code
    out.ok = r.status_code == 201 and r.json().get("username") == username
    return out


async def _in_flight(client: httpx.AsyncClient) -> float:
    text_ = (await client.get("/metrics")).text
    for line in text_.splitlines():
        if line.startswith("http_requests_in_flight "):
            return float(line.split()[1])
    return 0.0


async def _wait_for(
    predicate: Callable[[], Awaitable[bool]], what: str, within: float = 30
) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_sigterm_under_load(
    scratch_url: str, scratch_engine: AsyncEngine, tmp_path: Path
) -> None:
    with run_service(
        scratch_url,
        tmp_path,
        EXTRA_JOB_MODULES="tests.ops.jobs_fixture",
        RATE_LIMIT_ENABLED="0",
        GRACEFUL_SHUTDOWN_SECONDS=str(GRACE),
        WORKER_CONCURRENCY=str(IN_HAND),
    ) as service:
        await service.wait_ready()
        async with httpx.AsyncClient(base_url=service.base_url, timeout=60) as probe:
            headers = await login(probe, ADMIN, ADMIN_PASSWORD)

            # Requests held in flight by bodies that are still streaming.
            release = asyncio.Event()
            slow = [
                asyncio.create_task(_slow_request(service, headers, n, release))
                for n in range(SLOW_REQUESTS)
            ]

            async def slow_in_flight() -> bool:
                return await _in_flight(probe) >= SLOW_REQUESTS + 1  # + this /metrics call

            await _wait_for(slow_in_flight, "the slow requests to be in flight")

            outcomes: list[Outcome] = []
            load = [
                asyncio.create_task(_load_client(service, headers, n, outcomes))
                for n in range(CLIENTS)
            ]

            async def under_load() -> bool:
                return sum(o.ok for o in outcomes) >= ANSWERED

            await _wait_for(under_load, f"{ANSWERED} answered requests under load", within=60)
            assert not any(t.done() for t in slow), "slow requests ended before the signal"

            # Slow jobs, IN_HAND of them running when the signal comes; three more waiting.
            maker = create_sessionmaker(scratch_engine)
            async with maker() as s:
                for _ in range(IN_HAND + 3):
                    await enqueue(s, SLOW, {"seconds": JOB_SECONDS})
                await s.commit()

            async def job_running() -> bool:
                async with scratch_engine.connect() as c:
                    running = (
                        await c.execute(
                            text(
                                "SELECT count(*) FROM jobs WHERE status = 'running' AND kind = :k"
                            ),
                            {"k": SLOW},
                        )
                    ).scalar_one()
                return bool(running == IN_HAND)

            await _wait_for(job_running, "the slow jobs to start")

            service.terminate()
            signalled = time.monotonic()
            release.set()

        # New connections are refused while the slow requests are still being served.
        refused = False
        async with httpx.AsyncClient(base_url=service.base_url, timeout=10) as fresh:
            while service.proc.poll() is None and not refused:
                try:
                    await fresh.get("/healthz", headers={"Connection": "close"})
                except httpx.ConnectError:
                    refused = True
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        assert refused, "the service kept accepting connections after SIGTERM"
        assert not all(t.done() for t in slow)

        code = await service.wait_exit(2 * GRACE + 20)
        elapsed = time.monotonic() - signalled
        slow_outcomes = await asyncio.gather(*slow)
        await asyncio.gather(*load)
    log = service.output()
    assert code == 0, log
    assert elapsed < GRACE, f"shutdown took {elapsed:.1f} s, grace is {GRACE} s"
    assert "timeout graceful shutdown exceeded" not in log

    # The requests in flight at SIGTERM were finished.
    for o in slow_outcomes:
        assert o.ok, o

    # Every answered request got a complete, correct answer: no 5xx (and no other error).
    answered = [o for o in outcomes if o.error is None]
    lost = [o for o in outcomes if o.error is not None]
    assert len(answered) >= ANSWERED
    assert [o for o in answered if not o.ok] == []
    assert {o.error for o in lost} <= {"ConnectError", "RemoteProtocolError", "ReadError"}

    # Accepted (logged by the server) ⇔ answered; lost requests never reached the application.
    handled = {
        r["request_id"]: r["status"]
        for r in service.log_records()
        if r.get("msg") == "request" and "request_id" in r
    }
    for o in answered:
        assert handled.get(o.request_id) == o.status, o
    for o in slow_outcomes:
        assert handled.get(o.request_id) == 201, o
    for o in lost:
        assert o.request_id not in handled, f"accepted but lost: {o}"

    # Creations: exactly the answered ones exist; a lost one left nothing behind.
    async with scratch_engine.connect() as c:
        users = set((await c.execute(text("SELECT username FROM users"))).scalars())
        jobs = (
            await c.execute(
                text("SELECT id, status FROM jobs WHERE kind = :k ORDER BY id"), {"k": SLOW}
            )
        ).all()
        left_running = (
            await c.execute(text("SELECT count(*) FROM jobs WHERE status = 'running'"))
        ).scalar_one()
        done_entries = (
            (
                await c.execute(
                    text("SELECT resource_id FROM audit_log WHERE action = :a"), {"a": DONE_ACTION}
                )
            )
            .scalars()
            .all()
        )
    for o in [*answered, *slow_outcomes]:
        if o.kind == "create":
            assert o.username in users
    for o in lost:
        if o.kind == "create":
            assert o.username not in users

    # The jobs in hand were finished whole; none was left running; none was started after.
    statuses = [status for _, status in jobs]
    assert "running" not in statuses
    assert left_running == 0  # no job of any kind (periodic ones too) was left half done
    assert statuses[:IN_HAND] == ["done"] * IN_HAND
    assert sorted(done_entries) == sorted(str(job_id) for job_id, _ in jobs[:IN_HAND])
    assert statuses[IN_HAND:] == ["queued"] * 3
