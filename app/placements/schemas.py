"""Request and response models of the adult-orphan placement plans (成年孤儿安置)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.kit.money import Money
from app.kit.types import Date

PlacementType = Literal["extreme_poverty_support", "social_placement"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EntryCreate(_Body):
    child_id: uuid.UUID
    assessment: str = Field(min_length=1, max_length=4000, description="专业评估 conclusion.")
    placement_type: PlacementType = Field(
        description="extreme_poverty_support 特困供养 | social_placement 社会化安置"
    )
    subsidy: Money = Field(description="The one-time placement subsidy set in the plan.")

    @field_validator("subsidy")
    @classmethod
    def _positive(cls, v: Any) -> Any:
        if v <= 0:
            raise ValueError("安置补贴须大于零|The subsidy must be more than zero")
        return v


class PlanCreate(_Body):
    year: int = Field(ge=2000, le=2100)
    note: str | None = Field(default=None, max_length=4000)
    entries: list[EntryCreate] = Field(min_length=1, max_length=500)


class PlanApprove(_Body):
    approval_reference: str = Field(
        min_length=1, max_length=500, description="The district government's approval (批复文号)."
    )
    approved_on: Date


class EntryPlace(_Body):
    placed_on: Date
    note: str | None = Field(default=None, max_length=4000)


class EntryOut(BaseModel):
    id: uuid.UUID
    child_id: uuid.UUID
    child_name: str
    id_number_masked: str
    assessment: str
    placement_type: PlacementType
    subsidy: Money
    status: Literal["planned", "placed", "paid"]
    placed_on: Date | None
    placement_note: str | None
    paid_at: datetime | None
    paid_by: str | None


class PlanOut(BaseModel):
    id: uuid.UUID
    year: int
    status: Literal["draft", "approved"]
    note: str | None
    entry_count: int
    total_subsidy: Money
    by_type: dict[str, int] = Field(description="Number of entries by placement type.")
    approval_reference: str | None
    approved_on: Date | None
    approved_at: datetime | None
    approved_by: str | None
    created_at: datetime
    created_by: str | None
    entries: list[EntryOut]


class CandidateOut(BaseModel):
    child_id: uuid.UUID
    name: str
    id_number_masked: str
    birth_date: Date
    status: str
