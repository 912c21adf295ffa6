"""困境儿童台账: the ledger's child records and their history."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.vocab import CATEGORIES as CATEGORIES
from app.kit.vocab import CHILD_SCHOOL_STAGES
from app.kit.vocab import PLACEMENTS as PLACEMENTS
from app.models.base import (
    Base,
    Timestamps,
    Versioned,
    belongs_to,
    check_one_of,
    created_now,
    encrypted,
    uuid_pk,
)

# The ledger's words come from the one vocabulary (app/kit/vocab.py).
SCHOOL_STAGES = CHILD_SCHOOL_STAGES
STATUSES = ("active", "continued_schooling", "revoked")
ON_LEDGER = ("active", "continued_schooling")
"""Statuses of a child still on the ledger: `continued_schooling` is an orphan or
de-facto-unsupported child who turned 18 in full-time schooling and stays until its normal end."""


class Child(Timestamps, Versioned, Base):
    """A child in difficulty on the ledger. The ID number is stored encrypted, with its HMAC."""

    __tablename__ = "children"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    id_number_enc: Mapped[bytes] = encrypted()
    id_number_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    id_number_masked: Mapped[str] = mapped_column(sa.String(18), nullable=False)
    gender: Mapped[str] = mapped_column(sa.String(6), nullable=False)
    birth_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    category: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    placement: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    village_code: Mapped[str | None] = mapped_column(
        sa.String(12), sa.ForeignKey("areas.code"), nullable=True, index=True
    )
    # The district the child belongs to (one deployment for a city): the district of its
    # village, set by a trigger whenever the village is (0022_district_isolation); an institute
    # child's is the district whose institute it lives in (set on creation, by default the first
    # district).
    district_code: Mapped[str] = mapped_column(
        sa.String(12),
        sa.ForeignKey("areas.code"),
        nullable=False,
        index=True,
        server_default=sa.FetchedValue(),
    )
    approved_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(24), nullable=False, default="active")
    revoked_on: Mapped[date | None] = mapped_column(sa.Date)
    revoke_reason: Mapped[str | None] = mapped_column(sa.String(32))
    revoke_note: Mapped[str | None] = mapped_column(sa.Text)
    parents: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    guardians: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    household_assistance: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="none")
    serious_illness: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    disability: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    school_stage: Mapped[str | None] = mapped_column(sa.String(24))
    school_name: Mapped[str | None] = mapped_column(sa.String(100))
    # The year the current schooling began, and (if known) the date it is expected to end; the
    # normal end of the schooling is derived from them (app/children/schooling.py).
    school_enrolment_year: Mapped[int | None] = mapped_column(sa.SmallInteger)
    school_expected_end_on: Mapped[date | None] = mapped_column(sa.Date)
    insurance: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    # Why the category needs review (rules.review_flags): flagged, never re-classified silently.
    review_flags: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, default=list, server_default=sa.text("'[]'::jsonb")
    )
    # The earliest day the category needs a new look (rules.reverify_on): a term's end, a
    # yearly review of an illness, a disability or lost contact, or the day it was flagged.
    reverify_on: Mapped[date | None] = mapped_column(sa.Date)
    created_by: Mapped[uuid.UUID | None] = mapped_column()

    __mapper_args__ = {"version_id_col": Versioned.version, "eager_defaults": True}  # noqa: RUF012
    __table_args__ = (
        check_one_of("category", CATEGORIES),
        check_one_of("placement", PLACEMENTS),
        check_one_of("status", STATUSES),
        sa.CheckConstraint(
            "placement = 'institution' OR village_code IS NOT NULL", name="dispersed_has_village"
        ),
        # One enrolment on the ledger per ID number.
        sa.Index(
            "uq_children_active_id_number",
            "id_number_hash",
            unique=True,
            postgresql_where=sa.text("status IN ('active', 'continued_schooling')"),
        ),
        sa.Index("ix_children_updated", "updated_at", "id"),
        sa.Index(
            "ix_children_reverify_on",
            "reverify_on",
            "id",
            postgresql_where=sa.text("status = 'active' AND reverify_on IS NOT NULL"),
        ),
    )


class ChildChange(Base):
    """A child's history: creation, each change (per-field from/to), revocation; never deleted."""

    __tablename__ = "child_changes"

    id: Mapped[uuid.UUID] = uuid_pk()
    # The order entries were written in (several may share a timestamp).
    seq: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), nullable=False, unique=True)
    child_id: Mapped[uuid.UUID] = belongs_to("children.id")
    at: Mapped[datetime] = created_now()
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # created|changed|revoked
    # The ledger month (first day, Asia/Shanghai) the movement counts in.
    ledger_month: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    actor_id: Mapped[str | None] = mapped_column(sa.String(64))
    actor_name: Mapped[str | None] = mapped_column(sa.String(100))
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    # The date the movement takes effect (approval, revocation, or the day of the change).
    effective_on: Mapped[date | None] = mapped_column(sa.Date)
    # The ledger-relevant state after this entry (name, masked ID, category, placement, village,
    # status, ...): the month-end ledger is the last state of each child up to that month.
    state: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    # The child's version after this entry (its ETag then). A stale edit made on version N is
    # merged field by field from the entries above N (app/children/merge.py). NULL where the
    # history did not account for every version (rows from before it was kept, see 0017).
    version: Mapped[int | None] = mapped_column(sa.Integer)

    __table_args__ = (sa.Index("ix_child_changes_child_month", "child_id", "ledger_month", "at"),)
