"""医疗保险参保: the insurance schemes the bureau pays for (effective-dated parameters) and each
child's enrolment per scheme and insurance year. Money is integer fen."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Final, Literal, get_args

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Versioned, belongs_to, check_one_of, uuid_pk

InsuranceSchemeCode = Literal["basic_medical", "puhuibao", "supplementary"]
EnrolmentStatus = Literal["due", "submitted", "enrolled", "refused_by_insurer", "not_required"]
INSURANCE_SCHEMES: Final = get_args(InsuranceSchemeCode)
ENROLMENT_STATUSES: Final = get_args(EnrolmentStatus)


class InsuranceScheme(Base):
    """A scheme's parameters for one insurance year (城乡居民基本医疗保险, 普惠保, 补充医疗保险),
    effective-dated like the allowance standard: a later row for the same scheme and year
    applies from its `effective_from` on; rows are appended, never changed."""

    __tablename__ = "insurance_schemes"

    id: Mapped[uuid.UUID] = uuid_pk()
    scheme: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    year: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    effective_from: Mapped[date] = mapped_column(sa.Date, nullable=False)
    premium_fen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    # The ledger categories enrolled free (codes of app.kit.vocab).
    categories: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    window_from: Mapped[date] = mapped_column(sa.Date, nullable=False)
    window_to: Mapped[date] = mapped_column(sa.Date, nullable=False)
    reference: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("scheme", "year", "effective_from"),
        check_one_of("scheme", INSURANCE_SCHEMES),
        sa.CheckConstraint("premium_fen >= 0", name="premium_not_negative"),
        sa.CheckConstraint("window_from <= window_to", name="window"),
    )


class InsuranceEnrolment(Versioned, Base):
    """One child's enrolment 参保 in one scheme for one insurance year (one row per child,
    scheme and year)."""

    __tablename__ = "insurance_enrolments"

    id: Mapped[uuid.UUID] = uuid_pk()
    child_id: Mapped[uuid.UUID] = belongs_to("children.id")
    scheme: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    year: Mapped[int] = mapped_column(sa.Integer, nullable=False, index=True)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, index=True)
    # Why the child was due (the worklist's reason when the row was generated).
    due_reason: Mapped[str | None] = mapped_column(sa.String(24))
    # Why no enrolment is needed (status not_required), e.g. insured through a parent's employer.
    not_required_reason: Mapped[str | None] = mapped_column(sa.Text)
    refusal_reason: Mapped[str | None] = mapped_column(sa.Text)
    policy_number: Mapped[str | None] = mapped_column(sa.String(64))
    enrolled_on: Mapped[date | None] = mapped_column(sa.Date)
    premium_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    updated_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)

    __mapper_args__ = {"version_id_col": Versioned.version}  # noqa: RUF012
    __table_args__ = (
        sa.UniqueConstraint("child_id", "scheme", "year"),
        check_one_of("scheme", INSURANCE_SCHEMES),
        check_one_of("status", ENROLMENT_STATUSES),
        sa.CheckConstraint("premium_fen IS NULL OR premium_fen >= 0", name="premium_not_negative"),
        sa.CheckConstraint(
            "status <> 'not_required' OR not_required_reason IS NOT NULL",
            name="not_required_has_reason",
        ),
        sa.CheckConstraint(
            "status <> 'enrolled' OR policy_number IS NOT NULL", name="enrolled_has_policy"
        ),
    )
