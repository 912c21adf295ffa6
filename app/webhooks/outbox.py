"""The transactional outbox: a delivery row and its job, written in the caller's transaction.

The event exists if and only if the change that caused it commits; the in-process worker is
woken right after that commit (`queue.enqueue`), so the first attempt leaves at once.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.context import RequestContext
from app.kit.crypto import KeyRing
from app.models import Child, Incident, Referral, WebhookDelivery
from app.referrals.projection import dump, project_for_agency
from app.webhooks import repository as repo
from app.worker import queue


@dataclass(frozen=True)
class DeliveryPolicy:
    """Retries: exponential backoff with jitter, up to `max_attempts`. (Each call's timeouts are
    the settings' OUTBOUND_CONNECT_TIMEOUT_SECONDS and OUTBOUND_TIMEOUT_SECONDS.)"""

    max_attempts: int = 12
    base_seconds: float = 2.0
    cap_seconds: float = 1800.0


POLICY = DeliveryPolicy()
REFERRAL_CREATED = "referral.created"


def payload_context(delivery_id: uuid.UUID) -> bytes:
    return b"webhook-payload:" + str(delivery_id).encode()


@dataclass(frozen=True)
class PreparedDelivery:
    """A delivery of one event to one client: its id and its encrypted, self-describing body."""

    id: uuid.UUID
    agency_client_id: uuid.UUID
    payload_enc: bytes


async def prepare_event(
    session: AsyncSession,
    ctx: RequestContext,
    event: str,
    referral: Referral,
    incident: Incident,
    child: Child | None,
) -> list[PreparedDelivery]:
    """The deliveries of `event` about `referral`, one per active webhook of its agency, as of
    the context's time (its `occurred_at`) and encrypted with its key ring.

    Nothing is written: the caller writes them (and their jobs) in its own transaction.
    """
    keyring = ctx.keyring
    clients = await repo.client_ids_with_webhook(
        session, referral.agency, event_area(incident, child)
    )
    if not clients:
        return []
    view = dump(project_for_agency(referral.agency, referral, incident, child, keyring, ctx.today))
    return _prepare(keyring, clients, event, "referral", view, ctx.now)


def event_area(incident: Incident, child: Child | None) -> str | None:
    """Where an incident's event belongs: its area, else its child's district (an incident
    from before the city may have none); None when neither is known (the city's clients only)."""
    if incident.area_code is not None:
        return incident.area_code
    return child.district_code if child is not None else None


def _prepare(
    keyring: KeyRing,
    clients: list[uuid.UUID],
    event: str,
    key: str,
    view: dict[str, Any],
    occurred_at: datetime,
) -> list[PreparedDelivery]:
    """One encrypted, self-describing body per client: the event and its subject under `key`."""
    out = []
    for client_id in clients:
        delivery_id = uuid.uuid4()
        body = {
            "delivery_id": str(delivery_id),
            "event": event,
            "occurred_at": occurred_at.isoformat(),
            key: view,
        }
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        out.append(
            PreparedDelivery(
                delivery_id, client_id, keyring.encrypt(raw, context=payload_context(delivery_id))
            )
        )
    return out


async def record_event(
    session: AsyncSession,
    ctx: RequestContext,
    event: str,
    referral: Referral,
    incident: Incident,
    child: Child | None,
) -> list[uuid.UUID]:
    """Queue `event` about `referral` to every active webhook of its agency; the delivery ids."""
    prepared = await prepare_event(session, ctx, event, referral, incident, child)
    return await _write(session, referral, event, prepared)


async def record_view_event(
    session: AsyncSession,
    keyring: KeyRing,
    *,
    event: str,
    referral: Referral,
    key: str,
    view: dict[str, Any],
    occurred_at: datetime,
    area_code: str | None = None,
) -> list[uuid.UUID]:
    """Queue `event` about a referral whose subject is not an incident (a screening record's
    finding): `view`, already projected to the agency's mandate, goes in the body under `key`;
    to the agency's clients whose area covers `area_code` (the record's village)."""
    clients = await repo.client_ids_with_webhook(session, referral.agency, area_code)
    if not clients:
        return []
    prepared = _prepare(keyring, clients, event, key, view, occurred_at)
    return await _write(session, referral, event, prepared)


async def _write(
    session: AsyncSession, referral: Referral, event: str, prepared: list[PreparedDelivery]
) -> list[uuid.UUID]:
    for d in prepared:
        session.add(
            WebhookDelivery(
                id=d.id,
                agency_client_id=d.agency_client_id,
                referral_id=referral.id,
                event=event,
                payload_enc=d.payload_enc,
                status="pending",
                attempts=0,
                max_attempts=POLICY.max_attempts,
            )
        )
    # No flush here: the rows go with the caller's next flush (the unit of work puts them after
    # their referral); the jobs name them only in their payload.
    for d in prepared:
        await queue.enqueue(
            session,
            repo.DELIVER_JOB,
            {"delivery_id": str(d.id)},
            max_attempts=repo.DELIVER_JOB_ATTEMPTS,
        )
    return [d.id for d in prepared]
