"""HTTP routes of 监测摸排 (migrant and left-behind child screening)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.auth.principal import CurrentPrincipal
from app.db import SessionDep
from app.errors import error_responses
from app.kit.clock import ClockDep, local_today
from app.kit.context import RequestCtx
from app.kit.pagination import CursorQuery, Page
from app.kit.records import out_of
from app.kit.spreadsheet import XLSX_MEDIA_TYPE
from app.kit.types import Timestamp
from app.replica import LagTolerantSessionDep
from app.screening import service
from app.screening.imports.rows import SchoolStatus
from app.screening.imports.template import template_csv, template_xlsx
from app.screening.schemas import (
    ClassificationFilter,
    ImportAccepted,
    ImportOut,
    RecordDetail,
    RecordOut,
    StatsOut,
)

router = APIRouter(prefix="/api/v1/screening", tags=["screening"])

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "CSV (UTF-8, UTF-8 with BOM, GB18030) or XLSX.",
                        }
                    },
                }
            }
        },
    }
}


@router.post(
    "/imports",
    status_code=202,
    response_model=ImportAccepted,
    openapi_extra=_UPLOAD_BODY,
    responses=error_responses(401, 403, 408, 413, 415, 422, 429),
)
async def create_screening_import(
    request: Request, session: SessionDep, principal: CurrentPrincipal, response: Response
) -> ImportAccepted:
    """Upload a screening file 上传摸排表; 202 at once, the import runs in the background."""
    imp = await service.create_import(
        session,
        principal,
        request.app.state.settings,
        content_type=request.headers.get("content-type"),
        body=request.stream(),
    )
    response.headers["Location"] = f"/api/v1/screening/imports/{imp.id}"
    return ImportAccepted(
        id=imp.id, status="queued", file_name=imp.file_name, warnings=list(imp.warnings)
    )


@router.get(
    "/imports/{import_id}", response_model=ImportOut, responses=error_responses(401, 404, 422)
)
async def get_screening_import(
    import_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal, clock: ClockDep
) -> ImportOut:
    """An import's status, progress and counts (`interrupted`, with the row it resumes at,
    while a running import's heartbeat has stopped)."""
    imp = await service.get_import(session, principal, import_id)
    return _import_out(imp, clock.now())


@router.post(
    "/imports/{import_id}/cancel",
    response_model=ImportOut,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def cancel_screening_import(
    import_id: uuid.UUID, session: SessionDep, ctx: RequestCtx
) -> ImportOut:
    """Cancel an import that has not finished 取消导入 (district admin; 409 once finished).
    A running import stops before its next chunk; the rows already applied stay."""
    imp = await service.cancel_import(session, ctx.actor, ctx.settings, import_id, ctx.now)
    return _import_out(imp, ctx.now)


def _import_out(imp: Any, now: datetime) -> ImportOut:
    """The import as answered: its shown status (`interrupted` while its heartbeat has stopped)."""
    status, resume_at_row = service.shown_status(imp, now)
    return out_of(
        ImportOut,
        imp,
        status=status,
        resume_at_row=resume_at_row,
        uploaded_by=imp.uploaded_by_name,
        progress=round(imp.progress, 4),
        warnings=list(imp.warnings),
    )


@router.get(
    "/imports/{import_id}/errors",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {XLSX_MEDIA_TYPE: {}, "text/csv": {}},
            "description": "行号, 列名, 填写内容, 错误原因 (row, column, rejected value, reason)",
        },
        **error_responses(401, 404, 422),
    },
)
async def get_screening_import_errors(
    import_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    format: Annotated[Literal["xlsx", "csv"], Query(description="xlsx (default) or csv")] = "xlsx",
    encoding: Annotated[
        Literal["utf-8", "gb18030"],
        Query(description="CSV only: utf-8 (with BOM, default) or gb18030"),
    ] = "utf-8",
) -> Response:
    """The rejected rows of an import, Chinese headers: row, column, the value the file held
    and the reason; as a workbook (default) or CSV (UTF-8 or GB18030)."""
    if format == "xlsx":
        content = await service.import_errors_xlsx(session, principal, import_id, clock.now())
        return Response(
            content,
            media_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="errors-{import_id}.xlsx"'},
        )
    lines = await service.import_errors_csv(
        session, principal, import_id, request.app.state.sessionmaker, encoding
    )
    return StreamingResponse(
        lines,
        media_type=f"text/csv; charset={encoding}",
        headers={"Content-Disposition": f'attachment; filename="errors-{import_id}.csv"'},
    )


@router.get(
    "/template",
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            }
        },
        **error_responses(401, 422),
    },
)
async def get_screening_template(
    principal: CurrentPrincipal,
    format: Annotated[Literal["csv", "xlsx"], Query(description="csv or xlsx")] = "csv",
    headers: Annotated[Literal["zh", "en"], Query(description="Chinese or English")] = "zh",
) -> Response:
    """The screening template 摸排模板 (with an example row)."""
    chinese = headers == "zh"
    if format == "xlsx":
        return Response(
            template_xlsx(chinese=chinese, example=True),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": 'attachment; filename="screening-template.xlsx"'},
        )
    return Response(
        template_csv(chinese=chinese, example=True),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="screening-template.csv"'},
    )


@router.get(
    "/records",
    response_model=Page[RecordOut],
    response_model_exclude_unset=True,
    responses=error_responses(401, 403, 404, 422),
)
async def list_screening_records(
    request: Request,
    session: LagTolerantSessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    classification: ClassificationFilter | None = None,
    area_code: Annotated[str | None, Query(max_length=12, pattern=r"^\d{6,12}$")] = None,
    age_min: Annotated[int | None, Query(ge=0, le=30, description="Age today, at least")] = None,
    age_max: Annotated[int | None, Query(ge=0, le=30, description="Age today, at most")] = None,
    school_status: SchoolStatus | None = None,
    q: Annotated[str | None, Query(max_length=50, description="Name prefix or ID number")] = None,
    updated_since: Timestamp | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: CursorQuery = None,
) -> dict[str, Any]:
    """Screened children 摸排记录 (keyset pages in update order); partners see their mandate."""
    items, next_cursor = await service.list_records(
        session,
        principal,
        request.app.state.settings,
        request.app.state.keyring,
        local_today(clock),
        classification=classification,
        area_code=area_code,
        age_min=age_min,
        age_max=age_max,
        school_status=school_status,
        q=q,
        updated_since=updated_since,
        limit=limit,
        cursor=cursor,
    )
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/records/{record_id}",
    response_model=RecordDetail,
    response_model_exclude_unset=True,
    responses=error_responses(401, 403, 404, 422),
)
async def get_screening_record(
    record_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> dict[str, Any]:
    """One screened child with the history of its changes (an audited read)."""
    return await service.get_record(
        session,
        principal,
        request.app.state.settings,
        request.app.state.keyring,
        local_today(clock),
        record_id,
    )


@router.get("/stats", response_model=StatsOut, responses=error_responses(401, 403, 404, 422))
async def get_screening_stats(
    request: Request,
    session: LagTolerantSessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    area_code: Annotated[str | None, Query(max_length=12, pattern=r"^\d{6,12}$")] = None,
) -> dict[str, Any]:
    """Counts 统计: by classification, town, age band, school status; not-in-school aged 6–15."""
    return await service.stats(
        session, principal, request.app.state.settings, local_today(clock), area_code
    )
