"""Registering an agency client's webhook (its secret shown once) and re-sending deliveries."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import httpx
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.config import Settings
from app.errors import Conflict, NotFound, ValidationFailed
from app.kit import audit
from app.kit.crypto import KeyRing
from app.models import AgencyClient, WebhookDelivery
from app.webhooks import outbox, signing
from app.webhooks import repository as repo
from app.worker import queue


async def _client_for(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID
) -> AgencyClient:
    """District admins manage any client's webhook; a client manages only its own."""
    if principal.kind == "agency" and principal.id != client_id:
        raise NotFound()
    client = await session.get(AgencyClient, client_id, with_for_update=True)
    if client is None:
        raise NotFound()
    return client


def _check_url(url: str, settings: Settings) -> None:
    invalid = ValidationFailed(errors=[("url", "网址无效", "Not a valid URL")])
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        httpx.URL(url)  # the deliveries' client: a URL it cannot send to is refused now
    except (ValueError, httpx.InvalidURL):  # e.g. "http://a[b" (a broken IPv6 literal)
        raise invalid from None
    if parts.scheme not in ("http", "https") or not hostname:
        raise invalid
    if settings.app_env == "production" and parts.scheme != "https":
        raise ValidationFailed(errors=[("url", "生产环境须使用 https", "Use https in production")])


async def register(
    session: AsyncSession,
    principal: Principal,
    client_id: uuid.UUID,
    url: str,
    rotate_secret: bool,
    keyring: KeyRing,
    settings: Settings,
) -> tuple[AgencyClient, str | None]:
    _check_url(url, settings)
    client = await _client_for(session, principal, client_id)
    secret: str | None = None
    client.webhook_url = url
    if client.webhook_secret_enc is None or rotate_secret:
        secret = signing.new_secret()
        client.webhook_secret_enc = keyring.encrypt(secret)
    await session.flush()
    audit.record(
        session,
        principal,
        "agency_client.webhook_set",
        "agency_client",
        client.id,
        {"url": url, "secret_issued": secret is not None},
    )
    return client, secret


async def remove(session: AsyncSession, principal: Principal, client_id: uuid.UUID) -> None:
    client = await _client_for(session, principal, client_id)
    client.webhook_url = None
    client.webhook_secret_enc = None
    await session.flush()
    audit.record(session, principal, "agency_client.webhook_removed", "agency_client", client.id)


async def resend(
    session: AsyncSession, principal: Principal, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """Queue a failed (or delivered) delivery again, with a fresh budget of attempts."""
    delivery = await session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise NotFound()
    if delivery.status == "pending":
        raise Conflict("该投递仍在进行中", "The delivery is still being attempted")
    delivery.status = "pending"
    delivery.max_attempts = delivery.attempts + outbox.POLICY.max_attempts
    delivery.next_attempt_at = func.now()
    delivery.updated_at = func.now()
    await session.flush()
    await session.refresh(delivery)
    await queue.enqueue(session, repo.DELIVER_JOB, {"delivery_id": str(delivery.id)})
    audit.record(session, principal, "webhook_delivery.resend", "webhook_delivery", delivery.id)
    return delivery
