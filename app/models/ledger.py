"""台账 around the child record: month closes, quarterly reviews, change proposals, the
adult-placement queue, and active-discovery candidates (主动发现)."""

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
    area_ref,
    belongs_to,
    check_one_of,
    created_now,
    encrypted,
    uuid_pk,
)

PROPOSAL_STATUSES = ("pending", "approved", "rejected")
ADULT_PLACEMENT_STATUSES = ("waiting", "placed", "withdrawn")
ADULT_PLACEMENT_KINDS = ("extreme_poverty_support", "social")
CANDIDATE_STATUSES = ("open", "dismissed", "enrolled")


class LedgerMonthClose(Base):
    """A district's closed ledger month 月结: its report frozen as it stood when closed."""

    __tablename__ = "ledger_month_closes"

    district_code: Mapped[str] = mapped_column(
        sa.String(12), sa.ForeignKey("areas.code"), primary_key=True, index=True
    )
    month: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    closed_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
    closed_by_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)


class LedgerReview(Base):
    """The principal leader's quarterly review 季度审核 of the district's ledger; one per quarter
    and district."""

    __tablename__ = "ledger_reviews"

    id: Mapped[uuid.UUID] = uuid_pk()
    district_code: Mapped[str] = area_ref()
    quarter: Mapped[str] = mapped_column(sa.String(6), nullable=False)
    comment: Mapped[str] = mapped_column(sa.Text, nullable=False)
    signed_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
    signed_by_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    signed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    previous_quarter: Mapped[str | None] = mapped_column(sa.String(6))
    # Totals at the quarter's end and the movements since the previous signed quarter.
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)

    __table_args__ = (sa.UniqueConstraint("district_code", "quarter"),)


class ChildProposal(Timestamps, Versioned, Base):
    """A change to a child proposed by a village director or town supervisor 变更申请."""

    __tablename__ = "child_proposals"

    id: Mapped[uuid.UUID] = uuid_pk()
    child_id: Mapped[uuid.UUID] = belongs_to("children.id")
    proposed_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
    proposed_by_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    base_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="pending")
    decided_by: Mapped[uuid.UUID | None] = mapped_column()
    decided_by_name: Mapped[str | None] = mapped_column(sa.String(100))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)

    __mapper_args__ = {"version_id_col": Versioned.version, "eager_defaults": True}  # noqa: RUF012
    __table_args__ = (
        check_one_of("status", PROPOSAL_STATUSES),
        sa.Index("ix_child_proposals_status_created", "status", "created_at", "id"),
    )


class AdultPlacement(Timestamps, Base):
    """成年孤儿安置 queue: an institute orphan who came of age, waiting for placement."""

    __tablename__ = "adult_placements"
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012

    id: Mapped[uuid.UUID] = uuid_pk()
    child_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("children.id"), nullable=False, unique=True
    )
    came_of_age_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    # waiting → placed (extreme_poverty_support | social); the subsidy domain pays it.
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="waiting")
    placement_kind: Mapped[str | None] = mapped_column(sa.String(32))
    placed_on: Mapped[date | None] = mapped_column(sa.Date)

    __table_args__ = (
        check_one_of("status", ADULT_PLACEMENT_STATUSES),
        check_one_of("placement_kind", ADULT_PLACEMENT_KINDS, nullable=True),
    )


class DiscoveryCandidate(Timestamps, Base):
    """主动发现: a child of an assisted household who may qualify and is not enrolled."""

    __tablename__ = "discovery_candidates"
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012

    id: Mapped[uuid.UUID] = uuid_pk()
    id_number_enc: Mapped[bytes] = encrypted()
    id_number_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    id_number_masked: Mapped[str] = mapped_column(sa.String(18), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    gender: Mapped[str] = mapped_column(sa.String(6), nullable=False)
    birth_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    household_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    household_assistance: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    village_code: Mapped[str] = area_ref()
    # The facts found (disability, illness, parents' situations) and the reasons they suggest.
    facts: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    facts_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="open")
    dismiss_reason: Mapped[str | None] = mapped_column(sa.Text)
    child_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("children.id"))
    last_seen_at: Mapped[datetime] = created_now()

    __table_args__ = (
        check_one_of("status", CANDIDATE_STATUSES),
        sa.Index("ix_discovery_candidates_status", "status", "created_at", "id"),
    )
