from __future__ import annotations

import uuid
from datetime import datetime
from typing import get_args

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.auth.roles import RoleName
from app.models.base import (
    Base,
    RecordCheckColumns,
    Timestamps,
    Versioned,
    area_ref,
    belongs_to,
    check_one_of,
    created_now,
    encrypted,
    uuid_pk,
)

STAFF_ROLES = get_args(RoleName)
"""Every staff role (app.auth.roles.Role)."""
AGENCIES = (
    "police",
    "health",
    "education",
    "disabled_federation",
    "women_federation",
    "charity",
)


class User(Timestamps, Versioned, RecordCheckColumns, Base):
    """A staff account: bureau staff, leader, institute staff, supervisor, director or auditor."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = uuid_pk()
    username: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    full_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    role: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    area_code: Mapped[str] = area_ref()
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    failed_logins: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # A case worker's contracted agency (精准帮扶): required for an active case worker.
    agency_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("casework_agencies.id"), index=True
    )

    __mapper_args__ = {"version_id_col": Versioned.version}  # noqa: RUF012
    __table_args__ = (
        check_one_of("role", STAFF_ROLES),
        sa.CheckConstraint(
            "role <> 'case_worker' OR agency_id IS NOT NULL OR NOT is_active",
            name="case_worker_has_agency",
        ),
    )


class AgencyClient(Timestamps, Versioned, Base):
    """A partner agency's system (公安, 卫健, 教育, 残联, 妇联) calling the API with client credentials."""

    __tablename__ = "agency_clients"

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    agency: Mapped[str] = mapped_column(sa.String(32), nullable=False, index=True)
    # The area the client serves: the city (a municipal agency, every district's referrals)
    # or one district (its own district's only).
    area_code: Mapped[str] = area_ref()
    scopes: Mapped[list[str]] = mapped_column(sa.ARRAY(sa.String(64)), nullable=False)
    secret_hash: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    # Where deliveries go: set by a district admin, or approved by one (never by the client).
    webhook_url: Mapped[str | None] = mapped_column(sa.Text)
    # A URL the client asked for, delivered nothing until a district admin approves it.
    webhook_pending_url: Mapped[str | None] = mapped_column(sa.Text)
    # The webhook signing secret, AES-GCM encrypted (shown once when set or rotated).
    webhook_secret_enc: Mapped[bytes | None] = encrypted(nullable=True)
    # The secret a rotation replaced, still signing (beside the new one) until it expires:
    # the partner's grace period to switch its verifier (WEBHOOK_SECRET_GRACE_HOURS).
    webhook_previous_secret_enc: Mapped[bytes | None] = encrypted(nullable=True)
    webhook_previous_secret_expires_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True)
    )
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    __mapper_args__ = {"version_id_col": Versioned.version}  # noqa: RUF012
    __table_args__ = (check_one_of("agency", AGENCIES),)


class RefreshToken(Base):
    """A staff refresh token, stored hashed; rotated on use, revocable, reuse revokes its family."""

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = belongs_to("users.id")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    family_id: Mapped[uuid.UUID] = mapped_column(nullable=False, index=True)
    created_at: Mapped[datetime] = created_now()
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
