"""慈善项目资金: towns' and departments' applications to the district charity association for
project funds, their review, approval, instalments and final report. Money is integer fen."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Final, Literal, get_args

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Versioned, area_ref, belongs_to, check_one_of

CharityServiceType = Literal[
    "psychological_support",  # 心理疏导
    "living_help",  # 生活帮扶
    "capacity_building",  # 能力提升
    "rights_protection",  # 权益保障
    "professional_training",  # 专业培训
]
CharityStatus = Literal["submitted", "returned", "forwarded", "declined", "approved", "reported"]
CHARITY_SERVICE_TYPES: Final = get_args(CharityServiceType)
CHARITY_STATUSES: Final = get_args(CharityStatus)


class CharityApplication(Versioned, Base):
    """A project-fund application 慈善项目资金申请 by a town or a district department."""

    __tablename__ = "charity_applications"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    applicant_area_code: Mapped[str] = area_ref()
    applicant_unit: Mapped[str | None] = mapped_column(sa.String(100))
    service_type: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    target_group: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    planned_beneficiaries: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    # [{"item": str, "amount_fen": int}, ...]
    budget: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    requested_fen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    period_from: Mapped[date] = mapped_column(sa.Date, nullable=False)
    period_to: Mapped[date] = mapped_column(sa.Date, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(12), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    reviewed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(sa.String(100))
    review_note: Mapped[str | None] = mapped_column(sa.Text)
    forwarded_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(sa.String(100))
    decision_note: Mapped[str | None] = mapped_column(sa.Text)
    approved_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    disbursed_fen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    # The final report 结项报告.
    reported_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    reported_by: Mapped[str | None] = mapped_column(sa.String(100))
    beneficiaries_reached: Mapped[int | None] = mapped_column(sa.Integer)
    ledger_child_ids: Mapped[list[str] | None] = mapped_column(JSONB)
    # [{"item": str, "amount_fen": int}, ...]
    spending: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    spent_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    report_summary: Mapped[str | None] = mapped_column(sa.Text)

    __mapper_args__ = {"version_id_col": Versioned.version}  # noqa: RUF012
    __table_args__ = (
        check_one_of("service_type", CHARITY_SERVICE_TYPES),
        check_one_of("status", CHARITY_STATUSES),
        sa.CheckConstraint("requested_fen > 0", name="requested_positive"),
        sa.CheckConstraint("period_from <= period_to", name="period"),
        sa.CheckConstraint(
            "approved_fen IS NULL OR (approved_fen > 0 AND approved_fen <= requested_fen)",
            name="approved_range",
        ),
        sa.CheckConstraint(
            "disbursed_fen >= 0 AND disbursed_fen <= COALESCE(approved_fen, 0)",
            name="disbursed_range",
        ),
    )


class CharityDisbursement(Base):
    """One instalment 拨付 of an approved project's funds (client id: a retry pays nothing twice)."""

    __tablename__ = "charity_disbursements"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    application_id: Mapped[uuid.UUID] = belongs_to("charity_applications.id")
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    paid_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    reference: Mapped[str | None] = mapped_column(sa.String(200))
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    recorded_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)

    __table_args__ = (sa.CheckConstraint("amount_fen > 0", name="amount_positive"),)
