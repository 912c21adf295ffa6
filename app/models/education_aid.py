"""Programmes run with partners (issue 24): 教育帮扶 education aid with the women's federation
(春蕾女童 and boys in difficulty), 节日礼品 gifts in kind at the holiday runs, and 社区未成年人活动
community activities in the villages' venues. Money is integer fen (分)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Versioned, area_ref, check_one_of, encrypted, refers_to, uuid_pk

AID_PROGRAMMES = ("spring_bud", "boys_in_difficulty")
AID_STATUSES = ("submitted", "approved", "rejected", "disbursed")
ACTIVITY_KINDS = ("reading", "study", "arts", "sports", "outing", "festival", "safety", "other")


class AidRound(Base):
    """教育帮扶批次: the year's round of education aid with the women's federation."""

    __tablename__ = "aid_rounds"

    id: Mapped[uuid.UUID] = uuid_pk()
    # The district whose bureau opened the round (its offices and its federation alone read it).
    district_code: Mapped[str] = area_ref()
    year: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    created_by: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (sa.UniqueConstraint("district_code", "year", "name"),)


class AidApplication(Versioned, Base):
    """教育帮扶申请: one child in a round — a ledger child (`child_id`) or a child the federation
    names (the facts, the ID number encrypted); submitted → approved (with an amount) →
    disbursed, or rejected. Frozen once disbursed. One application per child per round
    (`person_key`: the keyed hash of the child's ID number)."""

    __tablename__ = "aid_applications"

    id: Mapped[uuid.UUID] = uuid_pk()
    round_id: Mapped[uuid.UUID] = refers_to("aid_rounds.id")
    child_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("children.id"))
    person_key: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    child_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    child_gender: Mapped[str] = mapped_column(sa.String(6), nullable=False)
    child_birth_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    child_id_number_enc: Mapped[bytes | None] = encrypted(nullable=True)
    child_id_number_masked: Mapped[str] = mapped_column(sa.String(18), nullable=False)
    school: Mapped[str | None] = mapped_column(sa.String(100))
    village_code: Mapped[str | None] = mapped_column(sa.String(12))
    town_code: Mapped[str | None] = mapped_column(sa.String(12))
    programme: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    requested_fen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    amount_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="submitted")
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    created_by: Mapped[str | None] = mapped_column(sa.String(64))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(sa.String(64))
    decision_note: Mapped[str | None] = mapped_column(sa.Text)
    disbursed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    disbursed_by: Mapped[str | None] = mapped_column(sa.String(64))

    __mapper_args__ = {"version_id_col": Versioned.version}  # noqa: RUF012
    __table_args__ = (
        sa.UniqueConstraint("round_id", "person_key"),
        check_one_of("programme", AID_PROGRAMMES),
        check_one_of("status", AID_STATUSES),
        sa.CheckConstraint(
            "requested_fen > 0 AND (amount_fen IS NULL OR amount_fen > 0)", name="fen"
        ),
        sa.CheckConstraint(
            "status NOT IN ('approved','disbursed') OR amount_fen IS NOT NULL",
            name="approved_amount",
        ),
        sa.Index("ix_aid_applications_round", "round_id", "id"),
        sa.Index("ix_aid_applications_disbursed", "disbursed_at"),
    )


class HolidayGift(Base):
    """节日礼品: a gift in kind (item, value) to a child of a holiday run (两节, 六一), delivered
    by the child's village director, who confirms it from the phone."""

    __tablename__ = "holiday_gifts"

    id: Mapped[uuid.UUID] = uuid_pk()
    run_id: Mapped[uuid.UUID] = refers_to("subsidy_benefit_runs.id")
    child_id: Mapped[uuid.UUID] = refers_to("children.id")
    village_code: Mapped[str | None] = mapped_column(sa.String(12))
    town_code: Mapped[str | None] = mapped_column(sa.String(12))
    item: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    value_fen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    created_by: Mapped[str | None] = mapped_column(sa.String(64))
    delivered_on: Mapped[date | None] = mapped_column(sa.Date)
    received_by: Mapped[str | None] = mapped_column(sa.String(100))
    delivery_note: Mapped[str | None] = mapped_column(sa.Text)
    delivered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    delivered_by: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.UniqueConstraint("run_id", "child_id", "item"),
        sa.CheckConstraint("value_fen >= 0", name="value_not_negative"),
        sa.Index("ix_holiday_gifts_run", "run_id", "id"),
    )


class CommunityActivity(Base):
    """社区未成年人活动: an activity in a village's minors' venue — its day, kind, the ledger
    children who took part and a count of the others. Recorded from the phone with a
    client-chosen `id` (the same id and body replay)."""

    __tablename__ = "community_activities"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    village_code: Mapped[str] = refers_to("areas.code")
    town_code: Mapped[str | None] = mapped_column(sa.String(12))
    held_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    child_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), nullable=False)
    others: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    note: Mapped[str | None] = mapped_column(sa.Text)
    body_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    created_by: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (
        check_one_of("kind", ACTIVITY_KINDS),
        sa.CheckConstraint("others >= 0", name="others_not_negative"),
        sa.Index("ix_community_activities_village_day", "village_code", "held_on"),
        sa.Index("ix_community_activities_children", "child_ids", postgresql_using="gin"),
    )
