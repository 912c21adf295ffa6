"""HTTP for active discovery 主动发现: the household-list import and the candidates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.children.projection import staff_view
from app.children.schemas import ChildOut
from app.db import SessionDep
from app.discovery import service
from app.discovery.auth import DistrictAdmin
from app.discovery.schemas import CandidateOut, DismissRequest, EnrollRequest, ImportResult
from app.errors import error_responses
from app.kit.context import RequestCtx
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.kit.routes import acts, call_route, creates
from app.kit.upload import CSV_OR_FILE_BODY, csv_or_file

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
    openapi_extra=CSV_OR_FILE_BODY,
)
async def import_discovery_households(
    request: Request, session: SessionDep, _: DistrictAdmin, ctx: RequestCtx
) -> ImportResult:
    raw = await csv_or_file(request)
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


call_route(
    router,
    "POST",
    "/candidates/{candidate_id:uuid}/dismiss",
    acts(CandidateOut, "Dismiss a candidate with a reason (district admin)"),
    "dismiss_discovery_candidate",
    DistrictAdmin,
    service.dismiss,
    body=DismissRequest,
)
call_route(
    router,
    "POST",
    "/candidates/{candidate_id:uuid}/enroll",
    creates(
        ChildOut,
        "Enrol a candidate: creates the child record (linked) under the usual rules",
        errors=(401, 403, 404, 409, 422),
        replayed={},
    ),
    "enroll_discovery_candidate",
    DistrictAdmin,
    service.enroll,
    body=EnrollRequest,
    answer=staff_view,
)
