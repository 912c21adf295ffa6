"""Registering an agency client's webhook (its secret shown once) and re-sending deliveries.

A webhook URL is checked when saved (https outside development; the host must resolve to
public addresses only: app/kit/egress.py) and again by every delivery, which connects only to
the addresses it checked. A district admin's URL takes effect at once; a URL the client sets
itself waits as `webhook_pending_url`, delivered nothing, until a district admin approves it
(deliveries keep going to the approved URL meanwhile).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.roles import Role
from app.config import Settings
from app.errors import Conflict, NotFound, ValidationFailed, found
from app.kit import audit, egress
from app.kit.context import RequestContext
from app.kit.pagination import Page, page_of
from app.models import AgencyClient, WebhookDelivery
from app.webhooks import outbox, signing
from app.webhooks import repository as repo
from app.webhooks.schemas import AttemptOut, DeliveryDetail, DeliveryOut
from app.worker import queue


async def _client_for(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID
) -> AgencyClient:
    """District admins manage their district's clients' webhooks; a client only its own."""
    if principal.kind == "agency" and principal.id != client_id:
        raise NotFound()
    client = found(await session.get(AgencyClient, client_id, with_for_update=True))
    if principal.kind == "user" and principal.district_code not in (None, client.area_code):
        raise NotFound()  # another district's client
    return client


def _parse_url(url: str, settings: Settings) -> tuple[str, int]:
    """The host and port of a webhook URL a delivery may use; ValidationFailed otherwise."""
    invalid = ValidationFailed(errors=[("url", "网址无效", "Not a valid URL")])
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        port = parts.port
        httpx.URL(url)  # the deliveries' client: a URL it cannot send to is refused now
    except (ValueError, httpx.InvalidURL):  # e.g. "http://a[b" (a broken IPv6 literal)
        raise invalid from None
    if parts.scheme not in ("http", "https") or not hostname:
        raise invalid
    if parts.username or parts.password:
        raise ValidationFailed(
            errors=[("url", "网址不得包含用户名或密码", "No user name or password in the URL")]
        )
    if parts.scheme != "https" and not settings.webhook_plain_http_allowed:
        raise ValidationFailed(errors=[("url", "须使用 https", "Use https")])
    return hostname, port or (443 if parts.scheme == "https" else 80)


async def check_url(url: str, settings: Settings) -> None:
    """At save: a valid https URL whose host resolves to public addresses only."""
    host, port = _parse_url(url, settings)
    try:
        await egress.checked_addresses(
            host,
            port,
            allow_private=settings.webhook_allow_private_targets,
            timeout=settings.outbound_connect_timeout_seconds,
        )
    except egress.TargetRefused as exc:
        raise ValidationFailed(
            errors=[
                (
                    "url",
                    f"不允许的目标地址（{exc.reason}）：须解析为公网地址",
                    f"Target not allowed ({exc.reason}): it must resolve to public addresses",
                )
            ]
        ) from None


def delivery_url_problem(url: str, settings: Settings) -> str | None:
    """At delivery: why the stored URL may not be used (e.g. http in production), else None."""
    try:
        _parse_url(url, settings)
    except ValidationFailed as exc:
        return "target refused: " + "; ".join(e[2] for e in exc.errors)
    return None


async def register(
    session: AsyncSession,
    ctx: RequestContext,
    client_id: uuid.UUID,
    url: str,
    rotate_secret: bool,
) -> tuple[AgencyClient, str | None]:
    """Set the webhook: a district admin's URL at once, a client's own as a pending URL."""
    principal = ctx.actor
    await check_url(url, ctx.settings)
    client = await _client_for(session, principal, client_id)
    secret: str | None = None
    pending = False
    if principal.has_role(Role.DISTRICT_ADMIN):
        client.webhook_url = url
        client.webhook_pending_url = None
    elif url != client.webhook_url:
        client.webhook_pending_url = url
        pending = True
    else:
        client.webhook_pending_url = None  # back to the approved URL: nothing to approve
    if client.webhook_secret_enc is None or rotate_secret:
        secret = signing.new_secret()
        grace = ctx.settings.webhook_secret_grace_hours
        if client.webhook_secret_enc is not None and grace > 0:
            # The old secret keeps signing beside the new one until the partner has switched.
            client.webhook_previous_secret_enc = client.webhook_secret_enc
            client.webhook_previous_secret_expires_at = ctx.clock.now() + timedelta(hours=grace)
        else:
            client.webhook_previous_secret_enc = None
            client.webhook_previous_secret_expires_at = None
        client.webhook_secret_enc = ctx.keyring.encrypt(secret)
    await session.flush()
    audit.record(
        session,
        ctx,
        "agency_client.webhook_requested" if pending else "agency_client.webhook_set",
        "agency_client",
        client.id,
        {"url": url, "secret_issued": secret is not None},
    )
    return client, secret


async def approve(
    session: AsyncSession, ctx: RequestContext, client_id: uuid.UUID, url: str
) -> AgencyClient:
    """A district admin approves the pending URL `url` (the one they saw): it takes effect."""
    client = found(await session.get(AgencyClient, client_id, with_for_update=True))
    if client.webhook_pending_url is None:
        raise Conflict("没有待审批的网址", "No webhook URL is awaiting approval")
    if client.webhook_pending_url != url:
        raise Conflict(
            "待审批的网址已变更，请重新查看", "The pending URL has changed; look at it again"
        )
    await check_url(url, ctx.settings)  # its addresses again: they may have changed since
    client.webhook_url = url
    client.webhook_pending_url = None
    await session.flush()
    audit.record(
        session,
        ctx,
        "agency_client.webhook_approved",
        "agency_client",
        client.id,
        {"url": url},
    )
    return client


async def remove(session: AsyncSession, ctx: RequestContext, client_id: uuid.UUID) -> None:
    client = await _client_for(session, ctx.actor, client_id)
    client.webhook_url = None
    client.webhook_pending_url = None
    client.webhook_secret_enc = None
    client.webhook_previous_secret_enc = None
    client.webhook_previous_secret_expires_at = None
    await session.flush()
    audit.record(session, ctx, "agency_client.webhook_removed", "agency_client", client.id)


async def resend(
    session: AsyncSession, ctx: RequestContext, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """Queue a failed (or delivered) delivery again, with a fresh budget of attempts."""
    found(await repo.get_delivery(session, delivery_id, ctx.actor.district_code))
    delivery = found(await session.get(WebhookDelivery, delivery_id, with_for_update=True))
    if delivery.status == "pending":
        raise Conflict("该投递仍在进行中", "The delivery is still being attempted")
    delivery.status = "pending"
    delivery.max_attempts = delivery.attempts + outbox.POLICY.max_attempts
    delivery.next_attempt_at = func.now()
    delivery.updated_at = func.now()
    await session.flush()
    await session.refresh(delivery)
    await queue.enqueue(session, repo.DELIVER_JOB, {"delivery_id": str(delivery.id)})
    audit.record(session, ctx, "webhook_delivery.resend", "webhook_delivery", delivery.id)
    return delivery


async def list_deliveries(
    session: AsyncSession,
    *,
    district_code: str | None = None,
    status: str | None,
    agency_client_id: uuid.UUID | None,
    referral_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> Page[DeliveryOut]:
    """The deliveries (of a status, a client, a referral), oldest first: a district's readers
    see the deliveries to their district's clients."""
    stmt = repo.list_deliveries_stmt(status, agency_client_id, referral_id, district_code)
    keys = [WebhookDelivery.created_at, WebhookDelivery.id]
    return await page_of(session, stmt, keys, limit, cursor, DeliveryOut.model_validate)


async def get_delivery(
    session: AsyncSession, delivery_id: uuid.UUID, district_code: str | None = None
) -> DeliveryDetail:
    """One delivery with every attempt (another district's client's delivery: 404)."""
    delivery = found(await repo.get_delivery(session, delivery_id, district_code))
    attempts = await repo.attempts_of(session, delivery_id)
    return DeliveryDetail(
        **DeliveryOut.model_validate(delivery).model_dump(),
        attempt_log=[AttemptOut.model_validate(a) for a in attempts],
    )
