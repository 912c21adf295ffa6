"""HTTP of the parents' classes 智慧父母: /api/v1/parent-classes. Roles:
`app.programmes.classes.auth`."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.idempotency import IdempotencyKey
from app.kit.listing import AreaFilter, Year, YearFilter
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.kit.records import keyed_once
from app.kit.routes import acts, creates, lists, reads
from app.programmes.classes import service
from app.programmes.classes.auth import Organisers, Readers, Recorders, ReportReaders
from app.programmes.classes.schemas import AttendanceIn, ClassCreate, ClassOut, ClassReport
from app.replica import LagTolerantSessionDep

router = APIRouter(prefix="/api/v1/parent-classes", tags=["programmes"])


@router.post(
    "",
    **creates(ClassOut, "Record a parents' class 智慧父母 (topic, expert field, school or online)"),
)
async def create_parent_class(
    body: ClassCreate,
    session: SessionDep,
    _: Organisers,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> ClassOut | JSONResponse:
    return await keyed_once(
        session,
        ctx,
        idempotency_key,
        "parent-classes",
        body,
        lambda: service.create_class(session, ctx, body),
    )


@router.get(
    "",
    **lists(Page[ClassOut], "Parents' classes (attendees: the caller's children only)"),
)
async def list_parent_classes(
    session: SessionDep,
    _: Readers,
    ctx: RequestCtx,
    year: YearFilter = None,
    town_code: AreaFilter = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ClassOut]:
    return await service.list_classes(
        session, ctx, year=year, town_code=town_code, limit=limit, cursor=cursor
    )


@router.get(
    "/report",
    **lists(ClassReport, "Per town: ledger families that attended a class in the year"),
)
async def parent_class_report(
    session: LagTolerantSessionDep, _: ReportReaders, ctx: RequestCtx, year: Year
) -> ClassReport:
    return await service.report(session, ctx, year)


@router.get(
    "/{class_id:uuid}",
    **reads(ClassOut, "A parents' class"),
)
async def get_parent_class(
    class_id: uuid.UUID, session: SessionDep, _: Readers, ctx: RequestCtx
) -> ClassOut:
    return await service.get_class(session, ctx, class_id)


@router.post(
    "/{class_id:uuid}/attendance",
    **acts(
        ClassOut,
        "Record which ledger children's families attended (and the organisers' count of others)",
        errors=(400, 401, 403, 404, 409, 422),
    ),
)
async def record_parent_class_attendance(
    class_id: uuid.UUID, body: AttendanceIn, session: SessionDep, _: Recorders, ctx: RequestCtx
) -> ClassOut:
    return await service.record_attendance(session, ctx, class_id, body)
