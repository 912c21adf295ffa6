"""节日礼品: the holiday runs (两节, 六一) also give gifts in kind — an item and its value per
child of the run; the child's village director confirms the delivery from the phone (once,
audited; the same confirmation again changes nothing)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.children.access import readable
from app.errors import ValidationFailed
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.money import from_fen, to_fen
from app.kit.pagination import Page
from app.kit.records import out_of
from app.kit.transitions import signed
from app.programmes.gifts import repository as repo
from app.programmes.gifts.errors import GiftConflict, GiftDelivered, GiftNotFound
from app.programmes.gifts.schemas import DeliveryIn, GiftOut, GiftsCreate, GiftsOut
from app.subsidies.rules.grants import OCCASION_ZH


async def add_gifts(session: AsyncSession, ctx: RequestContext, body: GiftsCreate) -> GiftsOut:
    """A gift of `item` to every child of the holiday run (or to those named). A child who
    already has the item keeps it (a retry adds nothing); the item at another value is a 409."""
    period = f"{body.occasion}-{body.year}"
    run = await repo.holiday_run(session, ctx.actor.district_code or "", period)
    if run is None:
        raise ValidationFailed(
            errors=[
                (
                    "year",
                    f"{body.year} 年{OCCASION_ZH[body.occasion]}慰问尚未发放，不能登记礼品",
                    f"No {body.occasion} holiday run for {body.year}",
                )
            ]
        )
    if body.child_ids is not None:
        on_run = await repo.run_children(session, run.id)
        errors = [
            (f"child_ids[{i}]", "该儿童不在本次慰问名单中", "The child is not on this run")
            for i, cid in enumerate(body.child_ids)
            if cid not in on_run
        ]
        if errors:
            raise ValidationFailed(errors=errors)
    fen = to_fen(body.value)
    if await repo.other_values(session, run.id, body.item, fen):
        raise GiftConflict(
            "该礼品已按另一价值登记",
            "This item is recorded at another value",
            errors=[("value", "与已登记的价值不同", "Differs from the value recorded")],
        )
    created = await repo.add_gifts(
        session,
        run_id=run.id,
        child_ids=body.child_ids,
        item=body.item,
        fen=fen,
        at=ctx.now,
        by=ctx.actor.name,
    )
    children, total = await repo.item_totals(session, run.id, body.item)
    if created:
        audit.record(
            session,
            ctx,
            "holiday_gift.create",
            "benefit_run",
            run.id,
            {"item": body.item, "value_fen": fen, "created": created},
        )
    return out_of(
        GiftsOut,
        body,
        run_id=run.id,
        children=children,
        created=created,
        total_value=from_fen(total),
    )


def _gift_out(row: Any) -> GiftOut:
    gift = row.HolidayGift
    occasion, _, year = str(row.period).rpartition("-")
    return out_of(
        GiftOut,
        gift,
        occasion=occasion,
        year=int(year),
        child_name=row.child_name,
        value=from_fen(gift.value_fen),
        delivered=gift.delivered_at is not None,
    )


async def list_gifts(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    occasion: str | None,
    year: int | None,
    delivered: bool | None,
    village_code: str | None,
    limit: int,
    cursor: str | None,
) -> Page[GiftOut]:
    """The gifts of the children of the caller's jurisdiction (a director: their village)."""
    stmt = repo.gifts_stmt(
        readable(ctx.actor),
        occasion=occasion,
        year=year,
        delivered=delivered,
        village_code=village_code,
    )
    rows, nxt = await repo.gift_page(session, stmt, limit, cursor)
    items = [_gift_out(r) for r in rows]
    ids = [str(g.child_id) for g in items]
    audit.record(
        session,
        ctx,
        "holiday_gift.list",
        "holiday_gift",
        None,
        {"count": len(ids), "child_ids": ids},
    )
    return Page(items=items, next_cursor=nxt)


async def deliver(
    session: AsyncSession, ctx: RequestContext, gift_id: uuid.UUID, body: DeliveryIn
) -> GiftOut:
    """送达确认: the gift reached the child. A director of another village finds no such gift
    (404 naming `gift_id`); the same confirmation again answers the one recorded."""
    row = await repo.readable_gift(session, gift_id, readable(ctx.actor), lock=True)
    if row is None:
        raise GiftNotFound(
            "礼品记录不存在或不在您的辖区内",
            "No such gift in your jurisdiction",
            errors=[("gift_id", "礼品不存在或不在您的辖区内", "No such gift in your jurisdiction")],
        )
    gift = row.HolidayGift
    if body.delivered_on > ctx.today:
        raise ValidationFailed(
            errors=[("delivered_on", "送达日期不能晚于今天", "delivered_on is in the future")]
        )
    given = (body.delivered_on, body.received_by, body.note)
    if gift.delivered_at is not None:
        if (gift.delivered_on, gift.received_by, gift.delivery_note) == given:
            return _gift_out(row)
        raise GiftDelivered(
            f"该礼品已于 {gift.delivered_on} 登记送达",
            f"The gift was recorded as delivered on {gift.delivered_on}",
            errors=[("delivered_on", "已登记的送达信息不同", "Differs from the delivery recorded")],
        )
    gift.delivered_on, gift.received_by, gift.delivery_note = given
    detail = {"child_id": str(gift.child_id), "delivered_on": body.delivered_on.isoformat()}
    await signed(session, ctx, gift, "delivered", "holiday_gift.deliver", detail)
    return _gift_out(row)
