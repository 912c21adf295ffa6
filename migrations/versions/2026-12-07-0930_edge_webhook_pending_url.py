"""agency_clients.webhook_pending_url: a webhook URL a client asked for, awaiting approval

A partner could point its own webhook anywhere, and the next referral went there. Now a URL
the client itself sets waits here, delivered nothing, until a district admin approves it
(app/webhooks/service.py). URLs already registered stay in force: every delivery checks its
target's addresses anyway (app/kit/egress.py).

Revision ID: edge_webhook_pending_url
Revises: 0017_continued_schooling
Create Date: 2026-12-07 09:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "edge_webhook_pending_url"
down_revision: str | None = "0017_continued_schooling"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("agency_clients", sa.Column("webhook_pending_url", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("agency_clients", "webhook_pending_url")
