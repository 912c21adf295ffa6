"""Errors of the document store."""

from __future__ import annotations

from app.errors import Conflict, NotFound, PayloadTooLarge, ServiceUnavailable, ValidationFailed


class DocumentNotFound(NotFound):
    code = "document_not_found"
    title_zh = "文件不存在或您无权查看"
    title_en = "No such document, or not yours to read"


class RecordNotFound(NotFound):
    """The record a document would belong to does not exist for the caller."""

    code = "document_record_not_found"
    title_zh = "文件所属的记录不存在或不在您的辖区内"
    title_en = "The record the document belongs to is not in your jurisdiction"


class DocumentTooLarge(PayloadTooLarge):
    code = "document_too_large"
    title_zh = "文件过大"
    title_en = "Document too large"


class FileRefused(ValidationFailed):
    """The file is not one the store takes (by its bytes), or it carries a script."""

    code = "document_refused"
    title_zh = "文件未被接受"
    title_en = "The file was refused"

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(zh, en, errors=[("file", zh, en)], extra={"reason": code})


class DocumentIdConflict(Conflict):
    code = "document_id_conflict"
    title_zh = "该文件编号已用于另一份文件"
    title_en = "This document id is already used by another document"


class UploadOffsetMismatch(Conflict):
    code = "upload_offset_mismatch"
    title_zh = "续传位置与已接收的字节数不符"
    title_en = "The upload offset is not where the upload stands"

    def __init__(self, expected: int, sent: int) -> None:
        super().__init__(
            f"已接收 {expected} 字节，请从 Upload-Offset: {expected} 继续上传（本次为 {sent}）",
            f"{expected} bytes were received; continue from Upload-Offset: {expected} "
            f"(this request said {sent})",
            extra={"expected_offset": expected},
            headers={"Upload-Offset": str(expected)},
        )


class UploadFinished(Conflict):
    code = "upload_finished"
    title_zh = "该文件已上传完成"
    title_en = "This upload is already complete"


class StoreUnavailable(ServiceUnavailable):
    """The document store (the disk, the bucket) did not answer: nothing was kept; retry."""

    code = "document_store_unavailable"
    title_zh = "文件存储暂不可用，请稍后重试"
    title_en = "The document store is unavailable; please retry"

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "30"})
