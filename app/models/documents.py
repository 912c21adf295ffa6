"""文件与照片: documents and photos (evidence, visit photos, consents, decisions) kept encrypted.

A document belongs to one record (`record_type`, `record_id`): a child, a visit, an incident,
a protection-centre intake or a case. Its bytes are in the document store (app/documents/storage:
the filesystem under DATA_DIR or an S3-compatible bucket), encrypted with a data key of its own;
the row keeps that data key wrapped by the service's key ring (`data_key_enc`, the ring's key id
in it), so the store alone reveals nothing and `manage reencrypt` rewraps the keys.

`child_id` is the child the record concerns (when there is one), for the retention job and the
phone's sync. A resumable upload is a row in status `uploading` whose `received` bytes are kept as
encrypted parts (`part_offsets`) until the last one arrives.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamps, check_one_of, encrypted

DOCUMENT_KINDS = ("evidence", "visit_photo", "consent", "decision", "other")
DOCUMENT_RECORD_TYPES = ("child", "visit", "incident", "intake", "case")
DOCUMENT_STATUSES = ("uploading", "stored")
DOCUMENT_CONTENT_TYPES = ("image/jpeg", "image/png", "image/heic", "application/pdf")


class Document(Timestamps, Base):
    __tablename__ = "documents"

    # Chosen by the client (the phone), so that a retried upload is the same document.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    record_type: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    record_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    child_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    file_name: Mapped[str | None] = mapped_column(sa.String(255))
    # What the magic bytes say (set when the upload is complete).
    content_type: Mapped[str | None] = mapped_column(sa.String(32))
    # The declared length of the upload, the bytes received so far, and the stored size (after a
    # photo's location was stripped it differs from the upload).
    upload_length: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    received: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    part_offsets: Mapped[list[int]] = mapped_column(JSONB, nullable=False, default=list)
    size: Mapped[int | None] = mapped_column(sa.BigInteger)
    # SHA-256 (hex) of the bytes as uploaded: the same id sent again with the same file is the
    # same document; of the bytes as stored: what a download gives.
    upload_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    has_thumbnail: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    location_removed: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    # The object's data key (AES-256), encrypted by the key ring ("v1:<kid>:..."), context
    # b"document.data_key".
    data_key_enc: Mapped[bytes] = encrypted()
    uploaded_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        check_one_of("kind", DOCUMENT_KINDS),
        check_one_of("record_type", DOCUMENT_RECORD_TYPES),
        check_one_of("status", DOCUMENT_STATUSES),
        sa.CheckConstraint("received >= 0 AND received <= upload_length", name="received"),
        sa.CheckConstraint(
            "status <> 'stored' OR (content_type IS NOT NULL AND sha256 IS NOT NULL "
            "AND size IS NOT NULL AND completed_at IS NOT NULL)",
            name="stored_complete",
        ),
        sa.Index("ix_documents_record", "record_type", "record_id"),
    )
