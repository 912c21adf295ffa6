"""The institute-care domain's errors."""

from __future__ import annotations

from app.errors import Conflict, NotFound


class CarePlanNotFound(NotFound):
    code = "care_plan_not_found"
    title_zh = "照护计划不存在"
    title_en = "No care plan"


class RecordIdConflict(Conflict):
    """The same client id was used for another body."""

    code = "id_conflict"
    title_zh = "该编号已用于内容不同的记录"
    title_en = "This id was used for a different record"
    detail = (
        "同一编号已提交过内容不同的记录，请使用新的编号",
        "A record with this id and a different body exists; use a new id",
    )
    field = ("id", "编号已被占用", "The id is taken")


class SessionNotFound(NotFound):
    code = "counselling_session_not_found"
    title_zh = "咨询记录不存在"
    title_en = "No such counselling session"


class VolunteerNotFound(NotFound):
    code = "volunteer_not_found"
    title_zh = "志愿者不存在"
    title_en = "No such volunteer"
