"""HTTP of the holiday gifts: /api/v1/holiday-gifts (节日礼品). District admins record them;
the field workers confirm deliveries in their jurisdiction; everyone with an area reads them."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.pagination import Page
from app.kit.records import replay_response
from app.kit.routes import acts, call_route, creates, lists, page_route
from app.programmes.gifts import service
from app.programmes.gifts.auth import GiftDeliverer, GiftReader, GiftWriter
from app.programmes.gifts.schemas import DeliveryIn, GiftOut, GiftQuery, GiftsCreate, GiftsOut

router = APIRouter(prefix="/api/v1/holiday-gifts", tags=["programmes"])


@router.post(
    "",
    **creates(
        GiftsOut,
        "Record a gift in kind for the children of a holiday run (retry-safe)",
        replayed=replay_response("A retry: every child already had this gift"),
    ),
)
async def add_holiday_gifts(
    body: GiftsCreate, session: SessionDep, _: GiftWriter, ctx: RequestCtx, response: Response
) -> GiftsOut:
    out = await service.add_gifts(session, ctx, body)
    if out.created == 0:
        response.status_code = 200
    return out


page_route(
    router,
    "",
    lists(Page[GiftOut], "The gifts of the children of one's jurisdiction"),
    "list_holiday_gifts",
    GiftReader,
    GiftQuery,
    service.list_gifts,
)


call_route(
    router,
    "POST",
    "/{gift_id}/delivery",
    acts(GiftOut, "Confirm a gift's delivery (the village director, from the phone); once"),
    "deliver_holiday_gift",
    GiftDeliverer,
    service.deliver,
    body=DeliveryIn,
)
