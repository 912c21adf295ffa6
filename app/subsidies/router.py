"""HTTP of the subsidy engine: /api/v1/subsidy/...

Who may do what (rule we set):
- standards: every staff account reads them; district admins append;
- quote: staff, for the children they can read (or by category);
- payrolls, grant and holiday runs, budgets, spending: district admins run them, the district
  leader approves payrolls, admins or the leader approve grant and holiday runs (a draft run
  is not spent); admins, the leader and auditors read them. Town, village and
  institute staff read nothing of the payrolls (403): the bank sheet lists the whole district;
- medical claims: district admins and institute staff file them for children they can read;
  district admins and the leader approve or reject; district admins record the payment.
- four eyes (app/kit/four_eyes.py, FOUR_EYES): whoever creates a claim, payroll or grant or
  holiday run does not approve it, and its approver does not record the payment.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from app.auth.principal import DistrictAdmin, Principal, Staff, require_roles
from app.db import SessionDep
from app.errors import error_responses
from app.kit import audit
from app.kit.clock import ClockDep, local_today
from app.kit.etag import set_etag
from app.kit.four_eyes import FourEyes
from app.kit.idempotency import REPLAYED, IdempotencyKey, remember_for_key, replay_for_key
from app.kit.money import from_fen
from app.kit.pagination import CursorQuery, LimitQuery, Page, paginate
from app.models import BenefitLine, BenefitRun, MedicalClaim, PayrollLine, SubsidyStandard
from app.subsidies import repository as repo
from app.subsidies import service
from app.subsidies.facts import totals_out
from app.subsidies.payroll import repository as prepo
from app.subsidies.payroll import service as payrolls
from app.subsidies.rules import Occasion
from app.subsidies.schemas import (
    BenefitLineOut,
    BenefitRunOut,
    BudgetCreate,
    BudgetOut,
    ClaimCreate,
    ClaimOut,
    ClaimReject,
    EducationGrantCreate,
    HolidayRunCreate,
    PayrollApprove,
    PayrollCreate,
    PayrollLineOut,
    PayrollOut,
    QuoteOut,
    QuoteRequest,
    SpendingOut,
    StandardCreate,
    StandardCreated,
    StandardOut,
    StandardReviewOut,
    StandardsPage,
)

router = APIRouter(prefix="/api/v1/subsidy", tags=["subsidies"])


DistrictReader = Annotated[
    Principal, Depends(require_roles("district_admin", "district_leader", "auditor"))
]
Leader = Annotated[Principal, Depends(require_roles("district_leader"))]
ClaimFiler = Annotated[Principal, Depends(require_roles("district_admin", "institution_staff"))]
ClaimReader = Annotated[
    Principal,
    Depends(require_roles("district_admin", "district_leader", "auditor", "institution_staff")),
]
ClaimDecider = Annotated[Principal, Depends(require_roles("district_admin", "district_leader"))]
MonthPath = Annotated[str, "YYYY-MM"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {XLSX: {}}, "description": "The payroll as .xlsx"}
}


# ----------------------------------------------------------------------------------- standards


@router.get(
    "/standards",
    response_model=StandardsPage,
    summary="List the effective-dated subsidy standards (补贴标准), with the two-yearly review "
    "of the living-allowance standard (standard_review)",
    responses=error_responses(401, 403, 422),
)
async def list_subsidy_standards(
    session: SessionDep,
    _: Staff,
    clock: ClockDep,
    key: Annotated[str | None, Query(max_length=64)] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> StandardsPage:
    rows, nxt = await paginate(
        session, repo.list_standards_stmt(key), [SubsidyStandard.id], limit=limit, cursor=cursor
    )
    review = await service.standard_review(session, local_today(clock))
    return StandardsPage(
        items=[StandardOut.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=nxt,
        standard_review=StandardReviewOut.model_validate(review.to_json()),
    )


@router.post(
    "/standards",
    response_model=StandardCreated,
    status_code=201,
    summary="Append a standard (a correction is a new value; paid months need retroactive)",
    responses=REPLAYED | error_responses(400, 401, 403, 409, 422),
)
async def create_subsidy_standard(
    body: StandardCreate,
    session: SessionDep,
    actor: DistrictAdmin,
    idempotency_key: IdempotencyKey = None,
) -> StandardCreated | JSONResponse:
    key = {"owner": str(actor.id), "scope": "subsidy.standards"}
    if replay := await replay_for_key(session, idempotency_key, **key, body=body):
        return replay
    row, adjusted, drafts = await service.create_standard(session, actor, body)
    out = StandardOut.model_validate(row, from_attributes=True)
    created = StandardCreated(**out.model_dump(), adjusted_months=adjusted, stale_drafts=drafts)
    await remember_for_key(session, idempotency_key, **key, out=created)
    return created


# --------------------------------------------------------------------------------------- quote


@router.post(
    "/quote",
    response_model=QuoteOut,
    summary="What is due for a month, with the trace of every amount (nothing is paid)",
    responses=error_responses(400, 401, 403, 404, 422),
)
async def quote_subsidy(body: QuoteRequest, session: SessionDep, actor: Staff) -> QuoteOut:
    return QuoteOut.model_validate(await service.quote(session, actor, body))


# ------------------------------------------------------------------------------ medical claims


@router.post(
    "/medical-claims",
    response_model=ClaimOut,
    status_code=201,
    summary="File a medical reimbursement claim (医疗报销)",
    responses=REPLAYED | error_responses(400, 401, 403, 404, 409, 422),
)
async def create_medical_claim(
    body: ClaimCreate,
    response: Response,
    session: SessionDep,
    actor: ClaimFiler,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> ClaimOut | JSONResponse:
    key = {"owner": str(actor.id), "scope": "subsidy.medical_claims"}
    if replay := await replay_for_key(session, idempotency_key, **key, body=body):
        return replay
    claim = await service.create_claim(session, actor, body, clock.now())
    set_etag(response, claim.version)
    out = ClaimOut.model_validate(service.claim_out(claim))
    await remember_for_key(session, idempotency_key, **key, out=out, resource_id=str(claim.id))
    return out


@router.get(
    "/medical-claims",
    response_model=Page[ClaimOut],
    summary="List medical claims",
    responses=error_responses(401, 403, 422),
)
async def list_medical_claims(
    session: SessionDep,
    actor: ClaimReader,
    child_id: uuid.UUID | None = None,
    status: Literal["submitted", "approved", "paid", "rejected"] | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ClaimOut]:
    rows, nxt = await paginate(
        session,
        repo.claims_stmt(actor, child_id, status),
        [MedicalClaim.created_at, MedicalClaim.id],
        limit=limit,
        cursor=cursor,
    )
    return Page(
        items=[ClaimOut.model_validate(service.claim_out(c)) for c in rows], next_cursor=nxt
    )


@router.get(
    "/medical-claims/{claim_id:uuid}",
    response_model=ClaimOut,
    summary="Get a medical claim",
    responses=error_responses(401, 403, 404, 422),
)
async def get_medical_claim(
    claim_id: uuid.UUID, response: Response, session: SessionDep, actor: ClaimReader
) -> ClaimOut:
    claim = await service.get_claim(session, actor, claim_id)
    set_etag(response, claim.version)
    return ClaimOut.model_validate(service.claim_out(claim))


@router.post(
    "/medical-claims/{claim_id:uuid}/approve",
    response_model=ClaimOut,
    summary="Approve a submitted claim (not by whoever filed it: four eyes)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def approve_medical_claim(
    claim_id: uuid.UUID,
    session: SessionDep,
    actor: ClaimDecider,
    clock: ClockDep,
    four_eyes: FourEyes,
) -> ClaimOut:
    claim = await service.decide_claim(
        session, actor, claim_id, "approved", clock.now(), four_eyes=four_eyes
    )
    return ClaimOut.model_validate(service.claim_out(claim))


@router.post(
    "/medical-claims/{claim_id:uuid}/reject",
    response_model=ClaimOut,
    summary="Reject a submitted claim, with the reason",
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def reject_medical_claim(
    claim_id: uuid.UUID,
    body: ClaimReject,
    session: SessionDep,
    actor: ClaimDecider,
    clock: ClockDep,
) -> ClaimOut:
    claim = await service.decide_claim(
        session, actor, claim_id, "rejected", clock.now(), reason=body.reason
    )
    return ClaimOut.model_validate(service.claim_out(claim))


@router.post(
    "/medical-claims/{claim_id:uuid}/pay",
    response_model=ClaimOut,
    summary="Record the payment of an approved claim (once; not by its approver: four eyes)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def pay_medical_claim(
    claim_id: uuid.UUID,
    session: SessionDep,
    actor: DistrictAdmin,
    clock: ClockDep,
    four_eyes: FourEyes,
) -> ClaimOut:
    claim = await service.decide_claim(
        session, actor, claim_id, "paid", clock.now(), four_eyes=four_eyes
    )
    return ClaimOut.model_validate(service.claim_out(claim))


# ------------------------------------------------------------------------------------ payrolls


@router.post(
    "/payrolls",
    response_model=PayrollOut,
    status_code=201,
    summary="Run the month's living-allowance payroll (one per month; 409 names the existing)",
    responses=REPLAYED | error_responses(400, 401, 403, 409, 422),
)
async def create_payroll(
    body: PayrollCreate,
    response: Response,
    session: SessionDep,
    actor: DistrictAdmin,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> PayrollOut | JSONResponse:
    key = {"owner": str(actor.id), "scope": "subsidy.payrolls"}
    if replay := await replay_for_key(session, idempotency_key, **key, body=body):
        return replay
    run = await payrolls.create_payroll(session, actor, body.month, clock.now())
    set_etag(response, run.version)
    out = PayrollOut.model_validate(payrolls.payroll_out(run, await repo.town_names(session)))
    await remember_for_key(session, idempotency_key, **key, out=out, resource_id=str(run.id))
    return out


@router.get(
    "/payrolls/{month}",
    response_model=PayrollOut,
    summary="Get the month's payroll run with its totals",
    responses=error_responses(401, 403, 404, 422),
)
async def get_payroll(
    month: MonthPath, response: Response, session: SessionDep, _: DistrictReader
) -> PayrollOut:
    run = await payrolls.get_payroll(session, month)
    set_etag(response, run.version)
    return PayrollOut.model_validate(payrolls.payroll_out(run, await repo.town_names(session)))


@router.get(
    "/payrolls/{month}/lines",
    response_model=Page[PayrollLineOut],
    summary="The run's lines (keyset pages), with the frozen facts and parameters",
    responses=error_responses(401, 403, 404, 422),
)
async def list_payroll_lines(
    month: MonthPath,
    session: SessionDep,
    principal: DistrictReader,
    kind: Literal["regular", "adjustment"] | None = None,
    town_code: Annotated[str | None, Query(max_length=12)] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[PayrollLineOut]:
    run = await payrolls.get_payroll(session, month)
    rows, nxt = await paginate(
        session,
        prepo.lines_stmt(run.id, kind, town_code),
        [PayrollLine.id],
        limit=limit,
        cursor=cursor,
    )
    audit.record(
        session,
        principal,
        "payroll.lines.read",
        "payroll",
        run.id,
        {"month": month, "count": len(rows)},
    )
    return Page(
        items=[PayrollLineOut.model_validate(payrolls.line_out(r)) for r in rows], next_cursor=nxt
    )


@router.post(
    "/payrolls/{month}/recompute",
    response_model=PayrollOut,
    summary="Recompute a draft run with today's ledger and standards (approved: 409)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def recompute_payroll(
    month: MonthPath, response: Response, session: SessionDep, actor: DistrictAdmin, clock: ClockDep
) -> PayrollOut:
    run = await payrolls.recompute_payroll(session, actor, month, clock.now())
    set_etag(response, run.version)
    return PayrollOut.model_validate(payrolls.payroll_out(run, await repo.town_names(session)))


@router.post(
    "/payrolls/{month}/approve",
    response_model=PayrollOut,
    summary="Approve the run (district leader, not its creator); its lines are frozen from then on",
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def approve_payroll(
    month: MonthPath,
    response: Response,
    session: SessionDep,
    actor: Leader,
    clock: ClockDep,
    four_eyes: FourEyes,
    body: PayrollApprove | None = None,
) -> PayrollOut:
    run = await payrolls.approve_payroll(
        session, actor, month, body.note if body else None, clock.now(), four_eyes=four_eyes
    )
    set_etag(response, run.version)
    return PayrollOut.model_validate(payrolls.payroll_out(run, await repo.town_names(session)))


@router.get(
    "/payrolls/{month}/export",
    summary="The bank-transfer sheet (.xlsx, Chinese headers)",
    response_class=Response,
    responses=_XLSX_RESPONSE | error_responses(401, 403, 404, 422),
)
async def export_payroll(
    month: MonthPath, session: SessionDep, principal: DistrictReader
) -> Response:
    run = await payrolls.get_payroll(session, month)
    content = await payrolls.export_payroll(session, run, await repo.town_names(session))
    audit.record(session, principal, "payroll.export", "payroll", run.id, {"month": month})
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="payroll-{month}.xlsx"'},
    )


# ------------------------------------------------------------------------ grant and holiday runs


def _run_out(run: BenefitRun, towns: dict[str, str]) -> BenefitRunOut:
    return BenefitRunOut(
        id=run.id,
        benefit=run.benefit,
        period=run.period,
        reference_date=run.reference_date,
        line_count=run.line_count,
        total_amount=from_fen(run.total_fen),
        totals=totals_out(run.totals, towns),
        status=run.status,
        created_at=run.created_at,
        created_by=run.created_by,
        approved_at=run.approved_at,
        approved_by=run.approved_by,
    )


async def _lines(
    session: SessionDep, run_id: uuid.UUID, limit: int, cursor: str | None
) -> Page[BenefitLineOut]:
    rows, nxt = await paginate(
        session, repo.benefit_lines_stmt(run_id), [BenefitLine.id], limit=limit, cursor=cursor
    )
    items = [
        BenefitLineOut(
            id=r.id,
            child_id=r.child_id,
            category=r.category,
            town_code=r.town_code,
            amount=from_fen(r.amount_fen),
            payee=r.payee,
            facts=r.facts,
            parameters=r.parameters,
        )
        for r in rows
    ]
    return Page(items=items, next_cursor=nxt)


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
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> BenefitRunOut | JSONResponse:
    key = {"owner": str(actor.id), "scope": "subsidy.education_grants"}
    if replay := await replay_for_key(session, idempotency_key, **key, body=body):
        return replay
    run = await service.create_education_grants(session, actor, body.school_year, clock.now())
    out = _run_out(run, await repo.town_names(session))
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
    return _run_out(run, await repo.town_names(session))


@router.post(
    "/education-grants/{school_year}/approve",
    response_model=BenefitRunOut,
    summary="Approve a school year's grant run (not by its creator: four eyes)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def approve_education_grants(
    school_year: str,
    session: SessionDep,
    actor: ClaimDecider,
    clock: ClockDep,
    four_eyes: FourEyes,
) -> BenefitRunOut:
    run = await service.approve_benefit_run(
        session, actor, "education_grant", school_year, clock.now(), four_eyes=four_eyes
    )
    return _run_out(run, await repo.town_names(session))


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
    run = await service.get_benefit_run(session, "education_grant", school_year)
    return await _lines(session, run.id, limit, cursor)


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
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> BenefitRunOut | JSONResponse:
    key = {"owner": str(actor.id), "scope": "subsidy.holiday_runs"}
    if replay := await replay_for_key(session, idempotency_key, **key, body=body):
        return replay
    run = await service.create_holiday_run(session, actor, body.occasion, body.year, clock.now())
    out = _run_out(run, await repo.town_names(session))
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
    return _run_out(run, await repo.town_names(session))


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
    actor: ClaimDecider,
    clock: ClockDep,
    four_eyes: FourEyes,
) -> BenefitRunOut:
    run = await service.approve_benefit_run(
        session, actor, "holiday_condolence", f"{occasion}-{year}", clock.now(), four_eyes=four_eyes
    )
    return _run_out(run, await repo.town_names(session))


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
    run = await service.get_benefit_run(session, "holiday_condolence", f"{occasion}-{year}")
    return await _lines(session, run.id, limit, cursor)


# ---------------------------------------------------------------------------- budget, spending


@router.post(
    "/budgets",
    response_model=BudgetOut,
    status_code=201,
    summary="Set the year's budget for classified support (once per year)",
    responses=REPLAYED | error_responses(400, 401, 403, 409, 422),
)
async def create_subsidy_budget(
    body: BudgetCreate,
    session: SessionDep,
    actor: DistrictAdmin,
    idempotency_key: IdempotencyKey = None,
) -> BudgetOut | JSONResponse:
    key = {"owner": str(actor.id), "scope": "subsidy.budgets"}
    if replay := await replay_for_key(session, idempotency_key, **key, body=body):
        return replay
    row = await service.create_budget(session, actor, body.year, body.amount, body.reference)
    out = BudgetOut(
        year=row.year,
        amount=from_fen(row.amount_fen),
        reference=row.reference,
        created_at=row.created_at,
        created_by=row.created_by,
    )
    await remember_for_key(session, idempotency_key, **key, out=out)
    return out


@router.get(
    "/spending",
    response_model=SpendingOut,
    summary="Spending by benefit and month against the year's budget",
    responses=error_responses(401, 403, 422),
)
async def get_subsidy_spending(
    session: SessionDep, _: DistrictReader, year: Annotated[int, Query(ge=2000, le=2100)]
) -> SpendingOut:
    return SpendingOut.model_validate(await service.spending(session, year))
