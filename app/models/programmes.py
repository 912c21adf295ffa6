"""Care programmes run with partners (domain.md §10): 爱心妈妈 caring mothers of the women's
federation paired with children, and 智慧父母 parents' classes with the district's 关工委."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Final

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, RecordCheckColumns, area_ref, check_one_of, refers_to, uuid_pk

CONTACT_MODES: Final = ("visit", "phone", "online")
PAIRING_STATUSES: Final = ("active", "ended")
EXPERT_FIELDS: Final = ("education", "psychology", "law")
CLASS_MODES: Final = ("school", "online")


class CaringMother(RecordCheckColumns, Base):
    """爱心妈妈: a volunteer woman of the women's federation, with her art. 62 record check."""

    __tablename__ = "caring_mothers"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    organisation: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    phone: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    # The district whose bureau registered her: its offices (and no other district's) pair her.
    district_code: Mapped[str] = area_ref()

    __table_args__ = (
        sa.CheckConstraint(
            "(record_check_queried_on IS NULL) = (record_check_result IS NULL)"
            " AND (record_check_result IS NULL) = (record_check_reference IS NULL)",
            name="record_check_whole",
        ),
    )


class CaringMotherPairing(Base):
    """结对: a caring mother and a child of the ledger, with the child's and guardian's consent."""

    __tablename__ = "caring_mother_pairings"

    id: Mapped[uuid.UUID] = uuid_pk()
    mother_id: Mapped[uuid.UUID] = refers_to("caring_mothers.id")
    child_id: Mapped[uuid.UUID] = refers_to("children.id")
    since: Mapped[date] = mapped_column(sa.Date, nullable=False)
    consent_child: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    consent_guardian: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="active")
    ended_on: Mapped[date | None] = mapped_column(sa.Date)
    end_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(sa.String(64), nullable=False)

    __table_args__ = (
        check_one_of("status", PAIRING_STATUSES),
        sa.CheckConstraint("(status = 'ended') = (ended_on IS NOT NULL)", name="ended_on"),
        # One active pairing of the same mother and child (a second one is a 409).
        sa.Index(
            "uq_caring_mother_pairings_active",
            "mother_id",
            "child_id",
            unique=True,
            postgresql_where=sa.text("status = 'active'"),
        ),
        sa.Index("ix_caring_mother_pairings_child_id", "child_id"),
    )


class CaringMotherContact(Base):
    """A contact of the mother with the child (visit, phone, online), under a client UUID."""

    __tablename__ = "caring_mother_contacts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    pairing_id: Mapped[uuid.UUID] = refers_to("caring_mother_pairings.id")
    contacted_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    mode: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    body_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    recorded_by: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)

    __table_args__ = (
        check_one_of("mode", CONTACT_MODES),
        sa.Index("ix_caring_mother_contacts_pairing", "pairing_id", "contacted_on"),
    )


class CaringMotherWish(Base):
    """The child's (and family's) wish for a caring mother, recorded by the child's worker."""

    __tablename__ = "caring_mother_wishes"

    child_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("children.id"), primary_key=True)
    wished_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    note: Mapped[str | None] = mapped_column(sa.Text)
    recorded_by: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class ParentClass(Base):
    """智慧父母: a parents' class with an expert, in a school or online."""

    __tablename__ = "parent_classes"
    # The district whose bureau or town recorded the class (a district-wide class has no town).
    district_code: Mapped[str] = area_ref()

    id: Mapped[uuid.UUID] = uuid_pk()
    topic: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    expert_field: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    mode: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    held_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    place: Mapped[str | None] = mapped_column(sa.String(200))
    link: Mapped[str | None] = mapped_column(sa.String(500))
    town_code: Mapped[str | None] = mapped_column(sa.ForeignKey("areas.code"))
    others_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(sa.String(64), nullable=False)

    __table_args__ = (
        check_one_of("expert_field", EXPERT_FIELDS),
        check_one_of("mode", CLASS_MODES),
        sa.CheckConstraint("others_count >= 0", name="others_count"),
        sa.Index("ix_parent_classes_held_on", "held_on"),
    )


class ParentClassAttendance(Base):
    """The parent or guardian of a ledger child attended the class (once per class and child)."""

    __tablename__ = "parent_class_attendance"

    class_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("parent_classes.id"), primary_key=True
    )
    child_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("children.id"), primary_key=True)
    recorded_by: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)

    __table_args__ = (sa.Index("ix_parent_class_attendance_child_id", "child_id"),)
