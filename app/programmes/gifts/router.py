"""HTTP of the holiday gifts: /api/v1/holiday-gifts (节日礼品). District admins record them;
the field workers confirm deliveries in their jurisdiction; everyone with an area reads them."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.db import SessionDep
from app.errors import error_responses
from app.kit.context import RequestCtx
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.programmes.gifts import service
from app.programmes.gifts.auth import GiftDeliverer, GiftReader, GiftWriter
from app.programmes.gifts.schemas import DeliveryIn, GiftOut, GiftsCreate, GiftsOut
from app.subsidies.rules import Occasion

router = APIRouter(prefix="/api/v1/holiday-gifts", tags=["programmes"])
RETRY: dict[int | str, dict[str, Any]] = {
    200: {"description": "A retry: every child already had this gift"}
}


@router.post(
    "",
    response_model=GiftsOut,
    status_code=201,
    summary="Record a gift in kind for the children of a holiday run (retry-safe)",
    responses=RETRY | error_responses(400, 401, 403, 409, 422),
)
async def add_holiday_gifts(
    body: GiftsCreate, session: SessionDep, _: GiftWriter, ctx: RequestCtx, response: Response
) -> GiftsOut:
    out = await service.add_gifts(session, ctx, body)
    if out.created == 0:
        response.status_code = 200
    return out


@router.get(
    "",
    response_model=Page[GiftOut],
    summary="The gifts of the children of one's jurisdiction",
    responses=error_responses(401, 403, 422),
)
async def list_holiday_gifts(
    session: SessionDep,
    _: GiftReader,
    ctx: RequestCtx,
    occasion: Occasion | None = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    delivered: bool | None = None,
    village_code: Annotated[str | None, Query(max_length=12)] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[GiftOut]:
    return await service.list_gifts(
        session,
        ctx,
        occasion=occasion,
        year=year,
        delivered=delivered,
        village_code=village_code,
        limit=limit,
        cursor=cursor,
    )


@router.post(
    "/{gift_id}/delivery",
    response_model=GiftOut,
    summary="Confirm a gift's delivery (the village director, from the phone); once",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def deliver_holiday_gift(
    gift_id: uuid.UUID, body: DeliveryIn, session: SessionDep, _: GiftDeliverer, ctx: RequestCtx
) -> GiftOut:
    return await service.deliver(session, ctx, gift_id, body)
