"""Request and response models of institute care 养治教康 (binding field names: issue 23)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.kit.crud import Cursor, Limit
from app.kit.record_check import RecordCheck, RecordCheckStanding
from app.kit.types import Date

CareDomain = Literal["care", "treatment", "education", "rehabilitation"]
CareKind = Literal[
    "daily_care",
    "nutrition",
    "hygiene",
    "medical_appointment",
    "hospital_stay",
    "medication",
    "health_check",
    "school_meeting",
    "homework_support",
    "school_enrolment",
    "rehabilitation_session",
    "rehabilitation_assessment",
    "other",
]
KINDS_BY_DOMAIN: Final[dict[str, tuple[str, ...]]] = {
    "care": ("daily_care", "nutrition", "hygiene", "other"),
    "treatment": ("medical_appointment", "hospital_stay", "medication", "health_check", "other"),
    "education": ("school_meeting", "homework_support", "school_enrolment", "other"),
    "rehabilitation": ("rehabilitation_session", "rehabilitation_assessment", "other"),
}
"""Which kinds of care record belong to which domain (rule we set)."""
TIMED_KINDS: Final = frozenset({"rehabilitation_session"})
"""Kinds of care record that must give their minutes."""

CounsellingMode = Literal["one_to_one", "group"]
Risk = Literal["self_harm", "abuse_disclosure", "other"]
ActivityKind = Literal["outing", "class", "festival_visit", "other"]

Line = Annotated[str, Field(min_length=1, max_length=500)]
Short = Annotated[str, Field(min_length=1, max_length=100)]
Photo = Annotated[str, Field(min_length=1, max_length=500)]
_PHONE = re.compile(r"^\+?[0-9 -]{7,20}$")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _unique(values: list[uuid.UUID]) -> list[uuid.UUID]:
    if len(set(values)) != len(values):
        raise ValueError("同一编号重复出现|The same id appears twice")
    return values


def _unique_or_none(values: list[uuid.UUID] | None) -> list[uuid.UUID] | None:
    return None if values is None else _unique(values)


# ---------------------------------------------------------------- care plans


class DomainPlan(_Body):
    goals: list[Line] = Field(default_factory=list, max_length=20, description="目标")
    services: list[Line] = Field(default_factory=list, max_length=30, description="计划服务")


class CarePlanDomains(_Body):
    care: DomainPlan = Field(description="养: daily care")
    treatment: DomainPlan = Field(description="治: medical treatment")
    education: DomainPlan = Field(description="教: education")
    rehabilitation: DomainPlan = Field(description="康: rehabilitation")


class CarePlanIn(_Body):
    year: int = Field(ge=2000, le=2100, description="The plan's year.")
    reviewed_on: Date = Field(description="The day the plan was drawn up or last reviewed.")
    domains: CarePlanDomains
    note: str | None = Field(default=None, max_length=4000)


class CarePlanOut(BaseModel):
    child_id: uuid.UUID
    year: int
    domains: CarePlanDomains
    note: str | None
    reviewed_on: Date
    review_due_on: Date = Field(
        description="The plan must be reviewed again by this day (CARE_PLAN_REVIEW_MONTHS)."
    )
    review_overdue: bool
    updated_by: str
    version: int
    created_at: datetime
    updated_at: datetime


# ---------------------------------------------------------------- care records


class CareRecordIn(_Body):
    id: uuid.UUID = Field(description="Client-generated; the same id and body again → 200.")
    child_id: uuid.UUID
    domain: CareDomain
    kind: CareKind = Field(description="Which kinds belong to which domain: see the docs.")
    recorded_on: Date
    minutes: int | None = Field(default=None, ge=1, le=1440)
    notes: str | None = Field(default=None, max_length=4000)


class CareRecordOut(BaseModel):
    id: uuid.UUID
    child_id: uuid.UUID
    domain: CareDomain
    kind: CareKind
    recorded_on: Date
    minutes: int | None
    notes: str | None
    staff_id: uuid.UUID
    staff_name: str
    created_at: datetime


# ---------------------------------------------------------------- counselling


class CounsellingIn(_Body):
    id: uuid.UUID = Field(description="Client-generated; the same id and body again → 200.")
    mode: CounsellingMode
    counsellor_id: uuid.UUID = Field(description="The counsellor's user id (art. 62 checked).")
    child_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=30, description="One for one_to_one, two or more for group."
    )
    held_on: Date
    minutes: int = Field(ge=1, le=480)
    topics: list[Short] = Field(default_factory=list, max_length=20)
    summary: str = Field(
        min_length=1, max_length=4000, description="What the institute's staff may read."
    )
    confidential_notes: str | None = Field(
        default=None,
        max_length=20000,
        description="Only counsellors and the district admin read these (each read audited); "
        "never in lists, exports, webhooks or the audit log.",
    )
    risk: Risk | None = Field(
        default=None, description="`abuse_disclosure` opens a draft mandatory report."
    )
    risk_child_ids: list[uuid.UUID] | None = Field(
        default=None,
        max_length=30,
        description="The children the risk concerns (default: the one child of a one-to-one "
        "session; required for a group session's abuse disclosure).",
    )
    risk_note: str | None = Field(
        default=None,
        max_length=2000,
        description="What the draft mandatory report says (not the confidential notes).",
    )

    _unique_children = field_validator("child_ids", "risk_child_ids")(_unique_or_none)


class CounsellingOut(BaseModel):
    """A session as lists show it: never the confidential notes."""

    id: uuid.UUID
    mode: CounsellingMode
    counsellor_id: uuid.UUID
    counsellor_name: str
    child_ids: list[uuid.UUID]
    held_on: Date
    minutes: int
    topics: list[str]
    summary: str
    has_confidential_notes: bool
    risk: Risk | None
    risk_child_ids: list[uuid.UUID]
    incident_ids: list[uuid.UUID] = Field(description="Draft mandatory reports it opened.")
    created_at: datetime


class CounsellingDetail(CounsellingOut):
    confidential_notes: str | None = Field(
        description="Shown to counsellors and the district admin only (null for others)."
    )


# ---------------------------------------------------------------- activities


class ActivityIn(_Body):
    id: uuid.UUID = Field(description="Client-generated; the same id and body again → 200.")
    kind: ActivityKind
    title: str = Field(min_length=1, max_length=200)
    partner_organisation: str | None = Field(default=None, min_length=1, max_length=200)
    held_on: Date
    child_ids: list[uuid.UUID] = Field(min_length=1, max_length=200)
    volunteer_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=50,
        description="Volunteers who worked with the children (art. 62 checked).",
    )
    photos: list[Photo] = Field(
        default_factory=list, max_length=30, description="References of photos stored elsewhere."
    )
    note: str | None = Field(default=None, max_length=4000)

    _unique_ids = field_validator("child_ids", "volunteer_ids")(_unique)


class ActivityOut(BaseModel):
    id: uuid.UUID
    kind: ActivityKind
    title: str
    partner_organisation: str | None
    held_on: Date
    child_ids: list[uuid.UUID]
    volunteer_ids: list[uuid.UUID]
    photos: list[str]
    note: str | None
    created_at: datetime


# ---------------------------------------------------------------- volunteers


def _check_phone(v: str | None) -> str | None:
    if v is not None and not _PHONE.match(v):
        raise ValueError("电话号码格式不正确|Invalid phone number")
    return v


class VolunteerIn(_Body):
    name: str = Field(min_length=1, max_length=100)
    organisation: str = Field(min_length=1, max_length=200, examples=["区青年志愿者服务中心"])
    phone: str | None = Field(default=None, max_length=20)
    record_check: RecordCheck | None = Field(
        default=None,
        description="The art. 62 record query; without a clear, recent one the volunteer "
        "cannot be scheduled with children.",
    )

    _phone = field_validator("phone")(_check_phone)


class VolunteerPatch(_Body):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    organisation: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=20)
    record_check: RecordCheck | None = None

    _phone = field_validator("phone")(_check_phone)

    @field_validator("name", "organisation", "record_check", mode="before")
    @classmethod
    def _not_null(cls, v: object) -> object:
        if v is None:
            raise ValueError("不能为空（不修改请省略该字段）|May not be null (omit it to keep it)")
        return v


class VolunteerOut(BaseModel):
    id: uuid.UUID
    name: str
    organisation: str
    phone: str | None
    record_check: RecordCheck | None
    record_check_standing: RecordCheckStanding
    version: int
    created_at: datetime
    updated_at: datetime


# ---------------------------------------------------------------- tutoring


class TutoringIn(_Body):
    id: uuid.UUID = Field(description="Client-generated; the same id and body again → 200.")
    volunteer_ids: list[uuid.UUID] = Field(min_length=1, max_length=20)
    child_ids: list[uuid.UUID] = Field(min_length=1, max_length=50)
    held_on: Date
    minutes: int = Field(ge=1, le=600)
    subject: str = Field(min_length=1, max_length=100, examples=["数学"])

    _unique_ids = field_validator("volunteer_ids", "child_ids")(_unique)


class TutoringOut(BaseModel):
    id: uuid.UUID
    volunteer_ids: list[uuid.UUID]
    child_ids: list[uuid.UUID]
    held_on: Date
    minutes: int
    subject: str
    created_at: datetime


# ---------------------------------------------------------------- the monthly report


class ResidentDue(BaseModel):
    child_id: uuid.UUID
    name: str
    last_on: Date | None = Field(
        description="The last counselling session, or the care plan's last review."
    )
    due_on: Date | None = Field(description="When a session or a review was due (null: never).")


class CounsellingFigures(BaseModel):
    sessions: int
    one_to_one_sessions: int
    group_sessions: int
    minutes: int
    one_to_one_minutes: int
    group_minutes: int
    hours: str = Field(description="Hours, one decimal place (a decimal string).")
    one_to_one_hours: str
    group_hours: str
    children_counselled: int
    risks: dict[str, int]


class ReportOut(BaseModel):
    month: str
    as_of: Date = Field(description="The day the standing figures are taken on.")
    residents: int
    care_records: dict[str, int] = Field(description="Care records of the month by domain.")
    care_minutes: dict[str, int] = Field(description="Minutes recorded by domain.")
    counselling: CounsellingFigures
    without_counselling: list[ResidentDue] = Field(
        description="Residents without a counselling session in the last "
        "COUNSELLING_GAP_MONTHS months."
    )
    care_plans_overdue: list[ResidentDue] = Field(
        description="Residents whose care plan was not reviewed within CARE_PLAN_REVIEW_MONTHS "
        "(or who have none)."
    )
    activities: dict[str, int] = Field(description="Activities of the month by kind.")
    activity_participations: int
    tutoring_sessions: int
    tutoring_minutes: int
    tutoring_hours: str
    volunteers_not_schedulable: int = Field(
        description="Volunteers whose record check does not allow them to work today."
    )


# -- the lists' queries: filters first, then the page

Month = Annotated[
    str | None, Field(description="A district month, YYYY-MM (Asia/Shanghai).", max_length=7)
]


class CareRecordQuery(BaseModel):
    child_id: uuid.UUID | None = None
    domain: CareDomain | None = None
    month: Month = None
    limit: Limit = 50
    cursor: Cursor = None


class CounsellingQuery(BaseModel):
    child_id: uuid.UUID | None = None
    counsellor_id: uuid.UUID | None = None
    month: Month = None
    limit: Limit = 50
    cursor: Cursor = None


class ActivityQuery(BaseModel):
    child_id: uuid.UUID | None = None
    kind: ActivityKind | None = None
    month: Month = None
    limit: Limit = 50
    cursor: Cursor = None


class TutoringQuery(BaseModel):
    child_id: uuid.UUID | None = None
    volunteer_id: uuid.UUID | None = None
    month: Month = None
    limit: Limit = 50
    cursor: Cursor = None
