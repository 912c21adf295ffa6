"""HTTP of the education-grant and holiday runs: /api/v1/subsidy/education-grants, /holiday-runs.

District admins run them, admins or the leader approve them (not their creator: four eyes);
admins, the leader and auditors read them. A draft run is not spent.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.errors import error_responses
from app.kit.context import RequestCtx
from app.kit.four_eyes import FourEyes
from app.kit.idempotency import REPLAYED, IdempotencyKey, remember_for_key, replay_for_key
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.subsidies.auth import Decider, DistrictAdmin, DistrictReader
from app.subsidies.rules import Occasion
from app.subsidies.runs import service
from app.subsidies.schemas import (
    BenefitLineOut,
    BenefitRunOut,
    EducationGrantCreate,
    HolidayRunCreate,
)

router = APIRouter(prefix="/api/v1/subsidy", tags=["subsidies"])


@router.post(
    "/education-grants",
    response_model=BenefitRunOut,
    status_code=201,
    summary="Run the school year's education grants (助学金); once per school year",
    responses=REPLAYED | error_responses(400, 401, 403, 409, 422),
)
async def create_education_grants(
    body: EducationGrantCreate,
    session: SessionDep,
    actor: DistrictAdmin,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> BenefitRunOut | JSONResponse:
    key = {"owner": str(actor.id), "scope": "subsidy.education_grants"}
    if replay := await replay_for_key(session, idempotency_key, **key, body=body):
        return replay
    run = await service.create_education_grants(session, ctx, body.school_year)
    out = await service.run_out(session, run)
    await remember_for_key(session, idempotency_key, **key, out=out, resource_id=str(run.id))
    return out


@router.get(
    "/education-grants/{school_year}",
    response_model=BenefitRunOut,
    summary="Get a school year's grant run",
    responses=error_responses(401, 403, 404, 422),
)
async def get_education_grants(
    school_year: str, session: SessionDep, _: DistrictReader
) -> BenefitRunOut:
    run = await service.get_benefit_run(session, "education_grant", school_year)
    return await service.run_out(session, run)


@router.post(
    "/education-grants/{school_year}/approve",
    response_model=BenefitRunOut,
    summary="Approve a school year's grant run (not by its creator: four eyes)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def approve_education_grants(
    school_year: str,
    session: SessionDep,
    _: Decider,
    ctx: RequestCtx,
    four_eyes: FourEyes,
) -> BenefitRunOut:
    run = await service.approve_benefit_run(
        session, ctx, "education_grant", school_year, four_eyes=four_eyes
    )
    return await service.run_out(session, run)


@router.get(
    "/education-grants/{school_year}/lines",
    response_model=Page[BenefitLineOut],
    summary="The grant run's lines",
    responses=error_responses(401, 403, 404, 422),
)
async def list_education_grant_lines(
    school_year: str,
    session: SessionDep,
    _: DistrictReader,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[BenefitLineOut]:
    return await service.run_lines(session, "education_grant", school_year, limit, cursor)


@router.post(
    "/holiday-runs",
    response_model=BenefitRunOut,
    status_code=201,
    summary="Run the holiday condolences (节日慰问); once per occasion and year",
    responses=REPLAYED | error_responses(400, 401, 403, 409, 422),
)
async def create_holiday_run(
    body: HolidayRunCreate,
    session: SessionDep,
    actor: DistrictAdmin,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> BenefitRunOut | JSONResponse:
    key = {"owner": str(actor.id), "scope": "subsidy.holiday_runs"}
    if replay := await replay_for_key(session, idempotency_key, **key, body=body):
        return replay
    run = await service.create_holiday_run(session, ctx, body.occasion, body.year)
    out = await service.run_out(session, run)
    await remember_for_key(session, idempotency_key, **key, out=out, resource_id=str(run.id))
    return out


@router.get(
    "/holiday-runs/{occasion}/{year}",
    response_model=BenefitRunOut,
    summary="Get a holiday run",
    responses=error_responses(401, 403, 404, 422),
)
async def get_holiday_run(
    occasion: Occasion, year: int, session: SessionDep, _: DistrictReader
) -> BenefitRunOut:
    run = await service.get_benefit_run(session, "holiday_condolence", f"{occasion}-{year}")
    return await service.run_out(session, run)


@router.post(
    "/holiday-runs/{occasion}/{year}/approve",
    response_model=BenefitRunOut,
    summary="Approve a holiday run (not by its creator: four eyes)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def approve_holiday_run(
    occasion: Occasion,
    year: int,
    session: SessionDep,
    _: Decider,
    ctx: RequestCtx,
    four_eyes: FourEyes,
) -> BenefitRunOut:
    run = await service.approve_benefit_run(
        session, ctx, "holiday_condolence", f"{occasion}-{year}", four_eyes=four_eyes
    )
    return await service.run_out(session, run)


@router.get(
    "/holiday-runs/{occasion}/{year}/lines",
    response_model=Page[BenefitLineOut],
    summary="The holiday run's lines",
    responses=error_responses(401, 403, 404, 422),
)
async def list_holiday_run_lines(
    occasion: Occasion,
    year: int,
    session: SessionDep,
    _: DistrictReader,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[BenefitLineOut]:
    return await service.run_lines(
        session, "holiday_condolence", f"{occasion}-{year}", limit, cursor
    )
