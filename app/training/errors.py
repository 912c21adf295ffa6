"""Errors of the training domain."""

from __future__ import annotations

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed


class TrainingNotFound(NotFound):
    code = "training_not_found"
    title_zh = "培训不存在或不在您的辖区内"
    title_en = "No such training session in your jurisdiction"


class NotOrganiser(Forbidden):
    code = "not_training_organiser"
    title_zh = "您不是该培训的组织方"
    title_en = "You do not organise this training session"


class AttendeeRefused(ValidationFailed):
    """The attendee may not be recorded at this session (the cascade rule, or not a worker)."""

    code = "attendee_refused"
    title_zh = "该人员不能登记为本次培训的参训人员"
    title_en = "This person cannot attend this session"


class SessionNotHeld(Conflict):
    code = "training_not_held"
    title_zh = "培训尚未举行"
    title_en = "The session has not been held yet"


class CheckInClosed(Conflict):
    code = "check_in_closed"
    title_zh = "签到已关闭"
    title_en = "Check-in is closed for this session"


class TrainingIdConflict(Conflict):
    code = "training_id_conflict"
    title_zh = "该编号的培训已存在"
    title_en = "A training session with this id exists"
