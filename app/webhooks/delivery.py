"""Sending one delivery: sign, POST with timeouts, log the attempt, schedule the next one.

The job holds the delivery's row lock while it sends, so two workers never send the same
delivery at once; a worker that dies mid-send leaves its job to be taken up again when its
lease runs out (the receiver may then see the delivery twice: it de-duplicates on the id).

Each connection resolves the URL's host, refuses it unless every address is public, and
connects to the address it checked (app/kit/egress.py): a URL that was public when saved and
points inside the network now (DNS rebinding) is refused, for good — the delivery fails at
once with "target refused: ..." in its log, and nothing is sent.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
import uuid
import weakref
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import certifi
import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit import egress
from app.kit.crypto import KeyRing
from app.kit.http import outbound_client, outbound_timeout
from app.observability import current_metrics
from app.webhooks import outbox, service, signing
from app.webhooks import repository as repo
from app.worker.registry import JobContext

log = logging.getLogger("app.webhooks")


@lru_cache(maxsize=8)
def _ring(keys: str, active: str, hmac_key: str) -> KeyRing:
    return KeyRing.from_settings(keys, active, hmac_key)


def keyring_for(settings: Settings) -> KeyRing:
    return _ring(
        settings.encryption_keys.get_secret_value(),
        settings.encryption_active_key_id,
        settings.hmac_key.get_secret_value(),
    )


def backoff_seconds(attempt: int, policy: outbox.DeliveryPolicy | None = None) -> float:
    """Exponential backoff with (equal) jitter: half the step fixed, half random."""
    p = policy or outbox.POLICY
    step = min(p.cap_seconds, p.base_seconds * (2 ** (attempt - 1)))
    return float(step / 2 + random.uniform(0, step / 2))


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """Built once: building it per client costs tens of milliseconds (the CA bundle)."""
    return ssl.create_default_context(cafile=certifi.where())


_CLIENTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[httpx.AsyncClient, bool]] = (
    weakref.WeakKeyDictionary()
)


_MAX_ANSWER_BYTES = 64 * 1024


def _client(settings: Settings) -> httpx.AsyncClient:
    """One client per event loop: its pool keeps connections (and TLS sessions) to the partners
    alive between deliveries instead of a handshake for each. Its timeouts are the settings'
    outbound ones, its egress guard the settings' (a client made with others is replaced)."""
    loop = asyncio.get_running_loop()
    client, allow = _CLIENTS.get(loop) or (None, False)
    timeout = outbound_timeout(settings)
    wanted = settings.webhook_allow_private_targets
    if client is None or client.is_closed or client.timeout != timeout or allow != wanted:
        client = outbound_client(
            settings,
            timeout=timeout,
            verify=_tls(),
            limits=httpx.Limits(max_connections=64, keepalive_expiry=30),
        )
        _CLIENTS[loop] = (client, wanted)
    return client


async def _post(
    settings: Settings, url: str, body: bytes, headers: dict[str, str]
) -> tuple[int | None, str | None, bool]:
    """(status code, error, refused): `refused` when the target may not be connected to."""
    problem = service.delivery_url_problem(url, settings)
    if problem is not None:
        return None, problem, True
    try:
        async with _client(settings).stream("POST", url, content=body, headers=headers) as response:
            code = response.status_code
            # Read a short answer to its end, so the connection goes back to the pool (one
            # closed with its answer unread is dropped: a new TCP connection per delivery).
            # A long one is cut off; its connection is dropped.
            received = 0
            async for chunk in response.aiter_raw():
                received += len(chunk)
                if received > _MAX_ANSWER_BYTES:
                    break
    except httpx.TimeoutException as exc:
        return None, f"timeout: {type(exc).__name__}", False
    except httpx.HTTPError as exc:
        refused = egress.refusal_of(exc)
        if refused is not None:
            return None, str(refused)[:500], True
        return None, f"{type(exc).__name__}: {exc}"[:500], False
    return code, None if 200 <= code < 300 else f"HTTP {code}", False


async def deliver(session: AsyncSession, payload: dict[str, Any], ctx: JobContext) -> None:
    """One attempt at the delivery named in `payload`."""
    delivery_id = uuid.UUID(str(payload["delivery_id"]))
    found = await repo.lock_delivery(session, delivery_id)
    if found is None:
        return  # another worker is sending it right now; it schedules what follows
    delivery, client = found
    if delivery.status != "pending":
        return
    if not client.is_active or not client.webhook_url or client.webhook_secret_enc is None:
        delivery.status = "failed"
        current_metrics().webhook_deliveries.labels("abandoned").inc()
        delivery.last_error = "webhook removed or client inactive"
        delivery.next_attempt_at = None
        await session.flush()
        return
    ring = keyring_for(ctx.settings)
    keys = [ring.decrypt(client.webhook_secret_enc)]
    previous, until = client.webhook_previous_secret_enc, client.webhook_previous_secret_expires_at
    if previous is not None and until is not None and until > ctx.clock.now():
        keys.append(ring.decrypt(previous))  # a rotated secret in its grace period: two signatures
    body = ring.decrypt(delivery.payload_enc, context=outbox.payload_context(delivery_id)).encode()
    headers = signing.headers_for(keys, str(delivery_id), delivery.event, body)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    code, error, refused = await _post(ctx.settings, client.webhook_url, body, headers)
    duration_ms = int((time.perf_counter() - t0) * 1000)
    attempt = delivery.attempts + 1
    outcome = "delivered" if error is None else "abandoned"
    if error is not None and attempt < delivery.max_attempts and not refused:
        outcome = "failed"
    current_metrics().webhook_deliveries.labels(outcome).inc()
    status, delivered_at, next_attempt_at = "pending", None, None
    if error is None:
        status, delivered_at = "delivered", started
    elif attempt >= delivery.max_attempts or refused:
        status = "failed"
        log.warning(
            "webhook delivery failed for good",
            extra={"delivery_id": str(delivery_id), "error": error},
        )
    else:
        next_attempt_at = await repo.schedule_attempt(
            session, delivery_id, backoff_seconds(attempt)
        )
    # Core, not the loaded object: one statement for the attempt and the delivery's new state.
    await repo.record_attempt(
        session,
        delivery_id,
        attempt=attempt,
        at=started,
        url=client.webhook_url,
        status_code=code,
        error=error,
        duration_ms=duration_ms,
        worker_id=ctx.worker_id,
        status=status,
        delivered_at=delivered_at,
        next_attempt_at=next_attempt_at,
    )
