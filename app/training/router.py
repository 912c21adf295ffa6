"""HTTP of the training cascade 培训: /api/v1/trainings and /api/v1/training/...

Roles: see `app/training/auth.py` (the table of who may call what).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.errors import error_responses
from app.kit.context import RequestCtx
from app.kit.idempotency import create_once
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.models.training import TrainingLevel
from app.training import coverage as coverage_service
from app.training import service
from app.training.auth import Organiser, Trainee, TrainingReader
from app.training.schemas import (
    AttendanceIn,
    AttendanceOut,
    CheckIn,
    CoverageOut,
    MyAttendanceOut,
    TrainingCreate,
    TrainingOut,
)

router = APIRouter(prefix="/api/v1", tags=["training"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YearQuery = Annotated[int, Query(ge=2000, le=2100, description="The calendar year.")]
REPLAY: dict[int | str, dict[str, Any]] = {
    200: {"description": "The same id and body again: the stored session", "model": TrainingOut}
}
XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {XLSX: {}}, "description": "The list as .xlsx"}
}
UNCHANGED: dict[int | str, dict[str, Any]] = {
    200: {"description": "Already recorded: the attendance as it stands", "model": AttendanceOut}
}


@router.post(
    "/trainings",
    response_model=TrainingOut,
    status_code=201,
    summary="Record a training session 培训 (idempotent on the client id); its check-in code "
    "is in the answer",
    responses=REPLAY | error_responses(401, 403, 409, 422),
)
async def create_training(
    body: TrainingCreate, session: SessionDep, _: Organiser, ctx: RequestCtx
) -> TrainingOut | JSONResponse:
    async def create() -> tuple[TrainingOut, object]:
        out = await service.create_session(session, ctx, body)
        return out, out.id

    return await create_once(
        session,
        str(body.id),
        owner=str(ctx.actor.id),
        scope="trainings",
        body=body,
        create=create,
    )


@router.get(
    "/trainings",
    response_model=Page[TrainingOut],
    summary="List training sessions (district roles: all; a supervisor: the district's and "
    "their own town's)",
    responses=error_responses(401, 403, 422),
)
async def list_trainings(
    session: SessionDep,
    _: TrainingReader,
    ctx: RequestCtx,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    level: TrainingLevel | None = None,
    area_code: Annotated[str | None, Query(max_length=12, pattern=r"^\d{6,12}$")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[TrainingOut]:
    return await service.list_sessions(
        session, ctx, year=year, level=level, area_code=area_code, limit=limit, cursor=cursor
    )


@router.get(
    "/trainings/{training_id:uuid}",
    response_model=TrainingOut,
    summary="A training session with its attendance",
    responses=error_responses(401, 403, 404, 422),
)
async def get_training(
    training_id: uuid.UUID, session: SessionDep, _: TrainingReader, ctx: RequestCtx
) -> TrainingOut:
    return await service.get_session(session, ctx, training_id)


@router.post(
    "/trainings/{training_id:uuid}/attendance",
    response_model=AttendanceOut,
    status_code=201,
    summary="Record one attendee's attendance (present | absent | excused); again: unchanged "
    "(200), another status corrects it (200)",
    responses=UNCHANGED | error_responses(401, 403, 404, 409, 422),
)
async def record_training_attendance(
    training_id: uuid.UUID,
    body: AttendanceIn,
    session: SessionDep,
    _: Organiser,
    ctx: RequestCtx,
) -> AttendanceOut | JSONResponse:
    new, out = await service.record_attendance(session, ctx, training_id, body)
    return out if new else JSONResponse(out.model_dump(mode="json"), status_code=200)


@router.post(
    "/training/check-in",
    response_model=AttendanceOut,
    status_code=201,
    summary="Check in to a session by scanning its code from the phone (one's own attendance, "
    "present; a repeat changes nothing: 200)",
    responses=UNCHANGED | error_responses(401, 403, 409, 422),
)
async def check_in_training(
    body: CheckIn, session: SessionDep, _: Trainee, ctx: RequestCtx
) -> AttendanceOut | JSONResponse:
    new, out = await service.check_in(session, ctx, body)
    return out if new else JSONResponse(out.model_dump(mode="json"), status_code=200)


@router.get(
    "/training/my-attendance",
    response_model=list[MyAttendanceOut],
    summary="One's own training attendance (nobody else's)",
    responses=error_responses(401, 403, 422),
)
async def my_training_attendance(
    session: SessionDep,
    _: Trainee,
    ctx: RequestCtx,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> list[MyAttendanceOut]:
    return await service.my_attendance(session, ctx, year)


@router.get(
    "/training/coverage",
    response_model=CoverageOut,
    summary="Training coverage of the year per town and role: workers, trained, untrained "
    "(user ids), hours, never trained on mandatory reporting",
    responses=error_responses(401, 403, 422),
)
async def training_coverage(
    session: SessionDep, _: TrainingReader, ctx: RequestCtx, year: YearQuery
) -> CoverageOut:
    return await coverage_service.coverage(session, ctx, year)


@router.get(
    "/training/certificates",
    summary="The year's training certificates: the list of workers trained (.xlsx)",
    response_class=Response,
    responses=XLSX_RESPONSE | error_responses(401, 403, 422),
)
async def training_certificates(
    session: SessionDep, _: TrainingReader, ctx: RequestCtx, year: YearQuery
) -> Response:
    content = await coverage_service.certificates(session, ctx, year)
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="training-{year}.xlsx"'},
    )
