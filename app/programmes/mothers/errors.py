"""The caring-mother programme's errors."""

from __future__ import annotations

from app.errors import Conflict, NotFound


class MotherNotFound(NotFound):
    code = "caring_mother_not_found"
    detail = ("爱心妈妈不存在", "No such caring mother")


class PairingNotFound(NotFound):
    code = "pairing_not_found"
    detail = ("结对不存在或不在您的辖区内", "No such pairing in your jurisdiction")


class PairingExists(Conflict):
    code = "pairing_exists"
    title_zh = "该爱心妈妈已与该儿童结对"
    title_en = "The caring mother is already paired with the child"
    detail = (
        "该爱心妈妈与该儿童已有进行中的结对",
        "This caring mother and child already have an active pairing",
    )
    field = ("child_id", "已有进行中的结对", "An active pairing exists")


class PairingEnded(Conflict):
    code = "pairing_ended"
    title_zh = "结对已结束"
    title_en = "The pairing has ended"
    detail = ("该结对已结束", "This pairing has already ended")


class ContactIdConflict(Conflict):
    code = "contact_id_conflict"
    detail = (
        "该联系记录编号已用于内容不同的记录",
        "This contact id was already used with another body",
    )
    field = ("id", "编号已被使用", "The id is taken")


class WishExists(Conflict):
    code = "wish_exists"
    detail = (
        "该儿童的结对意愿已登记（内容不同）",
        "The child's wish is already recorded, with another body",
    )
    field = ("child_id", "意愿已登记", "The wish is already recorded")
