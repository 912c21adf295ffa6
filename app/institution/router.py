"""HTTP of institute care 养治教康: /api/v1/institution/..., /api/v1/volunteers and
/api/v1/children/{id}/care-plan. Who may call what: app/institution/auth.py."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.db import SessionDep
from app.errors import error_responses
from app.institution import counselling, plans, records, report, volunteers
from app.institution.auth import (
    CounsellingReader,
    CounsellingWriter,
    InstituteReader,
    InstituteWriter,
)
from app.institution.common import Outcome
from app.institution.schemas import (
    ActivityIn,
    ActivityOut,
    ActivityQuery,
    CarePlanIn,
    CarePlanOut,
    CareRecordIn,
    CareRecordOut,
    CareRecordQuery,
    CounsellingDetail,
    CounsellingIn,
    CounsellingOut,
    CounsellingQuery,
    ReportOut,
    TutoringIn,
    TutoringOut,
    TutoringQuery,
    VolunteerIn,
    VolunteerOut,
    VolunteerPatch,
)
from app.kit.context import RequestCtx
from app.kit.crud import create_keyed, etagged, exports, xlsx_file
from app.kit.etag import set_etag
from app.kit.idempotency import REPLAYED, IdempotencyKey
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.kit.routes import acts, creates, lists, reads

router = APIRouter(prefix="/api/v1", tags=["institution"])

IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=100)]
PLAN_CREATED: dict[int | str, dict[str, Any]] = {
    201: {"description": "Created", "model": CarePlanOut}
}


def _replay(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": "The same id and body again: the stored record", "model": model}}


def _answer(outcome: Outcome, out: BaseModel) -> Any:
    """201 with a new record; 200 with the stored one for a retry."""
    if outcome == "duplicate":
        return JSONResponse(out.model_dump(mode="json"), status_code=200)
    return out


# ---------------------------------------------------------------- care plans


@router.get(
    "/children/{child_id:uuid}/care-plan",
    **reads(CarePlanOut, "A resident's care plan for a year (养治教康 goals and services)"),
)
async def get_care_plan(
    child_id: uuid.UUID,
    response: Response,
    session: SessionDep,
    _: InstituteReader,
    ctx: RequestCtx,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Default: this year.")] = None,
) -> CarePlanOut:
    plan = await plans.get_plan(session, ctx, child_id, year)
    set_etag(response, plan.version)
    return plans.to_out(plan, ctx)


@router.put(
    "/children/{child_id:uuid}/care-plan",
    response_model=CarePlanOut,
    summary="Create (201) or replace (If-Match) a resident's care plan for the body's year",
    responses=PLAN_CREATED | error_responses(400, 401, 403, 404, 409, 412, 422, 428),
)
async def put_care_plan(
    child_id: uuid.UUID,
    body: CarePlanIn,
    response: Response,
    session: SessionDep,
    _: InstituteWriter,
    ctx: RequestCtx,
    if_match: IfMatch = None,
) -> CarePlanOut:
    created, plan = await plans.put_plan(session, ctx, child_id, body, if_match)
    set_etag(response, plan.version)
    if created:
        response.status_code = 201
    return plans.to_out(plan, ctx)


# ---------------------------------------------------------------- care records


@router.post(
    "/institution/care-records",
    **creates(
        CareRecordOut,
        "Record care given to a resident (idempotent on the client id)",
        replayed=_replay(CareRecordOut),
    ),
)
async def create_care_record(
    body: CareRecordIn, session: SessionDep, _: InstituteWriter, ctx: RequestCtx
) -> Any:
    return _answer(*await records.create_care_record(session, ctx, body))


@router.get(
    "/institution/care-records",
    **lists(Page[CareRecordOut], "Care records, per child and per domain"),
)
async def list_care_records(
    session: SessionDep,
    _: InstituteReader,
    ctx: RequestCtx,
    query: Annotated[CareRecordQuery, Query()],
) -> Page[CareRecordOut]:
    return await records.list_care_records(session, ctx, query)


# ---------------------------------------------------------------- counselling


@router.post(
    "/institution/counselling-sessions",
    **creates(
        CounsellingOut,
        "Record a counselling session (counsellor; art. 62 checked; idempotent on the id)",
        replayed=_replay(CounsellingOut),
    ),
)
async def create_counselling_session(
    body: CounsellingIn, session: SessionDep, _: CounsellingWriter, ctx: RequestCtx
) -> Any:
    return _answer(*await counselling.create_session(session, ctx, body))


@router.get(
    "/institution/counselling-sessions",
    **lists(Page[CounsellingOut], "Counselling sessions (never their confidential notes)"),
)
async def list_counselling_sessions(
    session: SessionDep,
    _: CounsellingReader,
    ctx: RequestCtx,
    query: Annotated[CounsellingQuery, Query()],
) -> Page[CounsellingOut]:
    return await counselling.list_sessions(session, ctx, query)


@router.get(
    "/institution/counselling-sessions/{session_id:uuid}",
    **reads(
        CounsellingDetail,
        "A counselling session; its confidential notes for counsellors and the district "
        "admin only (audited)",
    ),
)
async def get_counselling_session(
    session_id: uuid.UUID, session: SessionDep, _: CounsellingReader, ctx: RequestCtx
) -> CounsellingDetail:
    return await counselling.get_session(session, ctx, session_id)


# ---------------------------------------------------------------- activities


@router.post(
    "/institution/activities",
    **creates(
        ActivityOut,
        "Record an outing, class or festival visit (idempotent on the client id)",
        replayed=_replay(ActivityOut),
    ),
)
async def create_institute_activity(
    body: ActivityIn, session: SessionDep, _: InstituteWriter, ctx: RequestCtx
) -> Any:
    return _answer(*await records.create_activity(session, ctx, body))


@router.get(
    "/institution/activities",
    **lists(Page[ActivityOut], "Activities of the residents"),
)
async def list_institute_activities(
    session: SessionDep,
    _: InstituteReader,
    ctx: RequestCtx,
    query: Annotated[ActivityQuery, Query()],
) -> Page[ActivityOut]:
    return await records.list_activities(session, ctx, query)


# ---------------------------------------------------------------- volunteers and tutoring


@router.post(
    "/volunteers",
    **creates(
        VolunteerOut,
        "Register a volunteer with the art. 62 record query (Idempotency-Key)",
        tags=["institution"],
        replayed=REPLAYED,
    ),
)
async def create_volunteer(
    body: VolunteerIn,
    session: SessionDep,
    actor: InstituteWriter,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    key = idempotency_key
    return await create_keyed(session, ctx, key, "volunteers", body, volunteers.create_volunteer)


@router.get(
    "/volunteers",
    **lists(Page[VolunteerOut], "Volunteers, each with the standing of their record check today"),
)
async def list_volunteers(
    session: SessionDep,
    _: InstituteReader,
    ctx: RequestCtx,
    organisation: Annotated[str | None, Query(max_length=200)] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[VolunteerOut]:
    return await volunteers.list_volunteers(
        session, ctx, organisation=organisation, limit=limit, cursor=cursor
    )


@router.get(
    "/volunteers/{volunteer_id:uuid}",
    **reads(VolunteerOut, "A volunteer"),
)
async def get_volunteer(
    volunteer_id: uuid.UUID,
    response: Response,
    session: SessionDep,
    _: InstituteReader,
    ctx: RequestCtx,
) -> VolunteerOut:
    volunteer = await volunteers.get_volunteer(session, ctx, volunteer_id)
    set_etag(response, volunteer.version)
    return volunteers.volunteer_out(volunteer, ctx)


@router.patch(
    "/volunteers/{volunteer_id:uuid}",
    **acts(
        VolunteerOut,
        "Change a volunteer or record a renewed record query (needs If-Match)",
        errors=(400, 401, 403, 404, 412, 422, 428),
    ),
)
async def update_volunteer(
    volunteer_id: uuid.UUID,
    body: VolunteerPatch,
    response: Response,
    session: SessionDep,
    _: InstituteWriter,
    ctx: RequestCtx,
    if_match: IfMatch = None,
) -> VolunteerOut:
    out = await volunteers.update_volunteer(session, ctx, volunteer_id, body, if_match)
    return etagged(response, out)


@router.post(
    "/institution/tutoring-sessions",
    **creates(
        TutoringOut,
        "Record volunteers' tutoring of residents (art. 62 checked; idempotent on the id)",
        replayed=_replay(TutoringOut),
    ),
)
async def create_tutoring_session(
    body: TutoringIn, session: SessionDep, _: InstituteWriter, ctx: RequestCtx
) -> Any:
    return _answer(*await volunteers.create_tutoring(session, ctx, body))


@router.get(
    "/institution/tutoring-sessions",
    **lists(Page[TutoringOut], "Tutoring sessions"),
)
async def list_tutoring_sessions(
    session: SessionDep,
    _: InstituteReader,
    ctx: RequestCtx,
    query: Annotated[TutoringQuery, Query()],
) -> Page[TutoringOut]:
    return await volunteers.list_tutoring(session, ctx, query)


# ---------------------------------------------------------------- the monthly report


@router.get(
    "/institution/reports/{month}",
    **reads(ReportOut, "The monthly institute report (养治教康月报)", errors=(401, 403, 422)),
)
async def get_institution_report(
    month: str, session: SessionDep, _: InstituteReader, ctx: RequestCtx
) -> ReportOut:
    return await report.monthly_report(session, ctx, month)


@router.get(
    "/institution/reports/{month}/export",
    **exports(
        "The monthly institute report as .xlsx (Chinese headers)",
        "The report as .xlsx",
        errors=(401, 403, 422),
    ),
)
async def export_institution_report(
    month: str, session: SessionDep, _: InstituteReader, ctx: RequestCtx
) -> Response:
    content = await report.export(session, ctx, month)
    return xlsx_file(content, f"institution-{month}.xlsx")
