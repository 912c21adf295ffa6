"""监测摸排: screening imports, screened children's records, their history and running counts."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, check_one_of, created_now, encrypted, serial_pk, uuid_pk

IMPORT_STATUSES = ("queued", "running", "done", "failed", "cancelled")
SCREENING_CLASSIFICATIONS = ("migrant", "left_behind", "neither")
AGE_BANDS = ("0-2", "3-5", "6-11", "12-14", "15", "16+")


class ScreeningImport(Base):
    """One uploaded screening file and its progress; counts commit with each merged chunk."""

    __tablename__ = "screening_imports"

    id: Mapped[uuid.UUID] = uuid_pk()
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="queued")
    file_name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    file_kind: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    file_size: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    stored_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    uploaded_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
    uploaded_by_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    # The uploader's area: rows outside it are rejected; readers see imports within their area.
    area_code: Mapped[str] = mapped_column(
        sa.String(12), sa.ForeignKey("areas.code"), nullable=False
    )
    area_path: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    warnings: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)
    progress: Mapped[float] = mapped_column(sa.Float, nullable=False, default=0.0)
    total_rows: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    last_row: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    chunks_done: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    inserted: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    updated: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    unchanged: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    rejected: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    flagged: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = created_now()
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # The running import's heartbeat (every few seconds, app/screening/imports/runner.py): stale,
    # the import is shown `interrupted` until a worker resumes it.
    heartbeat_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        check_one_of("status", IMPORT_STATUSES),
        sa.Index("ix_screening_imports_area_created", "area_path", "created_at"),
    )


class ScreeningImportError(Base):
    """A rejected row of an import: row number, column and reason (Chinese)."""

    __tablename__ = "screening_import_errors"

    id: Mapped[int] = serial_pk()
    import_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("screening_imports.id", ondelete="CASCADE"), nullable=False
    )
    row_number: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    column: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    # What the file held in that column (at most 200 characters), shown beside the reason.
    value: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (sa.Index("ix_screening_import_errors_import_row", "import_id", "row_number"),)


class ScreeningRecord(Base):
    """A screened child 摸排记录: the latest facts, the computed classification and its flags.

    The same child is one row across imports: `identity_key` is the HMAC-SHA256 digest (32
    bytes) of the ID number, or without one of name + birth date + guardian phone. The ID
    number is stored encrypted (`id_number_enc`) and masked (for lists); it is searched for by
    its HMAC, which is the identity key of a record with an ID number.
    """

    __tablename__ = "screening_records"

    id: Mapped[uuid.UUID] = uuid_pk()
    identity_key: Mapped[bytes] = encrypted(unique=True)
    id_number_enc: Mapped[bytes | None] = encrypted(nullable=True)
    id_number_masked: Mapped[str | None] = mapped_column(sa.String(18))
    name: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    gender: Mapped[str | None] = mapped_column(sa.String(6))
    birth_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    hukou_code: Mapped[str | None] = mapped_column(sa.String(12))
    village_code: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    town_code: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    residence_since: Mapped[date | None] = mapped_column(sa.Date)
    accompanied_by: Mapped[str | None] = mapped_column(sa.String(16))
    father_away_since: Mapped[date | None] = mapped_column(sa.Date)
    mother_away_since: Mapped[date | None] = mapped_column(sa.Date)
    father_can_guard: Mapped[bool | None] = mapped_column(sa.Boolean)
    mother_can_guard: Mapped[bool | None] = mapped_column(sa.Boolean)
    guardian_name: Mapped[str | None] = mapped_column(sa.String(100))
    guardian_phone: Mapped[str | None] = mapped_column(sa.String(20))
    school_status: Mapped[str | None] = mapped_column(sa.String(24))
    school_name: Mapped[str | None] = mapped_column(sa.String(200))
    health_status: Mapped[str | None] = mapped_column(sa.Text)
    disability_kind: Mapped[str | None] = mapped_column(sa.String(16))
    disability_grade: Mapped[int | None] = mapped_column(sa.SmallInteger)
    screened_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    stated_classification: Mapped[str | None] = mapped_column(sa.String(12))
    classification: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    flags: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    flagged: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    first_import_id: Mapped[uuid.UUID | None] = mapped_column()
    last_import_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = created_now()
    updated_at: Mapped[datetime] = created_now()
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)

    __table_args__ = (
        check_one_of("classification", SCREENING_CLASSIFICATIONS),
        sa.Index("ix_screening_records_updated", "updated_at", "id"),
        sa.Index("ix_screening_records_village_updated", "village_code", "updated_at", "id"),
        sa.Index("ix_screening_records_town_updated", "town_code", "updated_at", "id"),
        # the few flagged records, for the lists filtered to them (see migration 0015)
        sa.Index(
            "ix_screening_records_flagged",
            "updated_at",
            "id",
            postgresql_where=sa.text("flagged IS TRUE"),
        ),
        # the left-behind children, few in a district like Daxing (see migration 0016)
        sa.Index(
            "ix_screening_records_left_behind",
            "updated_at",
            "id",
            postgresql_where=sa.text("classification = 'left_behind'"),
        ),
        sa.Index(
            "ix_screening_records_name",
            "name",
            postgresql_ops={"name": "text_pattern_ops"},
        ),
    )


class ScreeningRecordChange(Base):
    """History of a screening record: one row per changed field, with the import that changed it."""

    __tablename__ = "screening_record_changes"

    id: Mapped[int] = serial_pk()
    record_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("screening_records.id", ondelete="CASCADE"), nullable=False
    )
    import_id: Mapped[uuid.UUID | None] = mapped_column()
    changed_at: Mapped[datetime] = created_now()
    field: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    old_value: Mapped[str | None] = mapped_column(sa.Text)
    new_value: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (sa.Index("ix_screening_record_changes_record", "record_id", "id"),)


class ScreeningStat(Base):
    """Pre-aggregated counts 统计: records per village × classification × flag × school × age band.

    Age bands are ages on `ScreeningStatsState.as_of`; the import merge adds its deltas in the
    same transaction, and a daily refresh recounts everything when the day changes.
    """

    __tablename__ = "screening_stats"

    village_code: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    classification: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    flagged: Mapped[bool] = mapped_column(sa.Boolean, primary_key=True)
    school_status: Mapped[str] = mapped_column(sa.String(24), primary_key=True)  # '' = unknown
    age_band: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    town_code: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    n: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)


class ScreeningStatsState(Base):
    """The day the age bands of `screening_stats` are counted on (a single row, id 1)."""

    __tablename__ = "screening_stats_state"

    id: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    as_of: Mapped[date] = mapped_column(sa.Date, nullable=False)
    refreshed_at: Mapped[datetime] = created_now()
