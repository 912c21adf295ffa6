"""Screening referrals in and out (监测摸排转介)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from app.kit.crud import Cursor, Limit
from app.kit.types import Timestamp
from app.kit.vocab import ChildSchoolStage
from app.screening.referrals.findings import Finding, Outcome, ScreeningAgency

SchoolStatus = ChildSchoolStage


class ReferralFilter(BaseModel):
    """A saved filter of screening records, as `GET /api/v1/screening/records` takes it; the
    finding's own criterion is always added (e.g. out_of_school: aged 6–15, not in school)."""

    model_config = ConfigDict(extra="forbid")

    area_code: str | None = Field(default=None, pattern=r"^\d{6,12}$", examples=["110115001"])
    classification: Literal["migrant", "left_behind", "neither"] | None = None
    age_min: StrictInt | None = Field(default=None, ge=0, le=18)
    age_max: StrictInt | None = Field(default=None, ge=0, le=18)
    school_status: SchoolStatus | None = None


class ScreeningReferralCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    record_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=500)
    filter: ReferralFilter | None = None
    agency: ScreeningAgency
    finding: Finding
    note: str | None = Field(default=None, max_length=5000)

    @model_validator(mode="after")
    def _one_source(self) -> ScreeningReferralCreate:
        if (self.record_ids is None) == (self.filter is None):
            raise ValueError(
                "须且只能提供 record_ids 或 filter 之一|Give exactly one of record_ids, filter"
            )
        return self


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    note: str | None = Field(default=None, max_length=5000)
    case_number: str | None = Field(default=None, min_length=1, max_length=64)


class ScreeningReferralOut(BaseModel):
    """A screening referral; `record` is projected to the caller (an agency: its mandate)."""

    id: uuid.UUID
    record_id: uuid.UUID
    finding: Finding
    agency: ScreeningAgency
    status: str
    outcome: Outcome | None
    outcome_note: str | None
    note: str | None
    referred_at: datetime
    ack_due_at: datetime
    acknowledged_at: datetime | None
    escalated_at: datetime | None
    resolved_at: datetime | None
    agency_case_number: str | None
    town_code: str
    record: dict[str, Any]


class ScreeningReferralQuery(BaseModel):
    """The filters and page of the list of screening referrals."""

    status: str | None = Field(None, pattern="^(pending|acknowledged|completed)$")
    finding: Finding | None = None
    agency: ScreeningAgency | None = None
    outcome: Outcome | None = None
    town_code: str | None = Field(None, pattern=r"^\d{9}$")
    escalated: bool | None = None
    updated_since: Timestamp | None = None
    limit: Limit = 50
    cursor: Cursor = None

    def filters(self) -> dict[str, Any]:
        return self.model_dump(exclude={"limit", "cursor"})


class SkippedRecord(BaseModel):
    record_id: uuid.UUID
    open_referral_id: uuid.UUID
    href: str


class ScreeningReferralBatch(BaseModel):
    """What a referral by record_ids or filter created, and which records it left (already
    referred for the same finding: their open referral)."""

    agency: ScreeningAgency
    finding: Finding
    matched: int
    created: list[ScreeningReferralOut]
    skipped: list[SkippedRecord]


class FindingCounts(BaseModel):
    referred: int
    open: int
    resolved: int = Field(description="Completed with the finding's own outcome (enrolled, …).")
    closed_otherwise: int = Field(description="Completed not_found, moved_away or other.")


class TownCounts(BaseModel):
    town_code: str
    name: str | None
    referred: int
    open: int
    resolved: int


class ScreeningReferralStats(BaseModel):
    by_finding: dict[str, FindingCounts]
    by_outcome: dict[str, int]
    by_agency: dict[str, int]
    by_town: list[TownCounts]
    overdue: int = Field(description="Pending past their acknowledgement deadline.")
