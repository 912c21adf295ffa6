"""documents: evidence files, visit photos, consents and decisions, stored encrypted

- `documents`: one row per document (its bytes in the document store, encrypted with a data key
  of its own, wrapped by the key ring in `data_key_enc`); `child_id` for the retention job and
  the sync. A resumable upload is a row in status `uploading`.
- a trigger logs a stored document of a child or a visit in `sync_changes` (the phone's sync
  lists the child's documents' metadata).

Revision ID: 0020_documents
Revises: 0020_operations
Create Date: 2026-12-07 15:36:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020_documents"
down_revision: str | None = "0020_operations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_type", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("content_type", sa.String(length=32), nullable=True),
        sa.Column("upload_length", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("part_offsets", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("upload_sha256", sa.String(length=64), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("has_thumbnail", sa.Boolean(), nullable=False),
        sa.Column("location_removed", sa.Boolean(), nullable=False),
        sa.Column("data_key_enc", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.Uuid(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.CheckConstraint(
            "kind IN ('evidence','visit_photo','consent','decision','other')",
            name=op.f("ck_documents_kind"),
        ),
        sa.CheckConstraint(
            "record_type IN ('child','visit','incident','intake','case')",
            name=op.f("ck_documents_record_type"),
        ),
        sa.CheckConstraint("status IN ('uploading','stored')", name=op.f("ck_documents_status")),
        sa.CheckConstraint(
            "received >= 0 AND received <= upload_length", name=op.f("ck_documents_received")
        ),
        sa.CheckConstraint(
            "status <> 'stored' OR (content_type IS NOT NULL AND sha256 IS NOT NULL "
            "AND size IS NOT NULL AND completed_at IS NOT NULL)",
            name=op.f("ck_documents_stored_complete"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    op.create_index("ix_documents_child_id", "documents", ["child_id"], unique=False)
    op.create_index("ix_documents_record", "documents", ["record_type", "record_id"], unique=False)
    # The phone's sync lists a child's documents (of the child and of its visits): a stored one
    # enters the change log like a visit does (the trigger function of 0004).
    op.execute(
        """
        CREATE TRIGGER documents_sync_log AFTER INSERT OR UPDATE OF status ON documents
            FOR EACH ROW
            WHEN (NEW.child_id IS NOT NULL AND NEW.status = 'stored'
                  AND NEW.record_type IN ('child', 'visit'))
            EXECUTE FUNCTION sync_log_child_record('document')
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS documents_sync_log ON documents")
    op.drop_index("ix_documents_record", table_name="documents")
    op.drop_index("ix_documents_child_id", table_name="documents")
    op.drop_table("documents")
