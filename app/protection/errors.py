"""Errors of the protection centre's domain."""

from __future__ import annotations

from app.errors import Conflict, NotFound


class IntakeNotFound(NotFound):
    code = "intake_not_found"
    title_zh = "受理记录不存在"
    title_en = "Intake not found"


class FollowUpVisitNotFound(NotFound):
    code = "follow_up_visit_not_found"
    title_zh = "回访任务不存在"
    title_en = "Follow-up visit not found"


class IntakeClosed(Conflict):
    code = "intake_closed"
    title_zh = "该受理已出站结案"
    title_en = "The intake is closed"


class OpenIntakeExists(Conflict):
    code = "open_intake_exists"
    title_zh = "该儿童已有未结案的受理"
    title_en = "The child already has an open intake"


class AlreadyVisited(Conflict):
    code = "follow_up_visit_done"
    title_zh = "该回访已记录"
    title_en = "The follow-up visit is already recorded"
