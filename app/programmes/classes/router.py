"""HTTP of the parents' classes 智慧父母: /api/v1/parent-classes. Roles:
`app.programmes.classes.auth`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.idempotency import IdempotencyKey
from app.kit.listing import Year
from app.kit.pagination import Page
from app.kit.records import keyed_once
from app.kit.routes import acts, call_route, creates, lists, page_route, reads
from app.programmes.classes import service
from app.programmes.classes.auth import Organisers, Readers, Recorders, ReportReaders
from app.programmes.classes.schemas import (
    AttendanceIn,
    ClassCreate,
    ClassOut,
    ClassQuery,
    ClassReport,
)
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


page_route(
    router,
    "",
    lists(Page[ClassOut], "Parents' classes (attendees: the caller's children only)"),
    "list_parent_classes",
    Readers,
    ClassQuery,
    service.list_classes,
)


@router.get(
    "/report",
    **lists(ClassReport, "Per town: ledger families that attended a class in the year"),
)
async def parent_class_report(
    session: LagTolerantSessionDep, _: ReportReaders, ctx: RequestCtx, year: Year
) -> ClassReport:
    return await service.report(session, ctx, year)


call_route(
    router,
    "GET",
    "/{class_id:uuid}",
    reads(ClassOut, "A parents' class"),
    "get_parent_class",
    Readers,
    service.get_class,
)


call_route(
    router,
    "POST",
    "/{class_id:uuid}/attendance",
    acts(
        ClassOut,
        "Record which ledger children's families attended (and the organisers' count of others)",
        errors=(400, 401, 403, 404, 409, 422),
    ),
    "record_parent_class_attendance",
    Recorders,
    service.record_attendance,
    body=AttendanceIn,
)
