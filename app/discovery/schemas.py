"""Active discovery 主动发现: the import's result and the candidates."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.children.schemas import Category, ChildFacts, Placement, _In
from app.kit.types import Date


class ImportResult(BaseModel):
    rows: int
    households: int
    minors: int = Field(description="Members under 18 on the import date")
    already_enrolled: int = Field(description="Minors matched to an active ledger record by ID")
    candidates_new: int
    candidates_updated: int
    candidates_reopened: int = Field(description="Dismissed earlier; their facts changed")
    still_dismissed: int
    not_qualifying: int


class Reason(BaseModel):
    category: Category
    reason: str


class CandidateOut(BaseModel):
    id: uuid.UUID
    name: str
    id_number: str = Field(description="Masked")
    gender: str
    birth_date: Date
    household_id: str
    household_assistance: str
    village_code: str
    reasons: list[Reason]
    facts: dict[str, Any]
    status: Literal["open", "dismissed", "enrolled"]
    dismiss_reason: str | None
    child_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class DismissRequest(_In):
    reason: str = Field(min_length=1, max_length=500)


class EnrollRequest(ChildFacts):
    """Enrol a candidate: the name and ID number come from the household list."""

    category: Category
    placement: Placement = "dispersed"
    village_code: str | None = Field(default=None, max_length=12)
    approved_on: Date
