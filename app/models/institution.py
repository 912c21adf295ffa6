"""养治教康: the welfare institute's care of its residents — care plans, care records,
counselling sessions, activities, volunteers and their tutoring sessions.

The residents are the ledger's children placed in the institute (`children.placement =
'institution'`); nothing here copies them. Counselling notes are AES-GCM ciphertext
(`confidential_notes_enc`, context `counselling.notes`): only counsellors and the district admin
read them, each read audited.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import (
    Base,
    RecordCheckColumns,
    Timestamps,
    Versioned,
    area_ref,
    created_now,
    encrypted,
    refers_to,
    uuid_pk,
)

CARE_DOMAINS = ("care", "treatment", "education", "rehabilitation")
COUNSELLING_MODES = ("one_to_one", "group")
COUNSELLING_RISKS = ("self_harm", "abuse_disclosure", "other")
INSTITUTE_ACTIVITY_KINDS = ("outing", "class", "festival_visit", "other")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ",".join(f"'{v}'" for v in values) + ")"


class CarePlan(Timestamps, Versioned, Base):
    """个案照护计划: one resident's plan for one year — goals and planned services in the four
    domains 养治教康 — and the day it was last reviewed."""

    __tablename__ = "care_plans"

    id: Mapped[uuid.UUID] = uuid_pk()
    child_id: Mapped[uuid.UUID] = refers_to("children.id")
    year: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    # {"care": {"goals": [...], "services": [...]}, "treatment": ..., ...}
    domains: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    note: Mapped[str | None] = mapped_column(sa.Text)
    reviewed_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    updated_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)

    __mapper_args__ = {"version_id_col": Versioned.version}  # noqa: RUF012
    __table_args__ = (sa.UniqueConstraint("child_id", "year"),)


class CareRecord(Base):
    """照护记录: one piece of care given to one resident (a medical appointment, a
    rehabilitation session with its minutes, a school meeting ...), created once by client id."""

    __tablename__ = "care_records"
    # The district whose institute keeps the row (its staff, counsellors and offices alone read it).
    district_code: Mapped[str] = area_ref()

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    child_id: Mapped[uuid.UUID] = refers_to("children.id")
    domain: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    recorded_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    minutes: Mapped[int | None] = mapped_column(sa.Integer)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    staff_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    staff_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    body_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    created_at: Mapped[datetime] = created_now()

    __table_args__ = (
        sa.CheckConstraint(_in("domain", CARE_DOMAINS), name="domain"),
        sa.Index("ix_care_records_child_recorded", "child_id", "recorded_on"),
        sa.Index("ix_care_records_recorded", "recorded_on"),
    )


class CounsellingSession(Base):
    """心理咨询: a one-to-one or group session of a contracted counsellor with residents.

    `summary` is for the institute's staff; the confidential notes are ciphertext, read only by
    counsellors and the district admin. A disclosure of abuse opens a draft mandatory report per
    disclosing child (`incident_ids`)."""

    __tablename__ = "counselling_sessions"
    # The district whose institute keeps the row (its staff, counsellors and offices alone read it).
    district_code: Mapped[str] = area_ref()

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    mode: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    counsellor_id: Mapped[uuid.UUID] = refers_to("users.id")
    counsellor_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    child_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(sa.Uuid), nullable=False)
    held_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    minutes: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    topics: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)
    summary: Mapped[str] = mapped_column(sa.Text, nullable=False)
    confidential_notes_enc: Mapped[bytes | None] = encrypted(nullable=True)
    risk: Mapped[str | None] = mapped_column(sa.String(20))
    risk_child_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(sa.Uuid), nullable=False, default=list
    )
    incident_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(sa.Uuid), nullable=False, default=list
    )
    recorded_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
    body_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    created_at: Mapped[datetime] = created_now()

    __table_args__ = (
        sa.CheckConstraint(_in("mode", COUNSELLING_MODES), name="mode"),
        sa.CheckConstraint(f"risk IS NULL OR {_in('risk', COUNSELLING_RISKS)}", name="risk"),
        sa.Index("ix_counselling_sessions_held", "held_on", "id"),
        sa.Index("ix_counselling_sessions_children", "child_ids", postgresql_using="gin"),
    )


class InstituteActivity(Base):
    """集体活动: an outing, a class, a festival visit — with a partner organisation, the
    residents who took part and photos by reference."""

    __tablename__ = "institute_activities"
    # The district whose institute keeps the row (its staff, counsellors and offices alone read it).
    district_code: Mapped[str] = area_ref()

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    partner_organisation: Mapped[str | None] = mapped_column(sa.String(200))
    held_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    child_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(sa.Uuid), nullable=False)
    volunteer_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(sa.Uuid), nullable=False, default=list
    )
    photos: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)
    note: Mapped[str | None] = mapped_column(sa.Text)
    recorded_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
    body_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    created_at: Mapped[datetime] = created_now()

    __table_args__ = (
        sa.CheckConstraint(_in("kind", INSTITUTE_ACTIVITY_KINDS), name="kind"),
        sa.Index("ix_institute_activities_held", "held_on", "id"),
    )


class Volunteer(Timestamps, Versioned, RecordCheckColumns, Base):
    """志愿者: a person who works with the residents without logging in (a tutor of the youth
    volunteer centre, a university association's science teacher), with the art. 62 query."""

    __tablename__ = "volunteers"
    # The district whose institute keeps the row (its staff, counsellors and offices alone read it).
    district_code: Mapped[str] = area_ref()

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    organisation: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    created_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)

    __mapper_args__ = {"version_id_col": Versioned.version}  # noqa: RUF012
    __table_args__ = (
        sa.CheckConstraint(
            "(record_check_queried_on IS NULL) = (record_check_result IS NULL) AND "
            "(record_check_queried_on IS NULL) = (record_check_reference IS NULL)",
            name="record_check_whole",
        ),
        sa.CheckConstraint(
            "record_check_result IS NULL OR record_check_result IN ('clear','record_found')",
            name="record_check_result",
        ),
    )


class TutoringSession(Base):
    """志愿辅导: volunteers tutoring residents (weekend homework help, science classes)."""

    __tablename__ = "tutoring_sessions"
    # The district whose institute keeps the row (its staff, counsellors and offices alone read it).
    district_code: Mapped[str] = area_ref()

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    volunteer_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(sa.Uuid), nullable=False)
    child_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(sa.Uuid), nullable=False)
    held_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    minutes: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    subject: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    recorded_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
    body_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    created_at: Mapped[datetime] = created_now()

    __table_args__ = (sa.Index("ix_tutoring_sessions_held", "held_on", "id"),)
