"""强制报告: creating reports and drafts, the status machine, further referrals, escalation.

Creating a report creates, in the same transaction, its referral to the police and the outbox
rows that deliver it; nothing reaches an agency unless the report committed, and everything
that committed is delivered.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.roles import Role
from app.children.errors import ChildNotFound
from app.config import Settings
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.incidents import hooks
from app.incidents import repository as repo
from app.incidents import situations as statutory
from app.incidents.errors import (
    DuplicateReferral,
    IncidentNotFound,
    TransitionRefused,
)
from app.incidents.schemas import (
    ChildFacts,
    IncidentComplete,
    IncidentCreate,
    NotificationOut,
    ReferralCreate,
    TransitionIn,
)
from app.kit import audit, idnumber
from app.kit.clock import DISTRICT_TZ
from app.kit.context import RequestContext
from app.kit.pagination import Page, page_of
from app.kit.records import known
from app.models import Child, Incident, IncidentStep, Notification, Referral
from app.webhooks import outbox

ORDER = ("reported", "acknowledged", "investigating", "intervening", "closed")
NEXT = dict(itertools.pairwise(ORDER))
DRAFT_COMPLETION = timedelta(hours=1)
FUTURE_TOLERANCE = timedelta(minutes=5)


def is_urgent(situations: list[str], immediate_danger: bool) -> bool:
    """The short acknowledgement deadline: situations 1, 2, 3 and 7 of the 2020 opinion (sexual
    harm of a minor; a minor of unknown origin, missing or trafficked), or immediate danger."""
    return statutory.is_urgent(situations, immediate_danger)


def ack_deadline(settings: Settings, urgent: bool, now: datetime) -> datetime:
    minutes = (
        settings.incident_urgent_ack_sla_minutes if urgent else settings.incident_ack_sla_minutes
    )
    return now + timedelta(minutes=minutes)


def _step(
    incident: Incident,
    actor: Principal | None,
    to: str,
    now: datetime,
    note: str | None = None,
    outcome: str | None = None,
) -> IncidentStep:
    return IncidentStep(
        incident_id=incident.id,
        from_status=None if incident.status == to else incident.status,
        to_status=to,
        at=now,
        actor_kind=actor.kind if actor else "system",
        actor_id=str(actor.id) if actor else None,
        actor_name=actor.name if actor else None,
        note=note,
        outcome=outcome,
    )


def _check_facts(
    facts: ChildFacts, ctx: RequestContext, errors: list[tuple[str, str, str]]
) -> None:
    if facts.birth_date is not None:
        if facts.birth_date > ctx.today:
            errors.append(
                ("child.birth_date", "出生日期不能晚于今天", "Birth date is in the future")
            )
        elif ctx.today.year - facts.birth_date.year > 18:
            errors.append(("child.birth_date", "应为未成年人", "Must be a minor"))
    if facts.id_number is not None:
        try:
            parsed = idnumber.parse(facts.id_number, today=ctx.today)
        except idnumber.InvalidIdNumber as exc:
            errors.append(("child.id_number", str(exc), f"Invalid ID number ({exc.reason})"))
            return
        if parsed.gender != facts.gender:
            errors.append(("child.gender", "性别与身份证号码不符", "Gender disagrees with the ID"))
        if facts.birth_date is not None and facts.birth_date != parsed.birth_date:
            errors.append(
                ("child.birth_date", "出生日期与身份证号码不符", "Birth date disagrees with the ID")
            )


def _check_report_fields(
    body: IncidentCreate | IncidentComplete, ctx: RequestContext, errors: list[tuple[str, str, str]]
) -> None:
    if not body.situations:
        errors.append(
            (
                "situations",
                "须至少选择一项强制报告情形",
                "Name at least one situation of the 2020 opinion",
            )
        )
    for field in ("kinds", "description", "discovered_at", "location", "immediate_danger"):
        if getattr(body, field) is None:
            errors.append((field, "缺少必填字段", "Field required"))
    if body.discovered_at is not None and body.discovered_at > ctx.now + FUTURE_TOLERANCE:
        errors.append(
            ("discovered_at", "发现时间不能晚于当前时间", "discovered_at is in the future")
        )


def _check_situations(
    situations: Sequence[str] | None,
    child: Child | None,
    discovered_at: datetime | None,
    ctx: RequestContext,
    errors: list[tuple[str, str, str]],
) -> None:
    """A situation about girls (2, 3) that the ledger's facts of the child contradict is refused.

    Age is counted on the day of discovery (today if not given yet). A minor not on the ledger
    is described by the reporter's estimate, which is not held against the report.
    """
    if not situations or child is None:
        return
    day = discovered_at.astimezone(DISTRICT_TZ).date() if discovered_at else ctx.today
    for index, zh, en in statutory.contradictions(
        situations, gender=child.gender, birth_date=child.birth_date, on=day
    ):
        errors.append((f"situations[{index}]", zh, en))


def _violated(exc: IntegrityError) -> str | None:
    """The name of the constraint a failed INSERT ran into (asyncpg's error, under SQLAlchemy's)."""
    return getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)


def _ordered(situations: Sequence[str]) -> list[str]:
    """The situations once each, in the opinion's order."""
    given = set(situations)
    return [c for c in statutory.SITUATION_CODES if c in given]


@dataclass(frozen=True)
class NewIncident:
    """A report just filed, with what its first representation shows (no need to read it back)."""

    incident: Incident
    child: Child | None
    steps: list[IncidentStep]
    referrals: list[Referral]


async def create_incident(
    session: AsyncSession, ctx: RequestContext, body: IncidentCreate
) -> NewIncident:
    """File a mandatory report (or a draft); the report is referred to the police at once."""
    child = await _check_new(session, ctx, body)
    incident = _new_incident(ctx, body, child)
    step = _step(incident, ctx.actor, incident.status, ctx.now)
    referral: Referral | None = None
    deliveries: list[outbox.PreparedDelivery] = []
    if not body.draft:
        referral, deliveries = await _police_referral(session, ctx, incident, child)
    _audit_created(session, ctx, incident, draft=body.draft)
    try:
        await repo.insert_report(session, incident, step, referral, deliveries)
    except IntegrityError as exc:
        if _violated(exc) != "pk_incidents":
            raise
        raise Conflict("该编号的报告已存在", "An incident with this id exists") from None
    return NewIncident(incident, child, [step], [] if referral is None else [referral])


async def _check_new(
    session: AsyncSession, ctx: RequestContext, body: IncidentCreate
) -> Child | None:
    """Judge a new report (or draft) before anything is stored: its ledger child, if named;
    every fault at once as a 422."""
    errors: list[tuple[str, str, str]] = []
    if (body.child_id is None) == (body.child is None):
        errors.append(
            (
                "child_id",
                "须且只能提供 child_id 或 child 之一",
                "Give exactly one of child_id, child",
            )
        )
    if not body.draft:
        _check_report_fields(body, ctx, errors)
    elif body.discovered_at is not None and body.discovered_at > ctx.now + FUTURE_TOLERANCE:
        errors.append(
            ("discovered_at", "发现时间不能晚于当前时间", "discovered_at is in the future")
        )
    child: Child | None = None
    if body.child_id is not None:
        child = await repo.readable_child(session, ctx.actor, body.child_id)
        if child is None:
            errors.append(ChildNotFound.field_error("child_id"))
    if body.child is not None:
        _check_facts(body.child, ctx, errors)
    _check_situations(body.situations, child, body.discovered_at, ctx, errors)
    if body.visit_id is not None:
        visit_child = await repo.visit_child_id(session, body.visit_id)
        if visit_child is None or child is None or visit_child != child.id:
            errors.append(
                (
                    "visit_id",
                    "探访记录不存在，或不是该儿童的探访",
                    "No such visit of this child",
                )
            )
    if errors:
        raise ValidationFailed(errors=errors)
    return child


def _new_incident(ctx: RequestContext, body: IncidentCreate, child: Child | None) -> Incident:
    """The report's row; a minor not on the ledger is described by the reporter's facts."""
    principal = ctx.actor
    kinds: list[str] = list(dict.fromkeys(body.kinds or []))
    situations = _ordered(body.situations or [])
    danger = bool(body.immediate_danger)
    incident = Incident(
        id=body.id,
        status="draft" if body.draft else "reported",
        child_id=child.id if child else None,
        situations=situations,
        situations_inferred=False,
        kinds=kinds,
        description=body.description,
        discovered_at=body.discovered_at,
        location=body.location,
        immediate_danger=danger,
        urgent=is_urgent(situations, danger),
        visit_id=body.visit_id,
        reporter_id=principal.id,
        reporter_name=principal.name,
        area_code=(child.village_code if child else None)
        or principal.area_code
        or principal.district_code,
        drafted_at=ctx.now if body.draft else None,
        reported_at=None if body.draft else ctx.now,
        interventions=[],
    )
    if body.child is not None:
        facts = body.child
        incident.child_name = facts.name
        incident.child_gender = facts.gender
        incident.child_birth_date = facts.birth_date
        incident.child_age = facts.age
        if facts.id_number is not None:
            value = idnumber.normalize(facts.id_number)
            incident.child_id_number_enc = ctx.keyring.encrypt(value)
            incident.child_id_number_hash = ctx.keyring.lookup_hash(value)
            incident.child_id_number_masked = idnumber.mask(value)
    return incident


async def _police_referral(
    session: AsyncSession, ctx: RequestContext, incident: Incident, child: Child | None
) -> tuple[Referral, list[outbox.PreparedDelivery]]:
    """A report's referral to the police and its deliveries, stored with the report."""
    referral = _new_referral(incident, "police", ctx, note=None)
    created = outbox.REFERRAL_CREATED
    deliveries = await outbox.prepare_event(session, ctx, created, referral, incident, child)
    audit.record(session, ctx, "referral.create", "referral", referral.id, {"agency": "police"})
    return referral, deliveries


async def create_draft_for_visit(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    visit_id: uuid.UUID,
    child_id: uuid.UUID,
    note: str | None,
) -> Incident:
    """The hook for visits with `suspected_infringement`: a draft the director completes."""
    body = IncidentCreate(
        id=uuid.uuid4(), draft=True, child_id=child_id, visit_id=visit_id, description=note
    )
    return (await create_incident(session, ctx, body)).incident


async def open_draft_for_child(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    child: Child,
    origin: str,
    origin_id: uuid.UUID,
    note: str | None,
) -> Incident:
    """A draft mandatory report opened by another domain's record — a counselling session's or a
    case worker's service record's disclosure of harm, as a visit's suspected infringement does.

    The calling domain has judged that the caller may reach `child` (a counsellor reaches the
    institute's residents, a case worker the children of their cases, neither through the
    ledger's areas), so the ledger's jurisdiction is not asked again. The caller is the reporter:
    the draft is theirs to complete (or a district admin's), and it escalates like any draft.
    `origin` names the record (`counselling_session`, `case_service`, ...) in the audit trail;
    the calling domain keeps the returned incident's id on its own row.
    """
    body = IncidentCreate(id=uuid.uuid4(), draft=True, child_id=child.id, description=note)
    incident = _new_incident(ctx, body, child)
    step = _step(incident, ctx.actor, incident.status, ctx.now)
    _audit_created(session, ctx, incident, draft=True, origin=origin, origin_id=str(origin_id))
    await repo.insert_report(session, incident, step, None, [])
    return incident


async def complete_draft(
    session: AsyncSession,
    ctx: RequestContext,
    incident_id: uuid.UUID,
    body: IncidentComplete,
) -> Incident:
    """A draft becomes a report (and is referred to the police) when its facts are given."""
    principal = ctx.actor
    incident = await _locked(session, principal, incident_id)
    if not (principal.role == Role.DISTRICT_ADMIN or incident.reporter_id == principal.id):
        raise Forbidden("只有报告人或区级管理员可完成草稿", "Only the reporter or an admin may")
    if incident.status != "draft":
        raise TransitionRefused(
            "该报告不是草稿", "The incident is not a draft", extra={"status": incident.status}
        )
    errors: list[tuple[str, str, str]] = []
    _check_report_fields(body, ctx, errors)
    child = await repo.child_of(session, incident)
    _check_situations(body.situations, child, body.discovered_at, ctx, errors)
    if errors:
        raise ValidationFailed(errors=errors)
    kinds: list[str] = list(dict.fromkeys(body.kinds))
    situations = _ordered(body.situations)
    session.add(_step(incident, principal, "reported", ctx.now, note="草稿已完成"))
    incident.situations = situations
    incident.situations_inferred = False
    incident.kinds = kinds
    incident.description = body.description
    incident.discovered_at = body.discovered_at
    incident.location = body.location
    incident.immediate_danger = body.immediate_danger
    incident.urgent = is_urgent(situations, body.immediate_danger)
    incident.status = "reported"
    incident.reported_at = ctx.now
    await session.flush()
    await _refer(session, incident, child, "police", ctx, note=None)
    audit.record(
        session,
        ctx,
        "incident.complete",
        "incident",
        incident.id,
        {"urgent": incident.urgent},
    )
    return incident


def _new_referral(
    incident: Incident, agency: str, ctx: RequestContext, *, note: str | None
) -> Referral:
    return Referral(
        id=uuid.uuid4(),
        incident_id=incident.id,
        agency=agency,
        status="pending",
        urgent=incident.urgent,
        referred_at=ctx.now,
        ack_due_at=ack_deadline(ctx.settings, incident.urgent, ctx.now),
        created_by=ctx.actor.name,
        note=note,
    )


async def _refer(
    session: AsyncSession,
    incident: Incident,
    child: Child | None,
    agency: str,
    ctx: RequestContext,
    *,
    note: str | None,
) -> Referral:
    referral = _new_referral(incident, agency, ctx, note=note)
    session.add(referral)
    await outbox.record_event(session, ctx, outbox.REFERRAL_CREATED, referral, incident, child)
    audit.record(session, ctx, "referral.create", "referral", referral.id, {"agency": agency})
    return referral


async def add_referral(
    session: AsyncSession,
    ctx: RequestContext,
    incident_id: uuid.UUID,
    body: ReferralCreate,
) -> Referral:
    """District staff refer a report to health, education or a federation as well."""
    incident = await _locked(session, ctx.actor, incident_id)
    if incident.status in ("draft", "closed"):
        raise TransitionRefused(
            "草稿或已结案的报告不能转介",
            "A draft or closed incident cannot be referred",
            extra={"status": incident.status},
        )
    if await repo.referral_exists(session, incident.id, body.agency):
        raise DuplicateReferral(extra={"agency": body.agency})
    child = await repo.child_of(session, incident)
    referral = await _refer(session, incident, child, body.agency, ctx, note=body.note)
    incident.updated_at = func.now()  # its representation changed: a new version, a new ETag
    await session.flush()
    return referral


async def move(
    session: AsyncSession,
    ctx: RequestContext,
    incident: Incident,
    to: str,
    *,
    note: str | None = None,
    outcome: str | None = None,
) -> None:
    """Move a (locked) incident one step, record who/when/note, and tell the referred agencies."""
    if NEXT.get(incident.status) != to:
        raise TransitionRefused(
            f"不能从 {incident.status} 变更为 {to}",
            f"Cannot move from {incident.status} to {to}",
            extra={"from": incident.status, "to": to, "allowed": [NEXT[incident.status]]}
            if incident.status in NEXT
            else {"from": incident.status, "to": to, "allowed": []},
        )
    session.add(_step(incident, ctx.actor, to, ctx.now, note=note, outcome=outcome))
    incident.status = to
    if to == "closed":
        incident.outcome = outcome
        incident.closed_at = ctx.now
    await session.flush()
    child = await repo.child_of(session, incident)
    referrals = (await repo.referrals_of(session, [incident.id]))[incident.id]
    for referral in referrals:
        changed = "incident.status_changed"
        await outbox.record_event(session, ctx, changed, referral, incident, child)
    audit.record(session, ctx, "incident.transition", "incident", incident.id, {"to": to})


async def transition(
    session: AsyncSession,
    ctx: RequestContext,
    incident_id: uuid.UUID,
    body: TransitionIn,
) -> Incident:
    incident = await _locked(session, ctx.actor, incident_id)
    errors: list[tuple[str, str, str]] = []
    if body.to == "closed" and body.outcome is None:
        errors.append(("outcome", "结案须填写结论", "Closing needs an outcome"))
    if body.to != "closed" and body.outcome is not None:
        errors.append(("outcome", "只有结案时填写结论", "An outcome is given only when closing"))
    if body.interventions and body.to != "intervening":
        errors.append(
            ("interventions", "干预措施在转入干预时填写", "Interventions go with `intervening`")
        )
    if errors:
        raise ValidationFailed(errors=errors)
    if incident.status == "draft":
        raise TransitionRefused(
            "草稿须先完成", "Complete the draft first", extra={"from": "draft", "to": body.to}
        )
    await move(session, ctx, incident, body.to, note=body.note, outcome=body.outcome)
    if body.interventions:
        recorded = [
            i.model_dump(mode="json", exclude_none=True)
            | {"recorded_at": ctx.now.isoformat(), "recorded_by": ctx.actor.name}
            for i in body.interventions
        ]
        for index, intervention in enumerate(recorded):
            if intervention["kind"] == "protection_centre_placement":
                await hooks.on_centre_placement(session, ctx, incident, intervention, index)
        incident.interventions = [*incident.interventions, *recorded]
        await session.flush()
    return incident


# -- notifications ------------------------------------------------------------------------------


async def list_notifications(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    unread: bool | None,
    limit: int,
    cursor: str | None,
) -> Page[NotificationOut]:
    """The caller's notifications (escalations), oldest first."""
    stmt = repo.notifications_stmt(ctx.actor.id, unread)
    keys = [Notification.created_at, Notification.id]
    return await page_of(session, stmt, keys, limit, cursor, NotificationOut.model_validate)


async def mark_notification_read(
    session: AsyncSession, ctx: RequestContext, notification_id: uuid.UUID
) -> NotificationOut:
    """Read once: the first reading is kept (and audited); repeating it changes nothing."""
    note = known(await repo.get_notification(session, ctx.actor.id, notification_id), NotFound)
    if note.read_at is None:
        note.read_at = ctx.now
        audit.record(session, ctx, "notification.read", "notification", note.id)
        await session.flush()
    return NotificationOut.model_validate(note)


# -- escalation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Escalated:
    referrals: list[uuid.UUID]
    drafts: list[uuid.UUID]


async def escalate(session: AsyncSession, now: datetime) -> Escalated:
    """越期升级: unacknowledged referrals past their deadline and drafts left over an hour.

    Each is flagged once (a conditional UPDATE … WHERE escalated_at IS NULL) and notified to
    every active district admin and leader. Safe with any number of workers running it at once;
    a run that was missed (the service was down) is made good by the next one.
    """
    refs = await repo.escalate_overdue_referrals(session, now)
    incident_ids = sorted({r[1] for r in refs if r[1] is not None})
    await repo.flag_incidents(session, incident_ids, now, "ack_overdue")
    drafts = await repo.escalate_stale_drafts(session, now, DRAFT_COMPLETION)
    staff = await repo.district_staff_ids(session)
    notes: list[Notification] = []
    for ref_id, incident_id, agency, urgent in refs:
        # A screening record's referral (no incident) shares the deadline and the escalation.
        what = "转介" if incident_id is not None else "监测摸排转介"
        title = f"{what}至 {agency} 超时未签收{'（紧急）' if urgent else ''}"
        notes += [
            Notification(
                recipient_id=uid,
                kind="referral_overdue"
                if incident_id is not None
                else "screening_referral_overdue",
                incident_id=incident_id,
                referral_id=ref_id,
                title=title,
                created_at=now,
            )
            for uid in staff
        ]
        audit.record(
            session,
            None,
            "referral.escalate",
            "referral",
            ref_id,
            {"agency": agency, "urgent": urgent},
        )
    for incident_id in drafts:
        notes += [
            Notification(
                recipient_id=uid,
                kind="draft_overdue",
                incident_id=incident_id,
                title="强制报告草稿超过一小时未完成",
                created_at=now,
            )
            for uid in staff
        ]
        audit.record(
            session, None, "incident.escalate", "incident", incident_id, {"reason": "draft"}
        )
    session.add_all(notes)
    await session.flush()
    return Escalated(referrals=[r[0] for r in refs], drafts=drafts)


async def _locked(session: AsyncSession, principal: Principal, incident_id: uuid.UUID) -> Incident:
    """The incident, locked for a change, if the caller may see it; else 404."""
    return known(
        await repo.get_visible(session, principal, incident_id, lock=True), IncidentNotFound
    )


def _audit_created(
    session: AsyncSession, ctx: RequestContext, incident: Incident, *, draft: bool, **origin: str
) -> None:
    """The audit of a new report: draft or not, urgent, its child, the record it came from."""
    detail = {"draft": draft, "urgent": incident.urgent, "child_id": str(incident.child_id)}
    audit.record(session, ctx, "incident.create", "incident", incident.id, detail | origin)
