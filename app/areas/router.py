from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.areas import service
from app.areas.schemas import AreaImportResult, AreaLevel, AreaOut
from app.auth.principal import CurrentPrincipal, DistrictAdmin
from app.db import SessionDep
from app.errors import UnsupportedMediaType, ValidationFailed
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.kit.routes import acts, reads

router = APIRouter(prefix="/api/v1/areas", tags=["areas"])


@router.get("", **reads(Page[AreaOut], "List areas (district, towns, villages)", errors=(401, 422)))
async def list_areas(
    session: SessionDep,
    principal: CurrentPrincipal,
    level: Annotated[AreaLevel | None, Query()] = None,
    parent_code: Annotated[str | None, Query(max_length=12)] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[AreaOut]:
    return await service.list_areas(session, level, parent_code, limit, cursor)


@router.post(
    "/import",
    **acts(
        AreaImportResult,
        "Import areas from CSV (code,name,level,parent_code): multipart `file` or text/csv",
        errors=(400, 401, 403, 408, 413, 415, 422, 429),
        openapi_extra={
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
        },
    ),
)
async def import_areas(
    request: Request,
    session: SessionDep,
    principal: DistrictAdmin,
) -> AreaImportResult:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ValidationFailed(errors=[("file", "缺少文件字段 file", "Missing file field")])
        raw = await upload.read()
    elif content_type in ("text/csv", "text/plain", "application/csv"):
        raw = await request.body()
    else:
        raise UnsupportedMediaType(
            "请以 multipart/form-data 或 text/csv 上传", "Send multipart/form-data or text/csv"
        )
    return await service.import_csv(session, principal, raw)
