"""The education-aid domain's errors (stable codes)."""

from __future__ import annotations

from app.errors import Conflict, NotFound


class RoundNotFound(NotFound):
    code = "aid_round_not_found"
    title_zh = "教育帮扶批次不存在"
    title_en = "No such education-aid round"


class ApplicationNotFound(NotFound):
    code = "aid_application_not_found"
    title_zh = "教育帮扶申请不存在"
    title_en = "No such education-aid application"


class RoundExists(Conflict):
    code = "aid_round_exists"
    title_zh = "该年度已有同名的帮扶批次"
    title_en = "The year already has a round of this name"


class ApplicationExists(Conflict):
    code = "aid_application_exists"
    title_zh = "该儿童在本批次已有申请"
    title_en = "The child already has an application in this round"


class WrongState(Conflict):
    code = "aid_wrong_state"
    title_zh = "申请的当前状态不允许此操作"
    title_en = "Not allowed in the application's current state"


class Disbursed(WrongState):
    code = "aid_disbursed"
    title_zh = "帮扶资金已拨付，申请不能再修改"
    title_en = "The aid is disbursed; the application is frozen"
