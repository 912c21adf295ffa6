"""A small uploaded file (CSV or XLSX), sent as multipart `file` or as a `text/csv` body.

    @router.post("/.../import", openapi_extra=CSV_OR_FILE_BODY, ...)
    async def import_x(request: Request, ...) -> ...:
        raw = await csv_or_file(request)

For files read whole (area lists, household lists, insurer answers); the screening import
streams its larger files instead (app/screening/imports/upload.py).
"""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request

from app.errors import UnsupportedMediaType, ValidationFailed

CSV_TYPES: Final = ("text/csv", "text/plain", "application/csv")
CSV_OR_FILE_BODY: Final[dict[str, Any]] = {
    "requestBody": {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
        "required": True,
    }
}


async def csv_or_file(request: Request) -> bytes:
    """The upload's bytes: the multipart field `file`, or a CSV body; else 422 / 415."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ValidationFailed(errors=[("file", "缺少文件字段 file", "Missing file field")])
        return await upload.read()
    if content_type in CSV_TYPES:
        return await request.body()
    raise UnsupportedMediaType(
        "请以 multipart/form-data 或 text/csv 上传", "Send multipart/form-data or text/csv"
    )
