"""The screening domain's errors."""

from __future__ import annotations

from app.errors import Conflict, NotFound, ValidationFailed


class NotATable(ValidationFailed):
    """The upload is not a screening table (no header, unreadable, not CSV/XLSX): 422 on `file`."""

    code = "not_a_table"
    title_zh = "文件不是摸排表格"
    title_en = "The file is not a screening table"

    def __init__(self, reason_zh: str) -> None:
        super().__init__(
            reason_zh,
            f"The file is not a screening table: {reason_zh}",
            errors=[("file", reason_zh, f"Not a screening table: {reason_zh}")],
        )


class ImportNotFound(NotFound):
    code = "screening_import_not_found"
    detail = ("导入任务不存在", "No such import")


class RecordNotFound(NotFound):
    code = "screening_record_not_found"
    detail = ("摸排记录不存在", "No such screening record")


class AreaNotFound(NotFound):
    code = "area_not_found"
    detail = ("区划不存在或不在您的辖区内", "No such area within your jurisdiction")


class ImportFinished(Conflict):
    """409: the import is done, failed or cancelled already; there is nothing to cancel."""

    code = "screening_import_finished"
    title_zh = "导入已结束，无法取消"
    title_en = "The import has finished; it cannot be cancelled"

    def __init__(self, status: str) -> None:
        super().__init__(
            f"导入已结束（{status}），无法取消",
            f"The import has finished ({status}); it cannot be cancelled",
        )
