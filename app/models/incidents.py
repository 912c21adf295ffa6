"""强制报告: mandatory-report incidents, their referrals to partner agencies, webhook delivery.

`visit_id` links a draft opened from a visit with suspected infringement.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY as PG_ARRAY
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.incidents.situations import SITUATION_CODES
from app.models.base import (
    Base,
    StatusStep,
    Timestamps,
    Versioned,
    belongs_to,
    check_one_of,
    created_now,
    encrypted,
    refers_to,
    serial_pk,
    updated_now,
    uuid_pk,
)

# The nine situations of the 2020 opinion: their codes and wording are app/incidents/situations.py.
INCIDENT_SITUATIONS = SITUATION_CODES
INCIDENT_STATUSES = ("draft", "reported", "acknowledged", "investigating", "intervening", "closed")
INCIDENT_OUTCOMES = ("substantiated", "unsubstantiated", "transferred")
REFERRAL_STATUSES = ("pending", "acknowledged", "in_progress", "completed", "declined")
DELIVERY_STATUSES = ("pending", "delivered", "failed")


class Incident(Timestamps, Versioned, Base):
    """强制报告事件: a suspected infringement of a minor, reported by staff."""

    __tablename__ = "incidents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    # The child: on the ledger (child_id), or the known facts of a minor not on it.
    child_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("children.id"), index=True)
    child_name: Mapped[str | None] = mapped_column(sa.String(100))
    child_gender: Mapped[str | None] = mapped_column(sa.String(6))
    child_birth_date: Mapped[date | None] = mapped_column(sa.Date)
    child_age: Mapped[int | None] = mapped_column(sa.SmallInteger)
    child_id_number_enc: Mapped[bytes | None] = encrypted(nullable=True)
    child_id_number_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    child_id_number_masked: Mapped[str | None] = mapped_column(sa.String(18))
    # The area the incident belongs to (the child's village, else the reporter's area).
    area_code: Mapped[str | None] = mapped_column(sa.String(12), index=True)
    kinds: Mapped[list[str]] = mapped_column(sa.ARRAY(sa.String(32)), nullable=False, default=list)
    # The statutory situations (at least one once reported); `situations_inferred`: set by the
    # migration from the kinds of a report filed before situations existed, not by its reporter.
    situations: Mapped[list[str]] = mapped_column(
        PG_ARRAY(sa.String(48)), nullable=False, default=list, server_default=sa.text("'{}'")
    )
    situations_inferred: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, server_default=sa.text("false")
    )
    description: Mapped[str | None] = mapped_column(sa.Text)
    discovered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    location: Mapped[str | None] = mapped_column(sa.Text)
    immediate_danger: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    urgent: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("visits.id"), index=True)
    reporter_id: Mapped[uuid.UUID] = belongs_to("users.id")
    reporter_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    drafted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    reported_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    escalated_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    escalation_reason: Mapped[str | None] = mapped_column(sa.String(32))
    interventions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)

    # eager_defaults: the server-set timestamps come back in the INSERT/UPDATE's RETURNING.
    __mapper_args__ = {"version_id_col": Versioned.version, "eager_defaults": True}  # noqa: RUF012
    __table_args__ = (
        check_one_of("status", INCIDENT_STATUSES),
        check_one_of("outcome", INCIDENT_OUTCOMES, nullable=True),
        sa.CheckConstraint("status <> 'closed' OR outcome IS NOT NULL", name="closed_has_outcome"),
        sa.CheckConstraint(
            "situations <@ ARRAY["
            + ",".join(f"'{c}'" for c in INCIDENT_SITUATIONS)
            + "]::varchar[]",
            name="situations_known",
        ),
        sa.CheckConstraint(
            "status = 'draft' OR cardinality(situations) > 0", name="reported_has_situation"
        ),
        sa.Index("ix_incidents_situations", "situations", postgresql_using="gin"),
        sa.Index("ix_incidents_created", "created_at", "id"),
        sa.Index(
            "ix_incidents_open_drafts",
            "drafted_at",
            postgresql_where=sa.text("status = 'draft' AND escalated_at IS NULL"),
        ),
    )


class IncidentStep(StatusStep, Base):
    """One move of an incident's status: who, when, a note."""

    __tablename__ = "incident_steps"

    id: Mapped[int] = serial_pk()
    incident_id: Mapped[uuid.UUID] = belongs_to("incidents.id")
    actor_kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    actor_id: Mapped[str | None] = mapped_column(sa.String(64))
    actor_name: Mapped[str | None] = mapped_column(sa.String(100))
    note: Mapped[str | None] = mapped_column(sa.Text)
    outcome: Mapped[str | None] = mapped_column(sa.String(16))


class Referral(Timestamps, Base):
    """转介: an incident — or a screening record's finding (监测摸排) — addressed to a partner
    agency, whose receipt is tracked against a deadline. Exactly one of `incident_id`,
    `screening_record_id` is set; a screening referral names its `finding` and ends with the
    agency's `outcome`."""

    __tablename__ = "referrals"

    id: Mapped[uuid.UUID] = uuid_pk()
    incident_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    screening_record_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("screening_records.id"), index=True
    )
    finding: Mapped[str | None] = mapped_column(sa.String(24))
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    outcome_note: Mapped[str | None] = mapped_column(sa.Text)
    resolved_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    agency: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="pending")
    urgent: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    referred_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    ack_due_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    acknowledged_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(sa.String(100))
    agency_case_number: Mapped[str | None] = mapped_column(sa.String(64))
    escalated_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(sa.String(100))
    note: Mapped[str | None] = mapped_column(sa.Text)

    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012
    __table_args__ = (
        sa.CheckConstraint(
            "agency IN ('police','health','education','disabled_federation','women_federation')",
            name="agency",
        ),
        check_one_of("status", REFERRAL_STATUSES),
        sa.CheckConstraint(
            "(incident_id IS NULL) <> (screening_record_id IS NULL)", name="one_subject"
        ),
        sa.CheckConstraint(
            "(screening_record_id IS NULL) = (finding IS NULL)", name="screening_has_finding"
        ),
        sa.CheckConstraint(
            "finding IS NULL OR finding IN ('out_of_school','uninsured','disability')",
            name="finding",
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('enrolled','insured','assessed','not_found',"
            "'moved_away','other')",
            name="outcome",
        ),
        sa.Index("uq_referrals_incident_agency", "incident_id", "agency", unique=True),
        # One open referral per screening record and finding (no double referral).
        sa.Index(
            "uq_referrals_open_screening_finding",
            "screening_record_id",
            "finding",
            unique=True,
            postgresql_where=sa.text(
                "screening_record_id IS NOT NULL AND status NOT IN ('completed','declined')"
            ),
        ),
        sa.Index("ix_referrals_agency_created", "agency", "created_at", "id"),
        sa.Index(
            "ix_referrals_ack_due",
            "ack_due_at",
            postgresql_where=sa.text("status = 'pending' AND escalated_at IS NULL"),
        ),
    )


class ReferralUpdate(Base):
    """A partner agency's note on a referral: a status, a note, its own case number."""

    __tablename__ = "referral_updates"

    id: Mapped[int] = serial_pk()
    referral_id: Mapped[uuid.UUID] = belongs_to("referrals.id")
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    agency_client_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("agency_clients.id"))
    author: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    status: Mapped[str | None] = mapped_column(sa.String(16))
    note: Mapped[str | None] = mapped_column(sa.Text)
    case_number: Mapped[str | None] = mapped_column(sa.String(64))


class Notification(Base):
    """A message to one district staff member (escalations)."""

    __tablename__ = "notifications"

    id: Mapped[uuid.UUID] = uuid_pk()
    recipient_id: Mapped[uuid.UUID] = refers_to("users.id")
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    incident_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("incidents.id"))
    referral_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("referrals.id"))
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (sa.Index("ix_notifications_recipient", "recipient_id", "created_at", "id"),)


class WebhookDelivery(Base):
    """One event for one agency client's webhook (the outbox row); its id is the delivery id."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[uuid.UUID] = uuid_pk()
    agency_client_id: Mapped[uuid.UUID] = belongs_to("agency_clients.id")
    referral_id: Mapped[uuid.UUID] = belongs_to("referrals.id")
    event: Mapped[str] = mapped_column(sa.String(48), nullable=False)
    payload_enc: Mapped[bytes] = encrypted()
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    max_attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    next_attempt_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_status_code: Mapped[int | None] = mapped_column(sa.Integer)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    delivered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = created_now()
    updated_at: Mapped[datetime] = updated_now()

    __table_args__ = (
        check_one_of("status", DELIVERY_STATUSES),
        sa.Index("ix_webhook_deliveries_status", "status", "created_at", "id"),
    )


class WebhookAttempt(Base):
    """Every attempt at a delivery: when, the answer (or the error), how long it took."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = serial_pk()
    delivery_id: Mapped[uuid.UUID] = belongs_to("webhook_deliveries.id")
    attempt: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    url: Mapped[str] = mapped_column(sa.Text, nullable=False)
    status_code: Mapped[int | None] = mapped_column(sa.Integer)
    error: Mapped[str | None] = mapped_column(sa.Text)
    duration_ms: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    worker_id: Mapped[str | None] = mapped_column(sa.String(100))
