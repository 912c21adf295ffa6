"""HTTP of the insurance enrolment 医疗保险参保: /api/v1/insurance/...

Roles: see `app/insurance/auth.py` (the table of who may call what).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response

from app.db import SessionDep
from app.errors import error_responses
from app.insurance import files, premiums, service, worklist
from app.insurance.auth import InsuranceReader, InsuranceWriter, PremiumReader
from app.insurance.schemas import (
    AnswerImportResult,
    EnrolmentCreate,
    EnrolmentOut,
    EnrolmentPatch,
    EnrolmentStatus,
    InsuranceSchemeCode,
    PremiumsOut,
    SchemeCreate,
    SchemeOut,
    SubmissionRequest,
    WorklistGenerate,
    WorklistGenerated,
    WorklistItem,
)
from app.kit.context import RequestCtx
from app.kit.etag import set_etag
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.kit.routes import acts, creates, lists, reads
from app.kit.upload import CSV_OR_FILE_BODY, csv_or_file
from app.replica import LagTolerantSessionDep

router = APIRouter(prefix="/api/v1/insurance", tags=["insurance"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YearQuery = Annotated[int, Query(ge=2000, le=2100, description="The insurance year.")]
OptionalYear = Annotated[int | None, Query(ge=2000, le=2100, description="The insurance year.")]
AreaQuery = Annotated[
    str | None, Query(max_length=12, pattern=r"^\d{6,12}$", description="A town or village.")
]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=100)]
_XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {XLSX: {}}, "description": "The submission file as .xlsx"}
}


@router.get(
    "/schemes", **lists(list[SchemeOut], "The schemes' parameters per insurance year (保险参数)")
)
async def list_insurance_schemes(
    session: SessionDep,
    _: InsuranceReader,
    ctx: RequestCtx,
    year: OptionalYear = None,
    scheme: InsuranceSchemeCode | None = None,
) -> list[SchemeOut]:
    return await service.list_schemes(session, ctx, year, scheme)


@router.post(
    "/schemes",
    **creates(
        SchemeOut,
        "Append a scheme's parameters for an insurance year, from a date on (premium, "
        "categories covered free, enrolment window)",
        replayed={},
    ),
)
async def create_insurance_scheme(
    body: SchemeCreate, session: SessionDep, _: InsuranceWriter, ctx: RequestCtx
) -> SchemeOut:
    return await service.create_scheme(session, ctx, body)


@router.get(
    "/worklist",
    **lists(
        Page[WorklistItem],
        "Children due for a scheme and insurance year, with the reason (by town with area_code)",
        errors=(401, 403, 409, 422),
    ),
)
async def insurance_worklist(
    session: SessionDep,
    _: InsuranceReader,
    ctx: RequestCtx,
    year: YearQuery,
    scheme: InsuranceSchemeCode,
    area_code: AreaQuery = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[WorklistItem]:
    return await worklist.worklist(
        session, ctx, year=year, scheme=scheme, area_code=area_code, limit=limit, cursor=cursor
    )


@router.post(
    "/worklist/generate",
    **acts(
        WorklistGenerated,
        "Generate the year's worklist as `due` enrolments (again: nothing new for those listed)",
        errors=(401, 403, 409, 422),
    ),
)
async def generate_insurance_worklist(
    body: WorklistGenerate, session: SessionDep, _: InsuranceWriter, ctx: RequestCtx
) -> WorklistGenerated:
    return await worklist.generate(session, ctx, year=body.year, scheme=body.scheme)


@router.post(
    "/enrolments",
    **creates(
        EnrolmentOut,
        "Record a child's enrolment in a scheme for a year (a second one: 409)",
        errors=(400, 401, 403, 404, 409, 422),
        replayed={},
    ),
)
async def create_insurance_enrolment(
    body: EnrolmentCreate,
    response: Response,
    session: SessionDep,
    _: InsuranceWriter,
    ctx: RequestCtx,
) -> EnrolmentOut:
    out = await service.create_enrolment(session, ctx, body)
    set_etag(response, out.version)
    return out


@router.get("/enrolments", **lists(Page[EnrolmentOut], "List insurance enrolments"))
async def list_insurance_enrolments(
    session: SessionDep,
    _: InsuranceReader,
    ctx: RequestCtx,
    year: OptionalYear = None,
    scheme: InsuranceSchemeCode | None = None,
    status: EnrolmentStatus | None = None,
    area_code: AreaQuery = None,
    child_id: uuid.UUID | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[EnrolmentOut]:
    return await service.list_enrolments(
        session,
        ctx,
        year=year,
        scheme=scheme,
        status=status,
        area_code=area_code,
        child_id=child_id,
        limit=limit,
        cursor=cursor,
    )


@router.get("/enrolments/{enrolment_id:uuid}", **reads(EnrolmentOut, "Get an insurance enrolment"))
async def get_insurance_enrolment(
    enrolment_id: uuid.UUID,
    response: Response,
    session: SessionDep,
    _: InsuranceReader,
    ctx: RequestCtx,
) -> EnrolmentOut:
    out = await service.get_enrolment(session, ctx, enrolment_id)
    set_etag(response, out.version)
    return out


@router.patch(
    "/enrolments/{enrolment_id:uuid}",
    **acts(
        EnrolmentOut,
        "Change an enrolment's status, policy number, premium or date (needs If-Match)",
        errors=(400, 401, 403, 404, 409, 412, 422, 428),
    ),
)
async def update_insurance_enrolment(
    enrolment_id: uuid.UUID,
    body: EnrolmentPatch,
    response: Response,
    session: SessionDep,
    _: InsuranceWriter,
    ctx: RequestCtx,
    if_match: IfMatch = None,
) -> EnrolmentOut:
    out = await service.update_enrolment(session, ctx, enrolment_id, body, if_match)
    set_etag(response, out.version)
    return out


@router.post(
    "/submission-file",
    summary="The insurer's submission file (.xlsx): the due and submitted enrolments, and the "
    "children whose cover stops; due ones become submitted",
    response_class=Response,
    responses=_XLSX_RESPONSE | error_responses(401, 403, 409, 422),
)
async def export_insurance_submission(
    body: SubmissionRequest, session: SessionDep, _: InsuranceWriter, ctx: RequestCtx
) -> Response:
    content = await files.submission_file(session, ctx, year=body.year, scheme=body.scheme)
    name = f"insurance-{body.scheme}-{body.year}.xlsx"
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post(
    "/answers/import",
    response_model=AnswerImportResult,
    summary="Import the insurer's answer file (CSV or XLSX), matched by ID number: all rows or "
    "none; a re-import changes nothing",
    description="Columns: id_number, year, result (enrolled | refused, or 参保成功 | 拒保); "
    "optional scheme, policy_number (required when enrolled), premium, enrolled_on, reason "
    "(Chinese headers accepted). See app/insurance/files.py.",
    responses=error_responses(400, 401, 403, 408, 409, 413, 415, 422, 429),
    openapi_extra=CSV_OR_FILE_BODY,
)
async def import_insurance_answers(
    request: Request,
    session: SessionDep,
    _: InsuranceWriter,
    ctx: RequestCtx,
    year: YearQuery,
    scheme: InsuranceSchemeCode,
) -> AnswerImportResult:
    raw = await csv_or_file(request)
    return await files.import_answers(session, ctx, raw, year=year, scheme=scheme)


@router.get(
    "/premiums",
    **lists(PremiumsOut, "Premiums paid by scheme for an insurance year, against the budget"),
)
async def insurance_premiums(
    session: LagTolerantSessionDep, _: PremiumReader, ctx: RequestCtx, year: YearQuery
) -> PremiumsOut:
    return await premiums.premiums(session, ctx, year)
