"""The holiday gifts' errors (stable codes)."""

from __future__ import annotations

from app.errors import Conflict, NotFound


class GiftNotFound(NotFound):
    code = "gift_not_found"
    title_zh = "礼品记录不存在或不在您的辖区内"
    title_en = "No such gift in your jurisdiction"


class GiftConflict(Conflict):
    code = "gift_conflict"
    title_zh = "与已登记的礼品不一致"
    title_en = "Disagrees with the gift already recorded"


class GiftDelivered(Conflict):
    code = "gift_delivered"
    title_zh = "礼品已登记送达，送达信息不同"
    title_en = "The gift's delivery is already recorded, differently"
