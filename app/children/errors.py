"""The children domain's errors, which every domain raises for a child it cannot find."""

from __future__ import annotations

from app.errors import NotFound

CHILD_NOT_FOUND_ZH = "儿童不存在或不在您的辖区内"
CHILD_NOT_FOUND_EN = "No such child in your jurisdiction"


class ChildNotFound(NotFound):
    """404 `child_not_found`: no child of that id, or not one the caller may see.

    The two are one answer on purpose: a caller learns nothing about children outside their
    jurisdiction. Where the child is named in a request body, report the field instead (422):
    `ValidationFailed(errors=[ChildNotFound.field_error("child_id")])`.
    """

    code = "child_not_found"
    detail = (CHILD_NOT_FOUND_ZH, CHILD_NOT_FOUND_EN)

    @staticmethod
    def field_error(field: str = "child_id") -> tuple[str, str, str]:
        """The same wording as a field error of a 422 (field, message_zh, message_en)."""
        return (field, CHILD_NOT_FOUND_ZH, CHILD_NOT_FOUND_EN)
