"""Request and response models of the screening API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.kit.types import Date

# `interrupted`: running, but its heartbeat stopped (the worker died); it resumes by itself at
# `resume_at_row`. `cancelled`: a district admin cancelled it (what was applied stays).
ImportStatus = Literal["queued", "running", "interrupted", "done", "failed", "cancelled"]
ClassificationFilter = Literal["migrant", "left_behind", "neither", "flagged"]


class ImportAccepted(BaseModel):
    """The import was accepted: follow it at `GET /api/v1/screening/imports/{id}`."""

    id: uuid.UUID
    status: ImportStatus
    file_name: str
    warnings: list[str]


class ImportOut(BaseModel):
    """An import's state: `progress` from 0 to 1; the counts grow chunk by chunk."""

    id: uuid.UUID
    status: ImportStatus
    file_name: str
    file_kind: str
    file_size: int
    uploaded_by: str
    area_code: str
    progress: float
    total_rows: int = Field(description="Data rows read so far (all of them once done).")
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    flagged: int
    warnings: list[str]
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None = Field(
        default=None, description="The running import's last heartbeat (every few seconds)."
    )
    resume_at_row: int | None = Field(
        default=None,
        description=(
            "While `interrupted`: the file row it resumes at (the rows before it are applied)."
        ),
    )


class Flag(BaseModel):
    code: str
    message: str


class RecordOut(BaseModel):
    """A screening record. Partner agencies get only the fields of their mandate (others absent)."""

    id: uuid.UUID
    name: str | None = None
    id_number: str | None = Field(
        default=None, description="Masked, except for roles that need the whole number."
    )
    gender: str | None = None
    birth_date: Date | None = None
    age: int | None = Field(default=None, description="Age in whole years today.")
    age_at_screening: int | None = None
    hukou_code: str | None = None
    village_code: str | None = None
    town_code: str | None = None
    residence_since: Date | None = None
    accompanied_by: str | None = None
    father_away_since: Date | None = None
    mother_away_since: Date | None = None
    father_can_guard: bool | None = None
    mother_can_guard: bool | None = None
    guardian_name: str | None = None
    guardian_phone: str | None = None
    school_status: str | None = None
    school_name: str | None = None
    health_status: str | None = None
    disability_kind: str | None = None
    disability_grade: int | None = None
    screened_on: Date | None = None
    stated_classification: str | None = None
    classification: str | None = None
    flags: list[Flag] | None = None
    updated_at: datetime | None = None


class ChangeOut(BaseModel):
    field: str
    old_value: str | None
    new_value: str | None
    import_id: uuid.UUID | None
    changed_at: datetime


class RecordDetail(RecordOut):
    history: list[ChangeOut] | None = None


class CountItem(BaseModel):
    key: str
    name: str | None = None
    count: int


class StatsOut(BaseModel):
    """Counts of the area's screened children; ages are ages today."""

    area_code: str
    as_of: Date
    total: int
    by_classification: dict[str, int] = Field(
        description="migrant, left_behind, neither, and flagged (flagged ones also counted in their class)."
    )
    by_town: list[CountItem]
    by_age_band: dict[str, int]
    by_school_status: dict[str, int]
    compulsory_age_not_in_school: int = Field(
        description="Children aged 6–15 today whose school status is not_in_school (未入学)."
    )
    referrals_by_finding: dict[str, dict[str, int]] = Field(
        description="Screening referrals of the area's records per finding (out_of_school, "
        "uninsured, disability): referred, open, resolved (the finding's own outcome), "
        "closed_otherwise."
    )
