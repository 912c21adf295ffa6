"""Webhook registration for agency clients; the district's view of deliveries and re-sending."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from app.auth.principal import DistrictAdmin, Principal, get_principal, require_roles
from app.db import SessionDep
from app.errors import Forbidden, NotFound, error_responses
from app.kit.pagination import CursorQuery, LimitQuery, Page, paginate
from app.models import WebhookDelivery
from app.webhooks import repository as repo
from app.webhooks import service
from app.webhooks.schemas import (
    AttemptOut,
    DeliveryDetail,
    DeliveryOut,
    WebhookApproval,
    WebhookIn,
    WebhookOut,
)

router = APIRouter(prefix="/api/v1", tags=["webhooks"])

DeliveryReaders = Annotated[Principal, Depends(require_roles("district_admin", "auditor"))]


async def _admin_or_client(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if principal.kind == "agency" or principal.has_role("district_admin"):
        return principal
    raise Forbidden("仅限区级管理员或该客户端本身", "District admins or the client itself only")


AdminOrClient = Annotated[Principal, Depends(_admin_or_client)]


@router.put(
    "/agency-clients/{client_id:uuid}/webhook",
    response_model=WebhookOut,
    summary="Register (or change) an agency client's webhook; a new secret is shown once. "
    "A URL the client sets itself takes effect when a district admin approves it",
    responses=error_responses(401, 403, 404, 422),
)
async def register_agency_webhook(
    client_id: uuid.UUID,
    body: WebhookIn,
    request: Request,
    session: SessionDep,
    principal: AdminOrClient,
) -> WebhookOut:
    client, secret = await service.register(
        session,
        principal,
        client_id,
        body.url,
        body.rotate_secret,
        request.app.state.keyring,
        request.app.state.settings,
    )
    return WebhookOut(
        agency_client_id=client.id,
        webhook_url=client.webhook_url,
        pending_url=client.webhook_pending_url,
        secret=secret,
        secret_issued=secret is not None,
    )


@router.post(
    "/agency-clients/{client_id:uuid}/webhook/approve",
    response_model=WebhookOut,
    summary="Approve the webhook URL a client set itself (district admin): deliveries go there",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def approve_agency_webhook(
    client_id: uuid.UUID,
    body: WebhookApproval,
    request: Request,
    session: SessionDep,
    admin: DistrictAdmin,
) -> WebhookOut:
    client = await service.approve(session, admin, client_id, body.url, request.app.state.settings)
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
    client_id: uuid.UUID, session: SessionDep, principal: AdminOrClient
) -> Response:
    await service.remove(session, principal, client_id)
    return Response(status_code=204)


@router.get(
    "/webhook-deliveries",
    response_model=Page[DeliveryOut],
    summary="Webhook deliveries (e.g. `status=failed`), oldest first",
    responses=error_responses(401, 403, 422),
)
async def list_webhook_deliveries(
    session: SessionDep,
    _: DeliveryReaders,
    status: Annotated[Literal["pending", "delivered", "failed"] | None, Query()] = None,
    agency_client_id: Annotated[uuid.UUID | None, Query()] = None,
    referral_id: Annotated[uuid.UUID | None, Query()] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[DeliveryOut]:
    rows, nxt = await paginate(
        session,
        repo.list_deliveries_stmt(status, agency_client_id, referral_id),
        [WebhookDelivery.created_at, WebhookDelivery.id],
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[DeliveryOut.model_validate(d) for d in rows], next_cursor=nxt)


@router.get(
    "/webhook-deliveries/{delivery_id:uuid}",
    response_model=DeliveryDetail,
    summary="One delivery with every attempt",
    responses=error_responses(401, 403, 404, 422),
)
async def get_webhook_delivery(
    delivery_id: uuid.UUID, session: SessionDep, _: DeliveryReaders
) -> DeliveryDetail:
    delivery = await repo.get_delivery(session, delivery_id)
    if delivery is None:
        raise NotFound()
    attempts = await repo.attempts_of(session, delivery_id)
    return DeliveryDetail(
        **DeliveryOut.model_validate(delivery).model_dump(),
        attempt_log=[AttemptOut.model_validate(a) for a in attempts],
    )


@router.post(
    "/webhook-deliveries/{delivery_id:uuid}/resend",
    response_model=DeliveryOut,
    summary="Send a failed delivery again (same delivery id, a fresh budget of attempts)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def resend_webhook_delivery(
    delivery_id: uuid.UUID, session: SessionDep, principal: DistrictAdmin
) -> DeliveryOut:
    return DeliveryOut.model_validate(await service.resend(session, principal, delivery_id))
