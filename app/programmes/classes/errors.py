"""The parents'-class programme's errors."""

from __future__ import annotations

from app.errors import Conflict, NotFound


class ClassNotFound(NotFound):
    code = "parent_class_not_found"
    detail = ("家长课堂不存在", "No such parents' class")


class ClassNotHeld(Conflict):
    code = "parent_class_not_held"
    title_zh = "课堂尚未举办"
    title_en = "The class has not been held yet"
    detail = ("课堂举办之后才能登记参加情况", "Attendance is recorded once the class has been held")
