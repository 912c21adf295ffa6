"""HTTP of the training cascade 培训: /api/v1/trainings and /api/v1/training/...

Roles: see `app/training/auth.py` (the table of who may call what).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.crud import exports, xlsx_file
from app.kit.listing import Year, YearFilter
from app.kit.pagination import Page
from app.kit.records import again, create_by_client_id, replay_response
from app.kit.routes import LIST_ERRORS, call_route, creates, lists, page_route, reads
from app.replica import LagTolerantSessionDep
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
    TrainingQuery,
)

router = APIRouter(prefix="/api/v1", tags=["training"])

UNCHANGED = replay_response("Already recorded: the attendance as it stands", AttendanceOut)


@router.post(
    "/trainings",
    **creates(
        TrainingOut,
        "Record a training session 培训 (idempotent on the client id); its check-in code "
        "is in the answer",
        errors=(401, 403, 409, 422),
        replayed=replay_response("The same id and body again: the stored session", TrainingOut),
    ),
)
async def create_training(
    body: TrainingCreate, session: SessionDep, _: Organiser, ctx: RequestCtx
) -> TrainingOut | JSONResponse:
    return await create_by_client_id(
        session, ctx, "trainings", body, lambda: service.create_session(session, ctx, body)
    )


page_route(
    router,
    "/trainings",
    lists(
        Page[TrainingOut],
        "List training sessions (district roles: all; a supervisor: the district's and "
        "their own town's)",
    ),
    "list_trainings",
    TrainingReader,
    TrainingQuery,
    service.list_sessions,
)


call_route(
    router,
    "GET",
    "/trainings/{training_id:uuid}",
    reads(TrainingOut, "A training session with its attendance"),
    "get_training",
    TrainingReader,
    service.get_session,
)


@router.post(
    "/trainings/{training_id:uuid}/attendance",
    **creates(
        AttendanceOut,
        "Record one attendee's attendance (present | absent | excused); again: unchanged "
        "(200), another status corrects it (200)",
        errors=(401, 403, 404, 409, 422),
        replayed=UNCHANGED,
    ),
)
async def record_training_attendance(
    training_id: uuid.UUID,
    body: AttendanceIn,
    session: SessionDep,
    _: Organiser,
    ctx: RequestCtx,
) -> AttendanceOut | JSONResponse:
    return again(*await service.record_attendance(session, ctx, training_id, body))


@router.post(
    "/training/check-in",
    **creates(
        AttendanceOut,
        "Check in to a session by scanning its code from the phone (one's own attendance, "
        "present; a repeat changes nothing: 200)",
        errors=(401, 403, 409, 422),
        replayed=UNCHANGED,
    ),
)
async def check_in_training(
    body: CheckIn, session: SessionDep, _: Trainee, ctx: RequestCtx
) -> AttendanceOut | JSONResponse:
    return again(*await service.check_in(session, ctx, body))


@router.get(
    "/training/my-attendance",
    **lists(list[MyAttendanceOut], "One's own training attendance (nobody else's)"),
)
async def my_training_attendance(
    session: SessionDep, _: Trainee, ctx: RequestCtx, year: YearFilter = None
) -> list[MyAttendanceOut]:
    return await service.my_attendance(session, ctx, year)


@router.get(
    "/training/coverage",
    **lists(
        CoverageOut,
        "Training coverage of the year per town and role: workers, trained, untrained "
        "(user ids), hours, never trained on mandatory reporting",
    ),
)
async def training_coverage(
    session: LagTolerantSessionDep, _: TrainingReader, ctx: RequestCtx, year: Year
) -> CoverageOut:
    return await coverage_service.coverage(session, ctx, year)


@router.get(
    "/training/certificates",
    **exports(
        "The year's training certificates: the list of workers trained (.xlsx)",
        "The list as .xlsx",
        errors=LIST_ERRORS,
    ),
)
async def training_certificates(
    session: LagTolerantSessionDep, _: TrainingReader, ctx: RequestCtx, year: Year
) -> Response:
    content = await coverage_service.certificates(session, ctx, year)
    return xlsx_file(content, f"training-{year}.xlsx")
