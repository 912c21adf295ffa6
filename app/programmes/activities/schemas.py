"""Request and response bodies of the community activities (社区未成年人活动)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.kit.crud import Cursor, Limit
from app.kit.glossary import zh_map
from app.kit.params import AreaField
from app.kit.types import Date

ActivityKind = Literal[
    "reading", "study", "arts", "sports", "outing", "festival", "safety", "other"
]
KIND_ZH = zh_map("community_activity")


class ActivityCreate(BaseModel):
    """An activity held in a village's minors' venue; `id` is chosen by the phone (the same id
    and body again replay the first answer)."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID = Field(description="Client-generated id; the same id and body replay.")
    village_code: str = Field(min_length=1, max_length=12, examples=["110115001001"])
    held_on: Date
    kind: ActivityKind
    title: str = Field(min_length=1, max_length=200, examples=["六一游园会"])
    child_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=500, description="Ledger children who took part."
    )
    others: int = Field(default=0, ge=0, le=10000, description="How many other children came.")
    note: str | None = Field(default=None, max_length=2000)


class ActivityOut(BaseModel):
    id: uuid.UUID
    village_code: str
    town_code: str | None
    held_on: date
    kind: ActivityKind
    title: str
    child_ids: list[uuid.UUID]
    ledger_children: int
    others: int
    participants: int
    note: str | None
    created_at: datetime
    created_by: str | None


class ChildWithoutActivity(BaseModel):
    child_id: uuid.UUID
    name: str
    category: str
    village_code: str | None
    town_code: str | None


DefaultThisYear = Annotated[int | None, Field(ge=2000, le=2100, description="Default: this year.")]


class ActivityQuery(BaseModel):
    year: DefaultThisYear = None
    village_code: AreaField = None
    kind: ActivityKind | None = None
    limit: Limit = 50
    cursor: Cursor = None


class WithoutActivityQuery(BaseModel):
    year: DefaultThisYear = None
    area_code: AreaField = None
    limit: Limit = 50
    cursor: Cursor = None
