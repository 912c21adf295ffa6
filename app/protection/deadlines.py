"""Deadlines of the centre (rules we set, parameters in Settings): the police identity check
within PROTECTION_IDENTITY_CHECK_HOURS of admission, a care plan within
PROTECTION_CARE_PLAN_HOURS, the temporary guardianship reviewed every PROTECTION_REVIEW_DAYS.

The open intakes are few (the centre's beds), so each check reads them all and applies the pure
rule (`rules.pending_deadlines`). A missed deadline is escalated to the district once — per
intake, deadline and due time (a unique row claimed with INSERT … ON CONFLICT DO NOTHING) —
by the periodic job `protection.escalate`, like an incident's overdue referral: a notification
to every active district admin and leader, and an audit entry.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.config import Settings
from app.kit import audit
from app.kit.context import RequestContext
from app.models import Notification, ProtectionIntake
from app.protection import repository as repo
from app.protection.rules import Due, pending_deadlines
from app.protection.schemas import DeadlineOut

LABELS = {
    "identity_check": ("公安身份核查", "police identity check"),
    "care_plan": ("照护计划", "care plan"),
    "guardianship_review": ("临时监护评估", "guardianship review"),
}


@dataclass(frozen=True)
class Pending:
    intake: ProtectionIntake
    due: Due


async def pending(
    session: AsyncSession, settings: Settings, principal: Principal | None = None
) -> list[Pending]:
    """Every deadline the open intakes (of the caller's district) still have to meet, soonest
    first."""
    intakes = await repo.open_intakes(session, repo.of_district(principal))
    checked = await repo.identity_checked(session, [i.id for i in intakes])
    out = [
        Pending(i, d)
        for i in intakes
        for d in pending_deadlines(
            admitted_at=i.admitted_at,
            identity_checked=i.id in checked,
            care_plan_at=i.care_plan_at,
            last_reviewed_on=i.last_reviewed_on,
            identity_hours=settings.protection_identity_check_hours,
            care_plan_hours=settings.protection_care_plan_hours,
            review_days=settings.protection_review_days,
        )
    ]
    return sorted(out, key=lambda p: (p.due.due_at, str(p.intake.id), p.due.deadline))


async def list_deadlines(
    session: AsyncSession, ctx: RequestContext, *, missed: bool | None
) -> list[DeadlineOut]:
    """The open intakes' deadlines (`missed=true`: only those past due), with their escalation."""
    rows = await pending(session, ctx.settings, ctx.principal)
    if missed is not None:
        rows = [p for p in rows if (p.due.due_at < ctx.now) == missed]
    escalated = await repo.escalations(session, list({p.intake.id for p in rows}))
    audit.record(
        session, ctx, "protection_deadline.list", "protection_intake", None,
        {"missed": missed, "count": len(rows)},
    )  # fmt: skip
    return [
        DeadlineOut(
            intake_id=p.intake.id,
            kind=p.intake.kind,
            deadline=p.due.deadline,
            due_at=p.due.due_at,
            missed=p.due.due_at < ctx.now,
            escalated_at=escalated.get((p.intake.id, p.due.deadline, p.due.due_at)),
        )
        for p in rows
    ]


async def escalate(session: AsyncSession, settings: Settings, now: datetime) -> list[uuid.UUID]:
    """越期升级: each missed deadline not yet escalated is flagged and notified to the district.

    Safe with several workers at once (the claim is one conditional INSERT); a run that was
    missed is made good by the next one. Returns the intakes escalated this run.
    """
    missed = [p for p in await pending(session, settings) if p.due.due_at < now]
    staff: dict[str, list[uuid.UUID]] = {}
    escalated: list[uuid.UUID] = []
    for p in missed:
        if not await repo.claim_escalation(session, p.intake.id, p.due.deadline, p.due.due_at, now):
            continue
        district = p.intake.district_code
        if district not in staff:  # the intake's own district is told, no other
            staff[district] = await repo.district_staff_ids(session, district)
        zh, _ = LABELS[p.due.deadline]
        title = f"保护中心受理 {str(p.intake.id)[:8]} 的{zh}已超期"
        session.add_all(
            Notification(
                recipient_id=uid,
                kind="protection_overdue",
                title=title,
                created_at=now,
            )
            for uid in staff[district]
        )
        audit.record(
            session, None, "protection_intake.escalate", "protection_intake", p.intake.id,
            {"deadline": p.due.deadline, "due_at": p.due.due_at.isoformat()},
        )  # fmt: skip
        escalated.append(p.intake.id)
    await session.flush()
    return escalated
