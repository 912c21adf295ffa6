"""HTTP of the parents' classes 智慧父母: /api/v1/parent-classes. Roles:
`app.programmes.classes.auth`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.errors import error_responses
from app.kit.context import RequestCtx
from app.kit.idempotency import REPLAYED, IdempotencyKey, create_once
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.programmes.classes import service
from app.programmes.classes.auth import Organisers, Readers, Recorders, ReportReaders
from app.programmes.classes.schemas import AttendanceIn, ClassCreate, ClassOut, ClassReport

router = APIRouter(prefix="/api/v1/parent-classes", tags=["programmes"])

YearQuery = Annotated[int, Query(ge=2000, le=2100, description="The calendar year.")]


@router.post(
    "",
    response_model=ClassOut,
    status_code=201,
    summary="Record a parents' class 智慧父母 (topic, expert field, school or online)",
    responses=REPLAYED | error_responses(400, 401, 403, 409, 422),
)
async def create_parent_class(
    body: ClassCreate,
    session: SessionDep,
    actor: Organisers,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> ClassOut | JSONResponse:
    return await create_once(
        session,
        idempotency_key,
        owner=str(actor.id),
        scope="parent-classes",
        body=body,
        create=lambda: service.create_class(session, ctx, body),
    )


@router.get(
    "",
    response_model=Page[ClassOut],
    summary="Parents' classes (attendees: the caller's children only)",
    responses=error_responses(401, 403, 422),
)
async def list_parent_classes(
    session: SessionDep,
    _: Readers,
    ctx: RequestCtx,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    town_code: Annotated[str | None, Query(max_length=12)] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ClassOut]:
    return await service.list_classes(
        session, ctx, year=year, town_code=town_code, limit=limit, cursor=cursor
    )


@router.get(
    "/report",
    response_model=ClassReport,
    summary="Per town: ledger families that attended a class in the year",
    responses=error_responses(401, 403, 422),
)
async def parent_class_report(
    session: SessionDep, _: ReportReaders, ctx: RequestCtx, year: YearQuery
) -> ClassReport:
    return await service.report(session, ctx, year)


@router.get(
    "/{class_id:uuid}",
    response_model=ClassOut,
    summary="A parents' class",
    responses=error_responses(401, 403, 404, 422),
)
async def get_parent_class(
    class_id: uuid.UUID, session: SessionDep, _: Readers, ctx: RequestCtx
) -> ClassOut:
    return await service.get_class(session, ctx, class_id)


@router.post(
    "/{class_id:uuid}/attendance",
    response_model=ClassOut,
    summary="Record which ledger children's families attended (and the organisers' count of "
    "others)",
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def record_parent_class_attendance(
    class_id: uuid.UUID, body: AttendanceIn, session: SessionDep, _: Recorders, ctx: RequestCtx
) -> ClassOut:
    return await service.record_attendance(session, ctx, class_id, body)
