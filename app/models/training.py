"""培训: the yearly training cascade of the child workers (district sessions, then each town's
session for its village directors) and who attended them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Final, Literal, get_args

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, area_ref, belongs_to, check_one_of, created_now, refers_to

TrainingLevel = Literal["district", "town"]
AttendanceStatus = Literal["present", "absent", "excused"]
TrainingTopic = Literal[
    "mandatory_reporting",
    "policy_and_law",
    "home_visits",
    "child_safety",
    "psychological_support",
    "ledger_and_system",
    "case_work",
    "other",
]
TRAINING_LEVELS: Final = get_args(TrainingLevel)
ATTENDANCE_STATUSES: Final = get_args(AttendanceStatus)
TRAINING_TOPICS: Final = get_args(TrainingTopic)
# How an attendance was recorded: by the organiser, or by the trainee with the session's code.
ATTENDANCE_VIA = ("organiser", "code")


class TrainingSession(Base):
    """A training session 培训 (district level, or a town's session for its village directors)."""

    __tablename__ = "training_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    # The district's code for a district session, the town's for a town session.
    area_code: Mapped[str] = area_ref()
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    held_on: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(4, 1), nullable=False)
    topics: Mapped[list[str]] = mapped_column(sa.ARRAY(sa.String(32)), nullable=False)
    trainer: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    place: Mapped[str | None] = mapped_column(sa.String(300))
    link: Mapped[str | None] = mapped_column(sa.String(500))
    materials: Mapped[list[str]] = mapped_column(sa.ARRAY(sa.String(500)), nullable=False)
    # The code attendees scan from their phones (shown to the organisers only).
    code: Mapped[str] = mapped_column(sa.String(16), nullable=False, unique=True)
    organiser_id: Mapped[uuid.UUID] = refers_to("users.id")
    organiser_name: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    created_at: Mapped[datetime] = created_now()

    __table_args__ = (
        check_one_of("level", TRAINING_LEVELS),
        sa.CheckConstraint("hours > 0", name="hours_positive"),
    )


class TrainingAttendance(Base):
    """One staff user's attendance of one session: present, absent or excused."""

    __tablename__ = "training_attendance"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    session_id: Mapped[uuid.UUID] = refers_to("training_sessions.id")
    user_id: Mapped[uuid.UUID] = belongs_to("users.id")
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    # organiser (recorded by the organiser) | code (the attendee scanned the session code)
    recorded_via: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    recorded_by: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    note: Mapped[str | None] = mapped_column(sa.Text)
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("session_id", "user_id"),
        check_one_of("status", ATTENDANCE_STATUSES),
        check_one_of("recorded_via", ATTENDANCE_VIA),
        sa.Index("ix_training_attendance_session", "session_id"),
    )
