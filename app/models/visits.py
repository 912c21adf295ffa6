"""巡视探访: monthly visits, the follow-ups of the difficulties they find, quality flags, and the
change log the phone's sync reads.

The change log (`sync_changes`) is written by database triggers (see the migration), never by
application code, so that every writer of `children`, `visits` and `follow_ups` feeds it in its
own transaction: the ledger's API, the demo loaders, a bulk load.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import (
    Base,
    Timestamps,
    Versioned,
    check_one_of,
    created_now,
    refers_to,
    serial_pk,
    uuid_pk,
)

VISIT_MODES = ("home", "phone", "school", "institution")
DIFFICULTY_KINDS = ("living", "medical", "education", "guardianship", "psychological", "other")
FOLLOW_UP_STATUSES = ("open", "in_progress", "resolved", "referred")
FLAG_KINDS = ("burst", "copied_notes", "far_location")


class Visit(Timestamps, Base):
    """巡视探访记录: one visit of one child, created once from the phone with a client UUID."""

    __tablename__ = "visits"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    child_id: Mapped[uuid.UUID] = refers_to("children.id")
    visited_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    # The district month (Asia/Shanghai) of visited_at, first day: what coverage counts by.
    visit_month: Mapped[date] = mapped_column(sa.Date, nullable=False)
    mode: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    findings: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    difficulties: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    suspected_infringement: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    # md5 of the whitespace-normalised notes: finds notes copied across children.
    notes_hash: Mapped[str | None] = mapped_column(sa.String(32))
    lat: Mapped[float | None] = mapped_column(sa.Float)
    lon: Mapped[float | None] = mapped_column(sa.Float)
    photos: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)
    # The child's village when the visit arrived (institution children: NULL).
    village_code: Mapped[str | None] = mapped_column(sa.String(12))
    visitor_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    visitor_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    # SHA-256 of the canonical request body: the same id with another body is a conflict.
    body_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    # Set by the incidents domain when the mandatory report is opened.
    incident_id: Mapped[uuid.UUID | None] = mapped_column()

    __table_args__ = (
        check_one_of("mode", VISIT_MODES),
        sa.Index("ix_visits_child_visited", "child_id", "visited_at"),
        sa.Index("ix_visits_month_child", "visit_month", "child_id"),
        sa.Index("ix_visits_updated", "updated_at", "id"),
        sa.Index("ix_visits_visitor_visited", "visitor_id", "visited_at"),
        sa.Index(
            "ix_visits_notes_hash",
            "notes_hash",
            postgresql_where=sa.text("notes_hash IS NOT NULL"),
        ),
        sa.Index(
            "ix_visits_suspected",
            "created_at",
            postgresql_where=sa.text("suspected_infringement"),
        ),
    )


class FollowUp(Timestamps, Versioned, Base):
    """困难跟进: a difficulty found on a visit, to be solved by the child's town (or the district)."""

    __tablename__ = "follow_ups"

    id: Mapped[uuid.UUID] = uuid_pk()
    visit_id: Mapped[uuid.UUID] = refers_to("visits.id")
    child_id: Mapped[uuid.UUID] = refers_to("children.id")
    # The town that must act; NULL for a child of the institute (the district acts).
    town_code: Mapped[str | None] = mapped_column(sa.String(12))
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="open")
    due_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    resolution: Mapped[str | None] = mapped_column(sa.Text)
    referred_to: Mapped[str | None] = mapped_column(sa.String(200))
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)

    __mapper_args__ = {"version_id_col": Versioned.version}  # noqa: RUF012
    __table_args__ = (
        check_one_of("status", FOLLOW_UP_STATUSES),
        check_one_of("kind", DIFFICULTY_KINDS),
        sa.Index("ix_follow_ups_child", "child_id"),
        sa.Index("ix_follow_ups_visit", "visit_id"),
        sa.Index(
            "ix_follow_ups_open_due",
            "due_on",
            postgresql_where=sa.text("status IN ('open','in_progress')"),
        ),
        sa.Index("ix_follow_ups_town_status", "town_code", "status"),
    )


class VisitFlag(Base):
    """探访质量提示: a visit that looks implausible, computed when it arrives."""

    __tablename__ = "visit_flags"

    id: Mapped[int] = serial_pk()
    visit_id: Mapped[uuid.UUID] = refers_to("visits.id")
    child_id: Mapped[uuid.UUID] = refers_to("children.id")
    visitor_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    created_at: Mapped[datetime] = created_now()

    __table_args__ = (
        check_one_of("kind", FLAG_KINDS),
        sa.Index("uq_visit_flags_visit_kind", "visit_id", "kind", unique=True),
    )


class AreaLocation(Base):
    """A village's centroid (WGS-84), when known: the far-location flag compares visits with it."""

    __tablename__ = "area_locations"

    code: Mapped[str] = mapped_column(sa.String(12), sa.ForeignKey("areas.code"), primary_key=True)
    lat: Mapped[float] = mapped_column(sa.Float, nullable=False)
    lon: Mapped[float] = mapped_column(sa.Float, nullable=False)


class SyncChange(Base):
    """The change log behind GET /sync: one row per write of a child, a visit or a follow-up.

    Written by triggers. `xid` is the writing transaction's id (`pg_current_xact_id()`), which
    the sync cursor compares with a snapshot's xmin; `area_old`/`area_new` are the child's
    village before and after (NULL = placed in the institute), so that a caller whose
    jurisdiction the child left is told (a tombstone).
    """

    __tablename__ = "sync_changes"

    seq: Mapped[int] = serial_pk()
    xid: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    child_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    entity: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    area_old: Mapped[str | None] = mapped_column(sa.String(12))
    area_new: Mapped[str | None] = mapped_column(sa.String(12))
    at: Mapped[datetime] = created_now()

    __table_args__ = (sa.Index("ix_sync_changes_xid", "xid"),)


class SyncState(Base):
    """The change log's one row of state: changes of transactions below `pruned_below_xid` may
    have been pruned, so a cursor below it cannot be answered with changes (a full sync)."""

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    pruned_below_xid: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    pruned_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (sa.CheckConstraint("id = 1", name="one_row"),)
