"""Job handlers of the webhook outbox."""

from __future__ import annotations

from app.webhooks.delivery import deliver
from app.webhooks.repository import DELIVER_JOB
from app.worker.registry import handler

handler(DELIVER_JOB)(deliver)
