"""Request and response bodies of the incidents API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from app.incidents.situations import Situation
from app.kit.crud import Cursor, Limit
from app.kit.types import Date, Instant, Timestamp

IncidentKind = Literal[
    "sexual_abuse",
    "physical_abuse",
    "bullying",
    "unexplained_injury",
    "neglect",
    "abandonment",
    "trafficking",
    "begging",
    "self_harm",
    "minor_pregnancy",
    "domestic_violence",
    "other",
]
IncidentStatus = Literal[
    "draft", "reported", "acknowledged", "investigating", "intervening", "closed"
]
Outcome = Literal["substantiated", "unsubstantiated", "transferred"]
OtherAgency = Literal["health", "education", "disabled_federation", "women_federation"]
Gender = Literal["male", "female"]


class ChildFacts(BaseModel):
    """What is known of a minor who is not on the ledger."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, examples=["王小明"])
    age: int | None = Field(default=None, ge=0, le=17, description="Approximate age in years.")
    birth_date: Date | None = None
    gender: Gender
    id_number: str | None = Field(
        default=None, min_length=15, max_length=20, description="Resident ID number, if known."
    )

    @model_validator(mode="after")
    def _age_or_birth_date(self) -> ChildFacts:
        if self.age is None and self.birth_date is None:
            raise ValueError("须提供年龄或出生日期|Give an age or a birth date")
        return self


class IncidentCreate(BaseModel):
    """A mandatory report (or, with `draft: true`, a draft to complete within the hour)."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID = Field(description="Client-generated id; the same id and body replay.")
    draft: StrictBool = Field(default=False, description="A draft: only the child is required.")
    child_id: uuid.UUID | None = Field(default=None, description="A child on the ledger.")
    child: ChildFacts | None = Field(default=None, description="A minor not on the ledger.")
    situations: list[Situation] | None = Field(
        default=None,
        max_length=9,
        description="The situations of the 2020 opinion the report falls under (codes; "
        "`GET /api/v1/incidents/situations` lists them with their wording). At least one, "
        "unless a draft.",
        examples=[["injuries_suggesting_violence"]],
    )
    kinds: list[IncidentKind] | None = Field(
        default=None, min_length=1, max_length=12, description="Descriptive tags."
    )
    description: str | None = Field(default=None, min_length=1, max_length=10000)
    discovered_at: Instant | None = None
    location: str | None = Field(default=None, min_length=1, max_length=500)
    immediate_danger: StrictBool | None = None
    visit_id: uuid.UUID | None = Field(default=None, description="The visit that found it.")


class IncidentComplete(BaseModel):
    """The facts that turn a draft into a report."""

    model_config = ConfigDict(extra="forbid")

    situations: list[Situation] = Field(
        min_length=1, max_length=9, description="The situations of the 2020 opinion (codes)."
    )
    kinds: list[IncidentKind] = Field(min_length=1, max_length=12)
    description: str = Field(min_length=1, max_length=10000)
    discovered_at: Instant
    location: str = Field(min_length=1, max_length=500)
    immediate_danger: bool


class InterventionIn(BaseModel):
    """临时监护 or 未成年人救助保护中心 placement, recorded when the case moves to intervening."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["temporary_guardianship", "protection_centre_placement", "other"]
    since: Date
    guardian_name: str | None = Field(default=None, min_length=1, max_length=100)
    guardian_relation: str | None = Field(default=None, max_length=50)
    centre_name: str | None = Field(default=None, min_length=1, max_length=200)
    detail: str | None = Field(default=None, max_length=2000)
    intake_id: uuid.UUID | None = Field(
        default=None,
        description="protection_centre_placement: the centre's open intake of the child, if it "
        "took the child in already (else one is opened)",
    )

    @model_validator(mode="after")
    def _needs(self) -> InterventionIn:
        if self.kind == "temporary_guardianship" and not self.guardian_name:
            raise ValueError("临时监护须填写监护人|A temporary guardianship names the guardian")
        if self.kind == "protection_centre_placement" and not self.centre_name:
            raise ValueError("安置须填写保护中心名称|A placement names the protection centre")
        return self


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Literal["acknowledged", "investigating", "intervening", "closed"]
    note: str | None = Field(default=None, max_length=5000)
    outcome: Outcome | None = Field(default=None, description="Required when `to` is closed.")
    interventions: list[InterventionIn] = Field(
        default_factory=list, max_length=10, description="Only when `to` is intervening."
    )


class ReferralCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency: OtherAgency
    note: str | None = Field(default=None, max_length=5000)


class SituationOut(BaseModel):
    """A situation of the 2020 opinion, with its item number and the opinion's wording."""

    code: Situation
    number: int = Field(ge=1, le=9, description="The item of the opinion's article 4.")
    text: str = Field(examples=["未成年人被遗弃或长期处于无人照料状态的"])


class SituationInfo(SituationOut):
    """A situation as the vocabulary lists it."""

    label_en: str
    urgent: bool = Field(
        description="Referred with the short acknowledgement deadline "
        "(INCIDENT_URGENT_ACK_SLA_MINUTES)."
    )


class ChildView(BaseModel):
    id: uuid.UUID | None
    on_ledger: bool
    name: str | None
    gender: str | None
    birth_date: Date | None
    age: int | None
    id_number_masked: str | None


class StepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str | None
    to_status: str
    at: datetime
    actor_kind: str
    actor_name: str | None
    note: str | None
    outcome: str | None


class ReferralUpdateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    author: str
    status: str | None
    note: str | None
    case_number: str | None


# What staff and the agency both see of a referral (no docstring: each answer has its own).
class ReferralFacts(BaseModel):
    id: uuid.UUID
    agency: str
    status: str
    urgent: bool
    referred_at: datetime
    ack_due_at: datetime
    acknowledged_at: datetime | None


class StaffReferralOut(ReferralFacts):
    acknowledged_by: str | None
    agency_case_number: str | None
    escalated_at: datetime | None
    note: str | None
    updates: list[ReferralUpdateOut]


class IncidentOut(BaseModel):
    """The whole incident: its reporter, district admins and the auditor see this."""

    view: Literal["full"] = "full"
    id: uuid.UUID
    status: str
    outcome: str | None
    child: ChildView
    situations: list[SituationOut]
    situations_inferred: bool = Field(
        description="True when the situations were inferred from the kinds of a report filed "
        "before situations existed, not stated by its reporter."
    )
    kinds: list[str]
    description: str | None
    discovered_at: datetime | None
    location: str | None
    immediate_danger: bool
    urgent: bool
    visit_id: uuid.UUID | None
    reporter_id: uuid.UUID
    reporter_name: str
    drafted_at: datetime | None
    reported_at: datetime | None
    closed_at: datetime | None
    escalated: bool
    escalated_at: datetime | None
    escalation_reason: str | None
    interventions: list[dict[str, object]]
    steps: list[StepOut]
    referrals: list[StaffReferralOut]
    created_at: datetime
    updated_at: datetime


class IncidentSummary(BaseModel):
    """What a town supervisor sees: that there is an incident for a child of the town, its status."""

    view: Literal["summary"] = "summary"
    id: uuid.UUID
    status: str
    child_id: uuid.UUID | None
    child_name: str | None
    reported_at: datetime | None
    updated_at: datetime


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    incident_id: uuid.UUID | None
    referral_id: uuid.UUID | None
    title: str
    created_at: datetime
    read_at: datetime | None


class NotificationQuery(BaseModel):
    unread: bool | None = None
    limit: Limit = 50
    cursor: Cursor = None


class IncidentQuery(BaseModel):
    status: IncidentStatus | None = None
    escalated: Annotated[bool | None, Field(description="Only escalated (or not) ones")] = None
    urgent: bool | None = None
    child_id: uuid.UUID | None = None
    updated_since: Timestamp | None = None
    situation: Annotated[
        Situation | None, Field(description="Only reports naming this situation (a code).")
    ] = None
    limit: Limit = 50
    cursor: Cursor = None
