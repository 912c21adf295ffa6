"""Webhook registration for agency clients; the district's view of deliveries and re-sending."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from app.db import SessionDep
from app.errors import error_responses
from app.kit.context import RequestCtx
from app.kit.pagination import Page
from app.kit.params import Filters
from app.kit.routes import acts, lists, reads
from app.webhooks import service
from app.webhooks.auth import AdminOrClient, DeliveryReader, WebhookApprover
from app.webhooks.schemas import (
    DeliveryDetail,
    DeliveryOut,
    DeliveryQuery,
    WebhookApproval,
    WebhookIn,
    WebhookOut,
)

router = APIRouter(prefix="/api/v1", tags=["webhooks"])


@router.put(
    "/agency-clients/{client_id:uuid}/webhook",
    **reads(
        WebhookOut,
        (
            "Register (or change) an agency client's webhook; a new secret is shown once. "
            "A URL the client sets itself takes effect when a district admin approves it"
        ),
    ),
)
async def register_agency_webhook(
    client_id: uuid.UUID,
    body: WebhookIn,
    session: SessionDep,
    _: AdminOrClient,
    ctx: RequestCtx,
) -> WebhookOut:
    client, secret = await service.register(session, ctx, client_id, body.url, body.rotate_secret)
    return WebhookOut(
        agency_client_id=client.id,
        webhook_url=client.webhook_url,
        pending_url=client.webhook_pending_url,
        secret=secret,
        secret_issued=secret is not None,
    )


@router.post(
    "/agency-clients/{client_id:uuid}/webhook/approve",
    **acts(
        WebhookOut,
        "Approve the webhook URL a client set itself (district admin): deliveries go there",
    ),
)
async def approve_agency_webhook(
    client_id: uuid.UUID,
    body: WebhookApproval,
    session: SessionDep,
    _: WebhookApprover,
    ctx: RequestCtx,
) -> WebhookOut:
    client = await service.approve(session, ctx, client_id, body.url)
    return WebhookOut(
        agency_client_id=client.id,
        webhook_url=client.webhook_url,
        pending_url=None,
        secret=None,
        secret_issued=False,
    )


@router.delete(
    "/agency-clients/{client_id:uuid}/webhook",
    status_code=204,
    summary="Remove an agency client's webhook (and its secret)",
    responses=error_responses(401, 403, 404, 422),
)
async def remove_agency_webhook(
    client_id: uuid.UUID, session: SessionDep, _: AdminOrClient, ctx: RequestCtx
) -> Response:
    await service.remove(session, ctx, client_id)
    return Response(status_code=204)


@router.get(
    "/webhook-deliveries",
    **lists(Page[DeliveryOut], "Webhook deliveries (e.g. `status=failed`), oldest first"),
)
async def list_webhook_deliveries(
    session: SessionDep, reader: DeliveryReader, query: Filters[DeliveryQuery]
) -> Page[DeliveryOut]:
    return await service.list_deliveries(session, district_code=reader.district_code, **dict(query))


@router.get(
    "/webhook-deliveries/{delivery_id:uuid}",
    **reads(DeliveryDetail, "One delivery with every attempt"),
)
async def get_webhook_delivery(
    delivery_id: uuid.UUID, session: SessionDep, reader: DeliveryReader
) -> DeliveryDetail:
    return await service.get_delivery(session, delivery_id, reader.district_code)


@router.post(
    "/webhook-deliveries/{delivery_id:uuid}/resend",
    **acts(
        DeliveryOut, "Send a failed delivery again (same delivery id, a fresh budget of attempts)"
    ),
)
async def resend_webhook_delivery(
    delivery_id: uuid.UUID, session: SessionDep, _: WebhookApprover, ctx: RequestCtx
) -> DeliveryOut:
    return DeliveryOut.model_validate(await service.resend(session, ctx, delivery_id))
