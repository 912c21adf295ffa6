"""Tables of the platform itself: the audit log, idempotency records and the job queue."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_now, serial_pk


class AuditEntry(Base):
    """审计日志: append-only, each entry hash-chained to the one before."""

    __tablename__ = "audit_log"

    id: Mapped[int] = serial_pk()
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    principal_kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    principal_id: Mapped[str | None] = mapped_column(sa.String(64))
    principal_name: Mapped[str | None] = mapped_column(sa.String(100))
    action: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    resource_type: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    resource_id: Mapped[str | None] = mapped_column(sa.String(64))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    client_addr: Mapped[str | None] = mapped_column(sa.String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    prev_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    # The id of the audit chain key the hash is an HMAC under; NULL: plain SHA-256 (entries
    # from before the key, up to audit_chain_state.plain_through_id).
    key_id: Mapped[str | None] = mapped_column(sa.String(16))
    # The district of the caller who wrote the entry (NULL: the city's roles, the system): a
    # district's auditors read their own district's entries. Not part of the hash's input.
    district_code: Mapped[str | None] = mapped_column(sa.String(12))

    __table_args__ = (
        sa.Index("ix_audit_log_resource", "resource_type", "resource_id"),
        sa.Index("ix_audit_log_principal", "principal_id"),
        sa.Index("ix_audit_log_district", "district_code", "id"),
    )


class AuditChainState(Base):
    """One row: the last audit entry hashed before the chain was keyed (plain SHA-256).

    Written by the migration that keyed the chain; the application's role may only read it.
    """

    __tablename__ = "audit_chain_state"

    id: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    plain_through_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)


class IdempotencyRecord(Base):
    """The stored answer to a creation, so that a retry gets the same answer and no duplicate."""

    __tablename__ = "idempotency_records"

    principal_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    status_code: Mapped[int | None] = mapped_column(sa.Integer)
    response: Mapped[Any | None] = mapped_column(JSONB)
    resource_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = created_now()


class Job(Base):
    """A background job, written in the transaction that asks for it (a transactional outbox)."""

    __tablename__ = "jobs"

    id: Mapped[int] = serial_pk()
    kind: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="queued")
    run_at: Mapped[datetime] = created_now()
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    max_attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=10)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    locked_by: Mapped[str | None] = mapped_column(sa.String(100))
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    correlation_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = created_now()
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.Index(
            "ix_jobs_ready",
            "run_at",
            postgresql_where=sa.text("status IN ('queued','running')"),
        ),
    )
