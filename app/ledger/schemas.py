"""The monthly ledger and the quarterly review."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.kit.types import Date


class TownCount(BaseModel):
    town_code: str
    town_name: str
    count: int


class LedgerTotals(BaseModel):
    total: int
    by_category: dict[str, int]
    by_placement: dict[str, int]
    by_town: list[TownCount] = Field(description="Dispersed children by town (镇街)")


class Movement(BaseModel):
    """An addition 新增, change 变更 or revocation 撤销 counted in the month."""

    child_id: uuid.UUID
    kind: str
    at: datetime
    effective_on: Date | None
    name: str | None
    category: str | None
    placement: str | None
    village_code: str | None
    actor_name: str | None
    reason: str | None
    changes: list[dict[str, Any]]
    late: bool = Field(description="A late correction of an earlier (closed) month")


class LedgerOut(BaseModel):
    month: str
    as_of: Date
    closed: bool
    closed_at: datetime | None
    closed_by: str | None
    totals: LedgerTotals
    additions: list[Movement]
    changes: list[Movement]
    revocations: list[Movement]


class ReviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quarter: str = Field(examples=["2025Q2"], max_length=6)
    comment: str = Field(min_length=1, max_length=2000)


class ReviewOut(BaseModel):
    id: uuid.UUID
    quarter: str
    comment: str
    signed_by_name: str
    signed_at: datetime
    previous_quarter: str | None
    summary: dict[str, Any] = Field(
        description="Totals at the quarter's end and the movements since the previous review"
    )

    model_config = ConfigDict(from_attributes=True)
