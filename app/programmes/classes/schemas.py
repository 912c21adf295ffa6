"""Bodies of the parents'-class routes 智慧父母 (issue 24: topic, expert field `education` |
`psychology` | `law`, mode `school` | `online`, date, place or link; attendance by ledger child and
a count of other participants)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.kit.crud import Cursor, Limit
from app.kit.params import AreaField, YearField
from app.kit.types import Date

ExpertField = Literal["education", "psychology", "law"]
ClassMode = Literal["school", "online"]


class ClassCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str = Field(min_length=1, max_length=200)
    expert_field: ExpertField
    mode: ClassMode
    held_on: Date
    place: str | None = Field(
        default=None, min_length=1, max_length=200, description="The school (mode `school`)."
    )
    link: str | None = Field(
        default=None,
        max_length=500,
        pattern=r"^https?://\S+$",
        description="The online room (mode `online`).",
    )
    town_code: str | None = Field(
        default=None,
        max_length=12,
        description="The town holding it; none for a district-wide class (district admins). "
        "A town supervisor's class is in their town.",
    )
    others_count: int = Field(
        default=0, ge=0, le=100_000, description="Participants who are not ledger families."
    )


class AttendanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    child_ids: list[uuid.UUID] = Field(
        max_length=500,
        description="Ledger children whose parent or guardian attended (added; a child already "
        "recorded stays recorded once).",
    )
    others_count: int | None = Field(
        default=None,
        ge=0,
        le=100_000,
        description="Replaces the count of other participants (the class's organisers only).",
    )


class Attendee(BaseModel):
    child_id: uuid.UUID
    child_name: str
    village_code: str | None


class ClassOut(BaseModel):
    id: uuid.UUID
    topic: str
    expert_field: ExpertField
    mode: ClassMode
    held_on: Date
    place: str | None
    link: str | None
    town_code: str | None
    others_count: int
    ledger_families: int = Field(description="Ledger children whose family attended (all).")
    attendees: list[Attendee] = Field(description="Those of them the caller may see.")
    created_at: datetime
    created_by: str


class TownAttendance(BaseModel):
    town_code: str | None = Field(description="None: the welfare institute's children.")
    town_name: str
    ledger_children: int = Field(description="Children on the ledger at some time in the year.")
    attended: int = Field(description="Of them, those whose family attended a class that year.")
    ratio: float | None


class ClassReport(BaseModel):
    year: int
    classes: int
    others: int = Field(description="Other participants of the year's classes.")
    towns: list[TownAttendance]


class ClassQuery(BaseModel):
    year: YearField = None
    town_code: AreaField = None
    limit: Limit = 50
    cursor: Cursor = None
