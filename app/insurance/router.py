"""HTTP of the insurance enrolment 医疗保险参保: /api/v1/insurance/...

Roles: see `app/insurance/auth.py` (the table of who may call what).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.db import SessionDep
from app.errors import error_responses
from app.insurance import files, premiums, service, worklist
from app.insurance.auth import InsuranceReader, InsuranceWriter, PremiumReader
from app.insurance.schemas import (
    AnswerImportResult,
    EnrolmentCreate,
    EnrolmentOut,
    EnrolmentPatch,
    EnrolmentQuery,
    InsuranceSchemeCode,
    PremiumsOut,
    SchemeCreate,
    SchemeOut,
    SchemeQuery,
    SubmissionRequest,
    WorklistGenerate,
    WorklistGenerated,
    WorklistItem,
    WorklistQuery,
)
from app.kit.context import RequestCtx
from app.kit.crud import exports, xlsx_file
from app.kit.pagination import Page
from app.kit.routes import acts, call_route, creates, lists, page_route, reads
from app.kit.upload import CSV_OR_FILE_BODY, csv_or_file
from app.replica import LagTolerantSessionDep

router = APIRouter(prefix="/api/v1/insurance", tags=["insurance"])

YearQuery = Annotated[int, Query(ge=2000, le=2100, description="The insurance year.")]


page_route(
    router,
    "/schemes",
    lists(list[SchemeOut], "The schemes' parameters per insurance year (保险参数)"),
    "list_insurance_schemes",
    InsuranceReader,
    SchemeQuery,
    service.list_schemes,
)


call_route(
    router,
    "POST",
    "/schemes",
    creates(
        SchemeOut,
        "Append a scheme's parameters for an insurance year, from a date on (premium, "
        "categories covered free, enrolment window)",
        replayed={},
    ),
    "create_insurance_scheme",
    InsuranceWriter,
    service.create_scheme,
    body=SchemeCreate,
)


page_route(
    router,
    "/worklist",
    lists(
        Page[WorklistItem],
        "Children due for a scheme and insurance year, with the reason (by town with area_code)",
        errors=(401, 403, 409, 422),
    ),
    "insurance_worklist",
    InsuranceReader,
    WorklistQuery,
    worklist.worklist,
)


call_route(
    router,
    "POST",
    "/worklist/generate",
    acts(
        WorklistGenerated,
        "Generate the year's worklist as `due` enrolments (again: nothing new for those listed)",
        errors=(401, 403, 409, 422),
    ),
    "generate_insurance_worklist",
    InsuranceWriter,
    worklist.generate,
    body=WorklistGenerate,
)


call_route(
    router,
    "POST",
    "/enrolments",
    creates(
        EnrolmentOut,
        "Record a child's enrolment in a scheme for a year (a second one: 409)",
        errors=(400, 401, 403, 404, 409, 422),
        replayed={},
    ),
    "create_insurance_enrolment",
    InsuranceWriter,
    service.create_enrolment,
    body=EnrolmentCreate,
    etag=True,
)


page_route(
    router,
    "/enrolments",
    lists(Page[EnrolmentOut], "List insurance enrolments"),
    "list_insurance_enrolments",
    InsuranceReader,
    EnrolmentQuery,
    service.list_enrolments,
)


call_route(
    router,
    "GET",
    "/enrolments/{enrolment_id:uuid}",
    reads(EnrolmentOut, "Get an insurance enrolment"),
    "get_insurance_enrolment",
    InsuranceReader,
    service.get_enrolment,
    etag=True,
)


call_route(
    router,
    "PATCH",
    "/enrolments/{enrolment_id:uuid}",
    acts(
        EnrolmentOut,
        "Change an enrolment's status, policy number, premium or date (needs If-Match)",
        errors=(400, 401, 403, 404, 409, 412, 422, 428),
    ),
    "update_insurance_enrolment",
    InsuranceWriter,
    service.update_enrolment,
    body=EnrolmentPatch,
    etag=True,
    if_match=True,
)


@router.post(
    "/submission-file",
    **exports(
        "The insurer's submission file (.xlsx): the due and submitted enrolments, and the "
        "children whose cover stops; due ones become submitted",
        "The submission file as .xlsx",
        errors=(401, 403, 409, 422),
    ),
)
async def export_insurance_submission(
    body: SubmissionRequest, session: SessionDep, _: InsuranceWriter, ctx: RequestCtx
) -> Response:
    content = await files.submission_file(session, ctx, year=body.year, scheme=body.scheme)
    return xlsx_file(content, f"insurance-{body.scheme}-{body.year}.xlsx")


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
