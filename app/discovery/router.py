"""HTTP for active discovery 主动发现: the household-list import and the candidates."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.children.projection import staff_view
from app.children.schemas import ChildOut
from app.db import SessionDep
from app.discovery import service
from app.discovery.auth import DistrictAdmin
from app.discovery.schemas import CandidateOut, DismissRequest, EnrollRequest, ImportResult
from app.errors import UnsupportedMediaType, ValidationFailed, error_responses
from app.kit.context import RequestCtx
from app.kit.pagination import CursorQuery, LimitQuery, Page

router = APIRouter(prefix="/api/v1/discovery", tags=["discovery"])


@router.post(
    "/households/import",
    response_model=ImportResult,
    summary="Import the 低保/低收入 household list (CSV or XLSX) and cross-match its minors",
    description="Columns: household_id, assistance_type, village_code, name, id_number, "
    "relation; optional disability_kind, disability_grade, disability_certificate_no, "
    "serious_illness, situation, situation_since (Chinese headers accepted). One row per "
    "member. See app/discovery/parsing.py.",
    responses=error_responses(400, 401, 403, 408, 413, 415, 422, 429),
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
)
async def import_discovery_households(
    request: Request, session: SessionDep, _: DistrictAdmin, ctx: RequestCtx
) -> ImportResult:
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
    return await service.import_households(session, ctx, raw)


@router.get(
    "/candidates",
    response_model=Page[CandidateOut],
    summary="Children who may qualify and are not enrolled, with the reasons",
    responses=error_responses(401, 403, 422),
)
async def list_discovery_candidates(
    session: SessionDep,
    ctx: RequestCtx,
    status: Annotated[str | None, Query(pattern="^(open|dismissed|enrolled)$")] = "open",
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[CandidateOut]:
    return await service.list_candidates(session, ctx, status, limit, cursor)


@router.post(
    "/candidates/{candidate_id:uuid}/dismiss",
    response_model=CandidateOut,
    summary="Dismiss a candidate with a reason (district admin)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def dismiss_discovery_candidate(
    candidate_id: uuid.UUID,
    body: DismissRequest,
    session: SessionDep,
    _: DistrictAdmin,
    ctx: RequestCtx,
) -> CandidateOut:
    return await service.dismiss(session, ctx, candidate_id, body.reason)


@router.post(
    "/candidates/{candidate_id:uuid}/enroll",
    response_model=ChildOut,
    status_code=201,
    summary="Enrol a candidate: creates the child record (linked) under the usual rules",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def enroll_discovery_candidate(
    candidate_id: uuid.UUID,
    body: EnrollRequest,
    session: SessionDep,
    _: DistrictAdmin,
    ctx: RequestCtx,
) -> ChildOut:
    child = await service.enroll(session, ctx, candidate_id, body)
    return staff_view(child, ctx)
