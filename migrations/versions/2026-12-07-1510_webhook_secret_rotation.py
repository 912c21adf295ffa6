"""webhooks: Standard Webhooks signing; a rotated secret keeps signing through a grace period

- `agency_clients.webhook_previous_secret_enc` (AES-GCM, like `webhook_secret_enc`) and
  `webhook_previous_secret_expires_at`: the secret a rotation replaced and when it stops
  signing. Existing rows have none (no rotation in progress).
- Existing secrets stay as they are: a secret issued before this change (not `whsec_` +
  base64) is signed by its text's bytes and its deliveries keep the former `X-Webhook-*`
  headers until the client rotates it (app/webhooks/signing.py). The secrets are encrypted
  with the application's keys, so no data migration can (or needs to) rewrite them.

Revision ID: 0020_webhook_secret_rotation
Revises: 0020_outputs
Create Date: 2026-12-07 15:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_webhook_secret_rotation"
down_revision: str | None = "0020_outputs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "agency_clients", sa.Column("webhook_previous_secret_enc", sa.LargeBinary(), nullable=True)
    )
    op.add_column(
        "agency_clients",
        sa.Column("webhook_previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("agency_clients", "webhook_previous_secret_expires_at")
    op.drop_column("agency_clients", "webhook_previous_secret_enc")
