"""HTTP of the education-grant and holiday runs: /api/v1/subsidy/education-grants, /holiday-runs.

District admins run them, admins or the leader approve them (not their creator: four eyes);
admins, the leader and auditors read them. A draft run is not spent.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.four_eyes import FourEyes
from app.kit.idempotency import IdempotencyKey
from app.kit.pagination import Page
from app.kit.params import Filters, PageQuery
from app.kit.records import keyed_once, with_id
from app.kit.routes import acts, creates, reads
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

_GRANTS = "education_grant"
_HOLIDAY = "holiday_condolence"


@router.post(
    "/education-grants",
    **creates(
        BenefitRunOut, "Run the school year's education grants (助学金); once per school year"
    ),
)
async def create_education_grants(
    body: EducationGrantCreate,
    session: SessionDep,
    _: DistrictAdmin,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> BenefitRunOut | JSONResponse:
    create = with_id(lambda: service.create_education_grants(session, ctx, body.school_year))
    scope = "subsidy.education_grants"
    return await keyed_once(session, ctx, idempotency_key, scope, body, create)


@router.get(
    "/education-grants/{school_year}", **reads(BenefitRunOut, "Get a school year's grant run")
)
async def get_education_grants(
    school_year: str, session: SessionDep, principal: DistrictReader
) -> BenefitRunOut:
    return await service.get_benefit_run(session, principal, _GRANTS, school_year)


@router.post(
    "/education-grants/{school_year}/approve",
    **acts(BenefitRunOut, "Approve a school year's grant run (not by its creator: four eyes)"),
)
async def approve_education_grants(
    school_year: str, session: SessionDep, _: Decider, ctx: RequestCtx, four_eyes: FourEyes
) -> BenefitRunOut:
    return await service.approve_benefit_run(
        session, ctx, _GRANTS, school_year, four_eyes=four_eyes
    )


@router.get(
    "/education-grants/{school_year}/lines",
    **reads(Page[BenefitLineOut], "The grant run's lines"),
)
async def list_education_grant_lines(
    school_year: str, session: SessionDep, principal: DistrictReader, query: Filters[PageQuery]
) -> Page[BenefitLineOut]:
    return await service.run_lines(
        session, principal, _GRANTS, school_year, query.limit, query.cursor
    )


@router.post(
    "/holiday-runs",
    **creates(BenefitRunOut, "Run the holiday condolences (节日慰问); once per occasion and year"),
)
async def create_holiday_run(
    body: HolidayRunCreate,
    session: SessionDep,
    _: DistrictAdmin,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> BenefitRunOut | JSONResponse:
    create = with_id(lambda: service.create_holiday_run(session, ctx, body.occasion, body.year))
    scope = "subsidy.holiday_runs"
    return await keyed_once(session, ctx, idempotency_key, scope, body, create)


@router.get("/holiday-runs/{occasion}/{year}", **reads(BenefitRunOut, "Get a holiday run"))
async def get_holiday_run(
    occasion: Occasion, year: int, session: SessionDep, principal: DistrictReader
) -> BenefitRunOut:
    return await service.get_benefit_run(session, principal, _HOLIDAY, f"{occasion}-{year}")


@router.post(
    "/holiday-runs/{occasion}/{year}/approve",
    **acts(BenefitRunOut, "Approve a holiday run (not by its creator: four eyes)"),
)
async def approve_holiday_run(
    occasion: Occasion,
    year: int,
    session: SessionDep,
    _: Decider,
    ctx: RequestCtx,
    four_eyes: FourEyes,
) -> BenefitRunOut:
    period = f"{occasion}-{year}"
    return await service.approve_benefit_run(session, ctx, _HOLIDAY, period, four_eyes=four_eyes)


@router.get(
    "/holiday-runs/{occasion}/{year}/lines",
    **reads(Page[BenefitLineOut], "The holiday run's lines"),
)
async def list_holiday_run_lines(
    occasion: Occasion,
    year: int,
    session: SessionDep,
    principal: DistrictReader,
    query: Filters[PageQuery],
) -> Page[BenefitLineOut]:
    period = f"{occasion}-{year}"
    return await service.run_lines(session, principal, _HOLIDAY, period, query.limit, query.cursor)
