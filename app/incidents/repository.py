"""SQL of the incidents domain: who sees which incident, steps, referrals, escalation, notices."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    LargeBinary,
    Select,
    String,
    Uuid,
    bindparam,
    false,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from app.auth.jurisdiction import area_clause
from app.auth.principal import Principal
from app.auth.roles import DECIDERS, Role
from app.children.access import readable_child as readable_child
from app.kit.rows import one_where
from app.models import (
    Child,
    Incident,
    IncidentStep,
    Notification,
    Referral,
    ReferralUpdate,
    User,
)
from app.webhooks import outbox
from app.webhooks.outbox import PreparedDelivery
from app.webhooks.repository import DELIVER_JOB, DELIVER_JOB_ATTEMPTS
from app.worker import queue

FULL_READERS = frozenset({Role.DISTRICT_ADMIN, Role.AUDITOR})

# A new report in one statement: the incident, its first step, its referral (none for a
# draft), the referral's webhook deliveries and their jobs. A filed report is the hot write of
# this domain; the ORM's unit of work would send four INSERTs and the queue a fifth, each a
# round trip and a statement to prepare. Foreign keys are checked at the end of the statement,
# when every row is there.
_INSERT_REPORT = text(
    """
WITH incident AS (
    INSERT INTO incidents (id, status, child_id, child_name, child_gender, child_birth_date,
        child_age, child_id_number_enc, child_id_number_hash, child_id_number_masked,
        area_code, situations, situations_inferred, kinds, description, discovered_at,
        location, immediate_danger, urgent, visit_id, reporter_id, reporter_name, drafted_at,
        reported_at, interventions, version)
    VALUES (:id, :status, :child_id, :child_name, :child_gender, :child_birth_date,
        :child_age, :child_id_number_enc, :child_id_number_hash, :child_id_number_masked,
        :area_code, :situations, :situations_inferred, :kinds, :description, :discovered_at,
        :location, :immediate_danger, :urgent, :visit_id, :reporter_id, :reporter_name,
        :drafted_at, :reported_at, '[]'::jsonb, 1)
    RETURNING created_at, updated_at
),
step AS (
    INSERT INTO incident_steps (incident_id, to_status, at, actor_kind, actor_id, actor_name)
    VALUES (:id, :status, :at, :actor_kind, :actor_id, :reporter_name)
),
referral AS (
    INSERT INTO referrals (id, incident_id, agency, status, urgent, referred_at, ack_due_at,
        created_by)
    SELECT CAST(:referral_id AS uuid), CAST(:id AS uuid), CAST(:agency AS text), 'pending',
        CAST(:urgent AS boolean), CAST(:at AS timestamptz), CAST(:ack_due_at AS timestamptz),
        CAST(:reporter_name AS text)
    WHERE CAST(:refer AS boolean)
),
delivery AS (
    INSERT INTO webhook_deliveries (id, agency_client_id, referral_id, event, payload_enc,
        status, attempts, max_attempts)
    SELECT d.id, d.client_id, CAST(:referral_id AS uuid), CAST(:event AS text), d.payload,
        'pending', 0, CAST(:delivery_attempts AS integer)
    FROM unnest(CAST(:delivery_ids AS uuid[]), CAST(:client_ids AS uuid[]),
        CAST(:payloads AS bytea[])) AS d(id, client_id, payload)
),
job AS (
    INSERT INTO jobs (kind, payload, status, attempts, max_attempts)
    SELECT CAST(:job_kind AS text), jsonb_build_object('delivery_id', d.id::text), 'queued', 0,
        CAST(:job_attempts AS integer)
    FROM unnest(CAST(:delivery_ids AS uuid[])) AS d(id)
)
SELECT created_at, updated_at FROM incident
"""
).bindparams(
    bindparam("kinds", type_=ARRAY(String)),
    bindparam("situations", type_=ARRAY(String)),
    bindparam("child_id_number_enc", type_=LargeBinary),
    bindparam("delivery_ids", type_=ARRAY(Uuid)),
    bindparam("client_ids", type_=ARRAY(Uuid)),
    bindparam("payloads", type_=ARRAY(LargeBinary)),
)


def sees_full(principal: Principal, incident: Incident) -> bool:
    """Reporter, district admins and the auditor see the whole incident."""
    return principal.kind == "user" and (
        principal.role in FULL_READERS or incident.reporter_id == principal.id
    )


def visible(principal: Principal) -> ColumnElement[bool]:
    """Which incidents exist for this caller (full or, for town supervisors, a summary)."""
    if principal.kind != "user":
        return false()
    if principal.role in FULL_READERS:
        # their own district's: an incident's area is its child's village or its reporter's area
        return area_clause(principal, Incident.area_code)
    mine = Incident.reporter_id == principal.id
    if principal.role == Role.TOWN_SUPERVISOR:
        town = (Incident.status != "draft") & area_clause(principal, Incident.area_code)
        return or_(mine, town)
    return mine


async def get_visible(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID, *, lock: bool = False
) -> Incident | None:
    return await one_where(
        session, Incident, Incident.id == incident_id, visible(principal), lock=lock
    )


async def insert_report(
    session: AsyncSession,
    incident: Incident,
    step: IncidentStep,
    referral: Referral | None,
    deliveries: list[PreparedDelivery],
) -> None:
    """Write a new report (see `_INSERT_REPORT`); its server-set timestamps go on `incident`."""
    await session.flush()  # what the caller has pending first (a visit the draft points to)
    police = referral is not None
    params: dict[str, Any] = {
        c: getattr(incident, c)
        for c in (
            "id", "status", "child_id", "child_name", "child_gender", "child_birth_date",
            "child_age", "child_id_number_enc", "child_id_number_hash",
            "child_id_number_masked", "area_code", "situations", "situations_inferred",
            "kinds", "description", "discovered_at", "location", "immediate_danger", "urgent",
            "visit_id", "reporter_id", "reporter_name", "drafted_at", "reported_at",
        )
    }  # fmt: skip
    params |= {
        "at": step.at,
        "actor_kind": step.actor_kind,
        "actor_id": step.actor_id,
        "refer": police,
        "referral_id": referral.id if referral else None,
        "agency": referral.agency if referral else None,
        "ack_due_at": referral.ack_due_at if referral else None,
        "event": outbox.REFERRAL_CREATED,
        "delivery_attempts": outbox.POLICY.max_attempts,
        "delivery_ids": [d.id for d in deliveries],
        "client_ids": [d.agency_client_id for d in deliveries],
        "payloads": [d.payload_enc for d in deliveries],
        "job_kind": DELIVER_JOB,
        "job_attempts": DELIVER_JOB_ATTEMPTS,
    }
    row = (await session.execute(_INSERT_REPORT, params)).one()
    incident.created_at, incident.updated_at = row.created_at, row.updated_at
    incident.version = 1
    if referral is not None:
        referral.created_at = referral.updated_at = row.created_at
    if deliveries:
        queue.wake_after_commit(session)


async def child_of(session: AsyncSession, incident: Incident) -> Child | None:
    if incident.child_id is None:
        return None
    return await session.get(Child, incident.child_id)


def list_stmt(
    principal: Principal,
    *,
    status: str | None,
    escalated: bool | None,
    urgent: bool | None,
    child_id: uuid.UUID | None,
    updated_since: datetime | None,
    situation: str | None = None,
) -> Select[Any]:
    stmt = select(Incident).where(visible(principal))
    if status is not None:
        stmt = stmt.where(Incident.status == status)
    if situation is not None:
        stmt = stmt.where(Incident.situations.contains([situation]))
    if escalated is not None:
        stmt = stmt.where(
            Incident.escalated_at.is_not(None) if escalated else Incident.escalated_at.is_(None)
        )
    if urgent is not None:
        stmt = stmt.where(Incident.urgent.is_(urgent))
    if child_id is not None:
        stmt = stmt.where(Incident.child_id == child_id)
    if updated_since is not None:
        stmt = stmt.where(Incident.updated_at >= updated_since)
    return stmt


async def steps_of(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    return await _by_parent(session, IncidentStep.incident_id, ids, IncidentStep.id)


async def referrals_of(
    session: AsyncSession, ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Referral]]:
    return await _by_parent(session, Referral.incident_id, ids, Referral.referred_at, Referral.id)


async def updates_of(
    session: AsyncSession, referral_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[ReferralUpdate]]:
    order = (ReferralUpdate.at, ReferralUpdate.id)
    return await _by_parent(session, ReferralUpdate.referral_id, referral_ids, *order)


async def _by_parent(
    session: AsyncSession,
    parent: InstrumentedAttribute[uuid.UUID] | InstrumentedAttribute[uuid.UUID | None],
    ids: list[uuid.UUID],
    *order: InstrumentedAttribute[Any],
) -> dict[uuid.UUID, list[Any]]:
    """The rows whose `parent` column is one of `ids`, grouped by it, each group in `order`."""
    out: dict[uuid.UUID, list[Any]] = defaultdict(list)
    if not ids:
        return out
    stmt = select(parent.class_).where(parent.in_(ids)).order_by(parent, *order)
    for row in (await session.execute(stmt)).scalars():
        out[getattr(row, parent.key)].append(row)
    return out


async def children_by_id(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, Child]:
    if not ids:
        return {}
    rows = (await session.execute(select(Child).where(Child.id.in_(ids)))).scalars()
    return {c.id: c for c in rows}


async def referral_exists(session: AsyncSession, incident_id: uuid.UUID, agency: str) -> bool:
    stmt = select(Referral.id).where(Referral.incident_id == incident_id, Referral.agency == agency)
    return (await session.execute(stmt)).first() is not None


# -- escalation ---------------------------------------------------------------------------------


async def escalate_overdue_referrals(
    session: AsyncSession, now: datetime
) -> list[tuple[uuid.UUID, uuid.UUID | None, str, bool]]:
    """Flag every unacknowledged referral past its deadline, once: (id, incident, agency, urgent);
    the incident is None for a screening record's referral.

    A conditional UPDATE: a second worker running at the same moment waits on the row locks
    and then finds `escalated_at` set, so nothing is escalated twice and nothing is skipped.
    """
    stmt = (
        update(Referral)
        .where(
            Referral.status == "pending",
            Referral.escalated_at.is_(None),
            Referral.ack_due_at <= now,
        )
        .values(escalated_at=now)
        .returning(Referral.id, Referral.incident_id, Referral.agency, Referral.urgent)
    )
    return [(r[0], r[1], r[2], r[3]) for r in (await session.execute(stmt)).all()]


async def flag_incidents(
    session: AsyncSession, ids: list[uuid.UUID], now: datetime, reason: str
) -> None:
    if not ids:
        return
    await session.execute(
        update(Incident)
        .where(Incident.id.in_(ids), Incident.escalated_at.is_(None))
        .values(escalated_at=now, escalation_reason=reason, version=Incident.version + 1)
        .execution_options(synchronize_session=False)
    )


async def escalate_stale_drafts(
    session: AsyncSession, now: datetime, older_than: timedelta
) -> list[uuid.UUID]:
    stmt = (
        update(Incident)
        .where(
            Incident.status == "draft",
            Incident.escalated_at.is_(None),
            Incident.drafted_at <= now - older_than,
        )
        .values(escalated_at=now, escalation_reason="draft_overdue", version=Incident.version + 1)
        .returning(Incident.id)
        .execution_options(synchronize_session=False)
    )
    return list((await session.execute(stmt)).scalars().all())


async def district_staff_ids(session: AsyncSession) -> list[uuid.UUID]:
    stmt = select(User.id).where(User.role.in_(DECIDERS), User.is_active.is_(True))
    return list((await session.execute(stmt)).scalars().all())


def notifications_stmt(recipient_id: uuid.UUID, unread: bool | None) -> Select[Any]:
    stmt = select(Notification).where(Notification.recipient_id == recipient_id)
    if unread is True:
        stmt = stmt.where(Notification.read_at.is_(None))
    elif unread is False:
        stmt = stmt.where(Notification.read_at.is_not(None))
    return stmt


async def get_notification(
    session: AsyncSession, recipient_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification | None:
    stmt = select(Notification).where(
        Notification.id == notification_id, Notification.recipient_id == recipient_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def visit_child_id(session: AsyncSession, visit_id: uuid.UUID) -> uuid.UUID | None:
    """The child a visit is of (None: no such visit)."""
    from app.models import Visit

    return (
        await session.execute(select(Visit.child_id).where(Visit.id == visit_id))
    ).scalar_one_or_none()
