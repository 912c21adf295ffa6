"""Bodies of the webhook registration and delivery-log endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app.kit.crud import Cursor, Limit


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=8, max_length=500, pattern=r"^https?://\S+$", examples=["https://x.example/h"]
    )
    rotate_secret: StrictBool = Field(
        default=False, description="Issue a new signing secret even if one exists."
    )


class WebhookApproval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=8,
        max_length=500,
        description="The pending URL being approved, as the admin saw it (409 if it changed).",
    )


class WebhookOut(BaseModel):
    agency_client_id: uuid.UUID
    webhook_url: str | None = Field(
        description="Where deliveries go: set or approved by a district admin."
    )
    pending_url: str | None = Field(
        default=None,
        description="A URL the client set itself: delivered nothing until a district admin "
        "approves it.",
    )
    secret: str | None = Field(
        description="The signing secret, shown once when issued (new or rotated); else null."
    )
    secret_issued: bool


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempt: int
    at: datetime
    url: str
    status_code: int | None
    error: str | None
    duration_ms: int
    worker_id: str | None


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    agency_client_id: uuid.UUID
    referral_id: uuid.UUID
    event: str
    status: str
    attempts: int
    max_attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime


class DeliveryDetail(DeliveryOut):
    attempt_log: list[AttemptOut]


class DeliveryQuery(BaseModel):
    status: Literal["pending", "delivered", "failed"] | None = None
    agency_client_id: uuid.UUID | None = None
    referral_id: uuid.UUID | None = None
    limit: Limit = 50
    cursor: Cursor = None
