"""The community activities' errors (stable codes)."""

from __future__ import annotations

from app.errors import Conflict


class ActivityConflict(Conflict):
    code = "activity_conflict"
    title_zh = "该编号的活动已登记，内容不同"
    title_en = "An activity with this id is recorded with other content"
