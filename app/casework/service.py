"""个案 cases of 精准帮扶: opening, assessment, plan, service records, reviews, closure.

The status path, each step by its own action (any other move is a 409 `case_state_refused`):

    open ──assessment──▶ assessed ──plan──▶ in_service ──close──▶ closed
      └──────────────────────┴─────────────────┴──close──▶ closed

A re-assessment keeps the status (open becomes assessed); a revised plan keeps `in_service`;
service records may be written in every open status (assessment interviews are work too);
reviews only `in_service`. A closed case takes nothing more.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.casework import repository as repo
from app.casework import rules, views
from app.casework.errors import CaseNotFound, CaseStateRefused, OpenCaseExists
from app.casework.schemas import (
    DOMAINS,
    AssessmentIn,
    CaseCreate,
    CaseOut,
    CaseQuery,
    CaseSummary,
    CloseIn,
    PlanIn,
    ReviewIn,
    ServiceIn,
    ServiceOut,
)
from app.children.errors import ChildNotFound
from app.errors import Conflict, ValidationFailed
from app.incidents.service import open_draft_for_child
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.pagination import Page, paginate
from app.kit.records import known, out_of
from app.models import Case, CaseGoal, CaseReview, CaseService, CaseStep, Child

OPEN_STATUSES = ("open", "assessed", "in_service")


def _refuse(case: Case, action_zh: str, action_en: str, allowed: tuple[str, ...]) -> None:
    if case.status not in allowed:
        raise CaseStateRefused(
            f"个案状态为 {case.status}，不能{action_zh}",
            f"The case is {case.status}: cannot {action_en}",
            extra={"status": case.status, "allowed_in": list(allowed)},
        )


def _step(case: Case, ctx: RequestContext, to: str, note: str | None = None) -> CaseStep:
    return CaseStep(
        case_id=case.id,
        from_status=None if case.status == to else case.status,
        to_status=to,
        at=ctx.now,
        actor_id=ctx.actor.id,
        actor_name=ctx.actor.name,
        note=note,
    )


def _not_future(ctx: RequestContext, field: str, value: Any, errors: list[Any]) -> None:
    if value > ctx.today:
        errors.append((field, "日期不能晚于今天", "The date is in the future"))


def _not_before(
    ctx: RequestContext,
    field: str,
    day: date,
    earlier: date | None,
    words: tuple[str, str],
    errors: list[Any],
) -> None:
    """`day` is not in the future, nor before `earlier` when there is one (`words` say so)."""
    _not_future(ctx, field, day, errors)
    if earlier is not None and day < earlier:
        errors.append((field, *words))


def _case_day(
    ctx: RequestContext, case: Case, field: str, day: date, what: str, errors: list[Any]
) -> None:
    """A day of the case's work (`what` names it in Chinese): not in the future, not before
    the case opened."""
    opened = (f"{what}早于开案日期", f"{field} is before the case opened")
    _not_before(ctx, field, day, case.opened_on, opened, errors)


async def _case_dated(
    session: AsyncSession,
    ctx: RequestContext,
    case_id: uuid.UUID,
    doing: tuple[str, str],
    day: tuple[str, date, str],
) -> Case:
    """The case for a step of one day (`day` is its field, value and Chinese name), the day
    checked as `_case_day` does: a 422 when it is wrong."""
    case = await _case_for(session, ctx, case_id, doing)
    errors: list[tuple[str, str, str]] = []
    _case_day(ctx, case, *day, errors)
    if errors:
        raise ValidationFailed(errors=errors)
    return case


def _review_due(case: Case, ctx: RequestContext, since: date) -> None:
    """The case's next review falls due one interval after `since` (its plan, its last review)."""
    case.next_review_due = rules.next_review_due(since, ctx.settings.case_review_interval_months)


async def _saved(
    session: AsyncSession,
    ctx: RequestContext,
    case: Case,
    action: str,
    detail: dict[str, Any] | None = None,
) -> CaseOut:
    """Store a step of the case's work: a new version (ETag), audited; the case as it is now."""
    case.updated_at = func.now()
    await session.flush()
    await session.refresh(case)
    audit.record(session, ctx, action, "case", case.id, detail)
    return await views.case_view(session, ctx, case)


# -- opening -------------------------------------------------------------------------------------


async def _judge_opening(
    session: AsyncSession, ctx: RequestContext, body: CaseCreate
) -> tuple[Child, list[dict[str, Any]]]:
    """The child and the social assistance it receives, or 422 with every error: a ledger child,
    an agency whose contract runs today, social assistance or else an override reason."""
    errors: list[tuple[str, str, str]] = []
    child = await repo.readable_child(session, ctx.actor, body.child_id)
    if child is None:
        errors.append(ChildNotFound.field_error("child_id"))
    agency = await repo.get_agency(session, ctx.actor, body.agency_id)
    if agency is None:
        errors.append(("agency_id", "签约机构不存在", "No such casework agency"))
    elif not agency.contract_from <= ctx.today <= agency.contract_to:
        errors.append(
            ("agency_id", "该机构的服务合同不在有效期内", "The agency's contract is not running")
        )
    assistance: list[dict[str, Any]] = []
    if child is not None:
        assistance = rules.social_assistance(
            status=child.status,
            category=child.category,
            household_assistance=child.household_assistance,
        )
        if not assistance and body.override_reason is None:
            errors.append(
                (
                    "child_id",
                    "该儿童未享受社会救助（生活补贴或低保、低收入、特困救助）；如确需帮扶，请填写 "
                    "override_reason",
                    "The child is on no social assistance (living allowance, subsistence, "
                    "low-income or extreme-poverty support); give override_reason to open a case",
                )
            )
    if body.override_reason is not None and assistance:
        errors.append(
            (
                "override_reason",
                "该儿童已享受社会救助，无需特批理由",
                "The child is on social assistance: no override is needed",
            )
        )
    if errors:
        raise ValidationFailed(errors=errors)
    assert child is not None
    return child, assistance


async def create_case(session: AsyncSession, ctx: RequestContext, body: CaseCreate) -> CaseOut:
    """Open a case: a ledger child on social assistance (or the district's override with a
    reason), given to a contracted agency whose contract runs today."""
    child, assistance = await _judge_opening(session, ctx, body)
    if (open_id := await repo.open_case_of(session, child.id)) is not None:
        raise OpenCaseExists(extra={"open_case_id": str(open_id)})
    case = Case(
        id=body.id,
        child_id=child.id,
        agency_id=body.agency_id,
        status="open",
        reason=body.reason,
        assistance=assistance,
        override_reason=body.override_reason,
        area_code=child.village_code,
        district_code=ctx.actor.district_code or ctx.settings.district_code,
        opened_on=ctx.today,
        opened_by=ctx.actor.name,
        version=1,
    )
    session.add(case)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(
            "该编号的个案已存在，或该儿童已有未结案的个案",
            "A case with this id exists, or the child has an open case",
        ) from None
    session.add(_step(case, ctx, "open", note=body.reason))
    await session.flush()
    detail = {
        "child_id": str(child.id),
        "agency_id": str(body.agency_id),
        "override": body.override_reason is not None,
    }
    audit.record(session, ctx, "case.create", "case", case.id, detail)
    return await views.case_view(session, ctx, case)


# -- reading -------------------------------------------------------------------------------------


async def _visible(
    session: AsyncSession, ctx: RequestContext, case_id: uuid.UUID, *, lock: bool = False
) -> Case:
    return known(await repo.get_visible(session, ctx.actor, case_id, lock=lock), CaseNotFound)


async def _case_for(
    session: AsyncSession,
    ctx: RequestContext,
    case_id: uuid.UUID,
    action: tuple[str, str],
    allowed: tuple[str, ...] = OPEN_STATUSES,
) -> Case:
    """The case, locked for a step of its work (`action` in Chinese and English), or 404 or
    409 when its status does not allow the step."""
    case = await _visible(session, ctx, case_id, lock=True)
    _refuse(case, *action, allowed)
    return case


async def get_case(session: AsyncSession, ctx: RequestContext, case_id: uuid.UUID) -> CaseOut:
    case = await _visible(session, ctx, case_id)
    audit.record(session, ctx, "case.read", "case", case.id, {"child_id": str(case.child_id)})
    return await views.case_view(session, ctx, case)


async def list_cases(
    session: AsyncSession, ctx: RequestContext, query: CaseQuery
) -> Page[CaseSummary]:
    stmt = repo.cases_stmt(
        ctx.actor,
        status=query.status,
        agency_id=query.agency_id,
        child_id=query.child_id,
        review_overdue_on=ctx.today if query.review_overdue else None,
        updated_since=query.updated_since,
    )
    keys = [Case.created_at, Case.id]
    rows, nxt = await paginate(session, stmt, keys, limit=query.limit, cursor=query.cursor)
    names = await repo.children_names(session, {c.child_id for c in rows})
    audit.record(session, ctx, "case.list", "case", None, {"ids": [str(c.id) for c in rows]})
    return Page(
        items=[
            out_of(
                CaseSummary,
                c,
                child_name=names.get(c.child_id, ""),
                review_overdue=views.overdue(c, ctx),
            )
            for c in rows
        ],
        next_cursor=nxt,
    )


# -- the case work -------------------------------------------------------------------------------


async def assess(
    session: AsyncSession, ctx: RequestContext, case_id: uuid.UUID, body: AssessmentIn
) -> CaseOut:
    """需求评估: a score and notes in each of the six domains; the first moves open → assessed."""
    day = ("assessed_on", body.assessed_on, "评估日期")
    case = await _case_dated(session, ctx, case_id, ("评估", "be assessed"), day)
    case.assessment = {d: getattr(body, d).model_dump() for d in DOMAINS}
    case.assessed_on = body.assessed_on
    if case.status == "open":
        session.add(_step(case, ctx, "assessed"))
        case.status = "assessed"
    return await _saved(session, ctx, case, "case.assess")


async def set_plan(
    session: AsyncSession, ctx: RequestContext, case_id: uuid.UUID, body: PlanIn
) -> CaseOut:
    """服务计划: goals and planned services; the first moves assessed → in_service and sets the
    first review CASE_REVIEW_INTERVAL_MONTHS later. A revision keeps the goals it names by id
    and retires the others."""
    plan = ("制定服务计划（须先完成需求评估）", "take a plan (assess it first)")
    case = await _case_for(session, ctx, case_id, plan, ("assessed", "in_service"))
    current = {g.id: g for g in await repo.goals_of(session, case.id)}
    errors: list[tuple[str, str, str]] = []
    assessed = ("计划日期早于评估日期", "set_on is before the assessment")
    _not_before(ctx, "set_on", body.set_on, case.assessed_on, assessed, errors)
    kept: set[uuid.UUID] = set()
    for i, goal in enumerate(body.goals):
        if goal.id is None:
            continue
        if goal.id not in current or goal.id in kept:
            errors.append((f"goals[{i}].id", "不是本个案的目标", "Not a goal of this case"))
        kept.add(goal.id)
    if errors:
        raise ValidationFailed(errors=errors)
    for g in current.values():
        if g.id not in kept:
            g.retired = True
    for position, goal in enumerate(body.goals):
        services = [s.model_dump(exclude_none=True) for s in goal.planned_services]
        if goal.id is not None:
            row = current[goal.id]
            row.position, row.domain, row.title = position, goal.domain, goal.title
            row.planned_services, row.retired = services, False
        else:
            session.add(
                CaseGoal(
                    id=uuid.uuid4(),
                    case_id=case.id,
                    position=position,
                    domain=goal.domain,
                    title=goal.title,
                    planned_services=services,
                    progress="not_started",
                    retired=False,
                )
            )
    first = case.status == "assessed"
    case.plan_set_on = body.set_on
    if first:
        session.add(_step(case, ctx, "in_service"))
        case.status = "in_service"
        _review_due(case, ctx, body.set_on)
    return await _saved(session, ctx, case, "case.plan", {"goals": len(body.goals)})


async def add_service(
    session: AsyncSession, ctx: RequestContext, case_id: uuid.UUID, body: ServiceIn
) -> ServiceOut:
    """服务记录 by a case worker of the case's agency (another agency's case does not exist for
    them: 404). Inside the agency's contract period, not in the future, not before the case
    opened. A disclosure of harm opens a draft mandatory report in the same transaction."""
    case = await _case_for(session, ctx, case_id, ("记录服务", "take service records"))
    agency = await repo.get_agency(session, ctx.actor, case.agency_id)
    assert agency is not None  # the case is visible: so is its agency
    errors: list[tuple[str, str, str]] = []
    _case_day(ctx, case, "served_on", body.served_on, "服务日期", errors)
    if not agency.contract_from <= body.served_on <= agency.contract_to:
        errors.append(
            ("served_on", "服务日期不在机构合同期内", "served_on is outside the agency's contract")
        )
    if body.goal_id is not None:
        goals = {g.id: g for g in await repo.goals_of(session, case.id)}
        goal = goals.get(body.goal_id)
        if goal is None or goal.retired:
            errors.append(
                ("goal_id", "不是本个案当前计划的目标", "Not a current goal of this case")
            )
    if body.disclosure_note is not None and not body.disclosure:
        errors.append(
            ("disclosure_note", "仅在 disclosure 为 true 时填写", "Only with disclosure: true")
        )
    if errors:
        raise ValidationFailed(errors=errors)
    service = CaseService(
        case_id=case.id,
        agency_id=case.agency_id,
        worker_id=ctx.actor.id,
        **body.model_dump(exclude={"disclosure_note"}),
    )
    session.add(service)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict("该编号的服务记录已存在", "A service record with this id exists") from None
    if body.disclosure:
        child = await repo.child(session, case.child_id)
        assert child is not None
        incident = await open_draft_for_child(
            session,
            ctx,
            child=child,
            origin="case_service",
            origin_id=service.id,
            note=body.disclosure_note or body.notes,
        )
        service.incident_id = incident.id
    case.updated_at = func.now()  # minutes delivered changed: a new version of the case
    await session.flush()
    await session.refresh(service)
    audit.record(
        session,
        ctx,
        "case.service",
        "case_service",
        service.id,
        {"case_id": str(case.id), "minutes": body.minutes, "disclosure": body.disclosure},
    )
    return views.service_out(service)


async def list_services(
    session: AsyncSession,
    ctx: RequestContext,
    case_id: uuid.UUID,
    *,
    limit: int,
    cursor: str | None,
) -> Page[ServiceOut]:
    case = await _visible(session, ctx, case_id)
    rows, nxt = await paginate(
        session,
        repo.services_stmt(case.id),
        [CaseService.served_on, CaseService.id],
        limit=limit,
        cursor=cursor,
    )
    audit.record(session, ctx, "case_service.list", "case", case.id, {"n": len(rows)})
    return Page(items=[views.service_out(s) for s in rows], next_cursor=nxt)


async def review(
    session: AsyncSession, ctx: RequestContext, case_id: uuid.UUID, body: ReviewIn
) -> CaseOut:
    """回顾: the progress of every current goal (each once); the next review is due
    CASE_REVIEW_INTERVAL_MONTHS after this one. Only a case in service is reviewed."""
    review = ("回顾（仅服务中的个案）", "be reviewed (only a case in service)")
    case = await _case_for(session, ctx, case_id, review, ("in_service",))
    goals = {g.id: g for g in await repo.goals_of(session, case.id) if not g.retired}
    errors: list[tuple[str, str, str]] = []
    planned = ("回顾日期早于计划日期", "reviewed_on is before the plan")
    _not_before(ctx, "reviewed_on", body.reviewed_on, case.plan_set_on, planned, errors)
    seen: set[uuid.UUID] = set()
    for i, p in enumerate(body.progress):
        if p.goal_id not in goals or p.goal_id in seen:
            errors.append(
                (
                    f"progress[{i}].goal_id",
                    "不是本个案当前的目标，或重复",
                    "Not a current goal, or twice",
                )
            )
        seen.add(p.goal_id)
    missing = [str(g) for g in goals if g not in seen]
    if missing:
        errors.append(
            ("progress", "每个当前目标都须填写进展", f"Progress is missing for goals {missing}")
        )
    if errors:
        raise ValidationFailed(errors=errors)
    for p in body.progress:
        goals[p.goal_id].progress = p.progress
    row = CaseReview(
        id=uuid.uuid4(),
        case_id=case.id,
        reviewed_on=body.reviewed_on,
        progress=[p.model_dump(mode="json") for p in body.progress],
        summary=body.summary,
        reviewer_id=ctx.actor.id,
        reviewer_name=ctx.actor.name,
    )
    session.add(row)
    _review_due(case, ctx, body.reviewed_on)
    return await _saved(session, ctx, case, "case.review", {"review_id": str(row.id)})


async def close(
    session: AsyncSession, ctx: RequestContext, case_id: uuid.UUID, body: CloseIn
) -> CaseOut:
    """结案 with an outcome; a closed case is never reopened (a new case may be opened)."""
    day = ("closed_on", body.closed_on, "结案日期")
    case = await _case_dated(session, ctx, case_id, ("结案", "be closed"), day)
    session.add(_step(case, ctx, "closed", note=body.note))
    case.status = "closed"
    case.closed_on = body.closed_on
    case.outcome = body.outcome
    case.closing_note = body.note
    return await _saved(session, ctx, case, "case.close", {"outcome": body.outcome})
