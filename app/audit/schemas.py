from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    principal_kind: str
    principal_id: str | None
    principal_name: str | None
    action: str
    resource_type: str
    resource_id: str | None
    request_id: str | None
    client_addr: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AuditFilter:
    """Which entries a reader asked for (each given field must match)."""

    resource_type: str | None = None
    resource_id: str | None = None
    principal_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
