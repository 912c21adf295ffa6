"""The visits domain's errors."""

from __future__ import annotations

from app.errors import Conflict, NotFound


class VisitNotFound(NotFound):
    code = "visit_not_found"
    detail = ("探访记录不存在或不在您的辖区内", "No such visit in your jurisdiction")


class VisitIdConflict(Conflict):
    code = "visit_id_conflict"
    detail = ("该探访编号已用于内容不同的记录", "This visit id was already used with another body")


class FollowUpNotFound(NotFound):
    code = "follow_up_not_found"
    detail = ("跟进事项不存在或不在您的辖区内", "No such follow-up in your jurisdiction")


class TransitionRefused(Conflict):
    code = "transition_refused"
