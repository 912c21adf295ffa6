"""HTTP of institute care 养治教康: /api/v1/institution/..., /api/v1/volunteers and
/api/v1/children/{id}/care-plan. Who may call what: app/institution/auth.py."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
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
from app.kit.crud import create_keyed, exports, named_route, xlsx_file
from app.kit.etag import set_etag
from app.kit.idempotency import REPLAYED, IdempotencyKey
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.kit.routes import acts, call_route, creates, lists, reads
from app.replica import LagTolerantSessionDep

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


def _records(
    path: str,
    names: tuple[str, str],
    summaries: tuple[str, str],
    models: tuple[type[BaseModel], type[BaseModel], type[BaseModel]],
    guards: tuple[Any, Any],
    service: tuple[Callable[..., Awaitable[tuple[Outcome, Any]]], Callable[..., Awaitable[Any]]],
) -> None:
    """POST and GET `path`: a kind of institute-care record (app.institution.common), created
    once under its client id (201; a retry with the same body: the stored record, 200) and
    listed by its query. `models`: the body, the answer and the query; `guards`: who may
    write, who may read; `service`: its create and list functions."""
    body_model, out, query_model = models
    create, list_records = service

    async def create_record(body: BaseModel, session: SessionDep, _: Any, ctx: RequestCtx) -> Any:
        return _answer(*await create(session, ctx, body))

    async def read_records(session: SessionDep, _: Any, ctx: RequestCtx, query: Any) -> Any:
        return await list_records(session, ctx, query)

    created = creates(out, summaries[0], replayed=_replay(out))
    router.post(path, **created)(named_route(create_record, names[0], body=body_model, _=guards[0]))
    query = Annotated[query_model, Query()]  # type: ignore[valid-type]
    listed = lists(Page[out], summaries[1])  # type: ignore[valid-type]
    router.get(path, **listed)(named_route(read_records, names[1], _=guards[1], query=query))


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


# fmt: off
_records(
    "/institution/care-records", ("create_care_record", "list_care_records"),
    ("Record care given to a resident (idempotent on the client id)",
     "Care records, per child and per domain"),
    (CareRecordIn, CareRecordOut, CareRecordQuery), (InstituteWriter, InstituteReader),
    (records.create_care_record, records.list_care_records),
)
# fmt: on


# ---------------------------------------------------------------- counselling


# fmt: off
_records(
    "/institution/counselling-sessions",
    ("create_counselling_session", "list_counselling_sessions"),
    ("Record a counselling session (counsellor; art. 62 checked; idempotent on the id)",
     "Counselling sessions (never their confidential notes)"),
    (CounsellingIn, CounsellingOut, CounsellingQuery), (CounsellingWriter, CounsellingReader),
    (counselling.create_session, counselling.list_sessions),
)
# fmt: on


call_route(
    router,
    "GET",
    "/institution/counselling-sessions/{session_id:uuid}",
    reads(
        CounsellingDetail,
        "A counselling session; its confidential notes for counsellors and the district "
        "admin only (audited)",
    ),
    "get_counselling_session",
    CounsellingReader,
    counselling.get_session,
)


# ---------------------------------------------------------------- activities


# fmt: off
_records(
    "/institution/activities", ("create_institute_activity", "list_institute_activities"),
    ("Record an outing, class or festival visit (idempotent on the client id)",
     "Activities of the residents"),
    (ActivityIn, ActivityOut, ActivityQuery), (InstituteWriter, InstituteReader),
    (records.create_activity, records.list_activities),
)
# fmt: on


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


call_route(
    router,
    "GET",
    "/volunteers/{volunteer_id:uuid}",
    reads(VolunteerOut, "A volunteer"),
    "get_volunteer",
    InstituteReader,
    volunteers.get_volunteer,
    etag=True,
    answer=volunteers.volunteer_out,
)
call_route(
    router,
    "PATCH",
    "/volunteers/{volunteer_id:uuid}",
    acts(
        VolunteerOut,
        "Change a volunteer or record a renewed record query (needs If-Match)",
        errors=(400, 401, 403, 404, 412, 422, 428),
    ),
    "update_volunteer",
    InstituteWriter,
    volunteers.update_volunteer,
    body=VolunteerPatch,
    etag=True,
    if_match=True,
)


# fmt: off
_records(
    "/institution/tutoring-sessions", ("create_tutoring_session", "list_tutoring_sessions"),
    ("Record volunteers' tutoring of residents (art. 62 checked; idempotent on the id)",
     "Tutoring sessions"),
    (TutoringIn, TutoringOut, TutoringQuery), (InstituteWriter, InstituteReader),
    (volunteers.create_tutoring, volunteers.list_tutoring),
)
# fmt: on


# ---------------------------------------------------------------- the monthly report


call_route(
    router,
    "GET",
    "/institution/reports/{month}",
    reads(ReportOut, "The monthly institute report (养治教康月报)", errors=(401, 403, 422)),
    "get_institution_report",
    InstituteReader,
    report.monthly_report,
    replica=True,
)


@router.get(
    "/institution/reports/{month}/export",
    **exports(
        "The monthly institute report as .xlsx (Chinese headers)",
        "The report as .xlsx",
        errors=(401, 403, 422),
    ),
)
async def export_institution_report(
    month: str, session: LagTolerantSessionDep, _: InstituteReader, ctx: RequestCtx
) -> Response:
    content = await report.export(session, ctx, month)
    return xlsx_file(content, f"institution-{month}.xlsx")
