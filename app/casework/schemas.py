"""Case work 精准帮扶 in and out: agencies, cases, assessment, plan, services, reviews, months."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
)

from app.kit.crud import Cursor, Limit
from app.kit.money import Money
from app.kit.types import Date, Timestamp
from app.models.casework import (
    ASSESSMENT_DOMAINS,
    CaseOutcome,
    CaseStatus,
    Domain,
    GoalProgress,
    ServiceMode,
)

# The six domains of an assessment, in the order the answer lists them.
DOMAINS: Final = ASSESSMENT_DOMAINS


# -- agencies ------------------------------------------------------------------------------------


class AgencyCreate(BaseModel):
    """A contracted social-work agency 签约社工机构 (精准帮扶's professional third party)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["大兴区阳光社会工作服务中心"])
    contract_from: Date
    contract_to: Date
    hours_bought: StrictInt = Field(gt=0, le=1_000_000, description="Hours the contract buys.")
    hourly_rate: Money = Field(description='Yuan per hour, a decimal string (`"120.00"`).')

    @field_validator("hourly_rate")
    @classmethod
    def _positive(cls, v: Decimal) -> Decimal:
        if v <= 0:
            raise ValueError("小时单价须大于零|hourly_rate must be above zero")
        if v > 100_000:  # the rate is stored in fen as a 32-bit integer
            raise ValueError("小时单价不得超过 100000 元|hourly_rate must not exceed 100000.00")
        return v

    @field_validator("contract_to")
    @classmethod
    def _period(cls, v: date, info: ValidationInfo) -> date:
        start = info.data.get("contract_from")
        if start is not None and v < start:
            raise ValueError("合同结束日期不能早于开始日期|contract_to is before contract_from")
        return v


class AgencyOut(BaseModel):
    id: uuid.UUID
    name: str
    contract_from: date
    contract_to: date
    hours_bought: int
    hourly_rate: Money
    version: int
    created_at: datetime


class AgencyMonthOut(BaseModel):
    """An agency's month against its contract (合同监管)."""

    agency_id: uuid.UUID
    agency_name: str
    month: str
    contract_from: date
    contract_to: date
    hours_bought: int = Field(description="Hours the whole contract buys.")
    hourly_rate: Money
    minutes_delivered: int = Field(description="Service minutes recorded in the month.")
    hours_delivered: str = Field(
        description="The month's minutes as hours, two places half up (display; the invoice is "
        "computed on minutes)."
    )
    hours_delivered_before: str = Field(description="Hours delivered in earlier months.")
    hours_remaining: str = Field(description="Hours the contract still covers after the month.")
    hours_billable: str
    hours_over_contract: str = Field(description="Hours delivered beyond the hours bought.")
    invoice_amount: Money = Field(
        description="Billable minutes × hourly rate ÷ 60, on the month's total, half up to the fen."
    )
    services: int
    cases_open: int = Field(description="Cases open at any time in the month.")
    reviews_overdue: int = Field(description="Cases in service whose review was due by month end.")


# -- cases ---------------------------------------------------------------------------------------


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID = Field(description="Client-generated id; the same id and body replay.")
    child_id: uuid.UUID
    agency_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=5000, description="Why case work is needed.")
    override_reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="The district's reason to open a case for a child on no social assistance.",
    )


class DomainScore(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: StrictInt = Field(ge=1, le=5, description="1 (serious need) … 5 (no need).")
    notes: str | None = Field(default=None, max_length=5000)


class AssessmentIn(BaseModel):
    """需求评估: a score and notes in each of the six domains (all six)."""

    model_config = ConfigDict(extra="forbid")

    assessed_on: Date
    living: DomainScore
    health: DomainScore
    education: DomainScore
    psychological: DomainScore
    family_relations: DomainScore
    safety: DomainScore


class PlannedService(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1, max_length=1000)
    mode: ServiceMode
    frequency: str | None = Field(default=None, max_length=200, examples=["每月两次"])


class GoalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID | None = Field(default=None, description="Keep an existing goal (a revision).")
    domain: Domain
    title: str = Field(min_length=1, max_length=1000)
    planned_services: list[PlannedService] = Field(min_length=1, max_length=20)


class PlanIn(BaseModel):
    """服务计划: goals with their planned services. A revision names the goals it keeps by id;
    goals left out are retired (their service records and reviews stay)."""

    model_config = ConfigDict(extra="forbid")

    set_on: Date
    goals: list[GoalIn] = Field(min_length=1, max_length=20)


class ServiceIn(BaseModel):
    """服务记录: one session of case work."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID = Field(description="Client-generated id; the same id and body replay.")
    served_on: Date
    minutes: StrictInt = Field(gt=0, le=1440, description="Minutes of service (1–1440).")
    mode: ServiceMode
    goal_id: uuid.UUID | None = Field(default=None, description="The plan goal it serves.")
    notes: str | None = Field(default=None, max_length=10000)
    disclosure: StrictBool = Field(
        default=False,
        description="The child disclosed harm (or the worker suspects it): a draft mandatory "
        "report is opened, the worker its reporter.",
    )
    disclosure_note: str | None = Field(default=None, max_length=10000)


class GoalProgressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    goal_id: uuid.UUID
    progress: GoalProgress
    note: str | None = Field(default=None, max_length=5000)


class ReviewIn(BaseModel):
    """回顾: the progress of every current goal."""

    model_config = ConfigDict(extra="forbid")

    reviewed_on: Date
    progress: list[GoalProgressIn] = Field(min_length=1, max_length=20)
    summary: str | None = Field(default=None, max_length=10000)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    closed_on: Date
    outcome: CaseOutcome
    note: str | None = Field(default=None, max_length=10000)


class CaseChild(BaseModel):
    """What the case gives its worker of the child (the ledger itself stays closed to them)."""

    id: uuid.UUID
    name: str
    gender: str
    birth_date: date
    age: int
    id_number: str = Field(description="Masked.")
    category: str
    placement: str
    village_code: str | None
    guardians: list[dict[str, Any]]
    school_stage: str | None
    school_name: str | None


class GoalOut(BaseModel):
    id: uuid.UUID
    domain: str
    title: str
    planned_services: list[dict[str, Any]]
    progress: GoalProgress
    retired: bool


class ServiceOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    served_on: date
    minutes: int
    mode: ServiceMode
    goal_id: uuid.UUID | None
    notes: str | None
    disclosure: bool
    incident_id: uuid.UUID | None = Field(description="The draft mandatory report it opened.")
    worker_id: uuid.UUID
    created_at: datetime


class ReviewOut(BaseModel):
    id: uuid.UUID
    reviewed_on: date
    progress: list[dict[str, Any]]
    summary: str | None
    reviewer_name: str
    created_at: datetime


class StepOut(BaseModel):
    from_status: str | None
    to_status: str
    at: datetime
    actor_name: str
    note: str | None


class CaseSummary(BaseModel):
    id: uuid.UUID
    child_id: uuid.UUID
    child_name: str
    agency_id: uuid.UUID
    status: CaseStatus
    opened_on: date
    next_review_due: date | None
    review_overdue: bool
    outcome: CaseOutcome | None
    updated_at: datetime


class CaseQuery(BaseModel):
    """The filters and page of the list of cases."""

    status: CaseStatus | None = None
    agency_id: uuid.UUID | None = None
    child_id: uuid.UUID | None = None
    review_overdue: bool = Field(False, description="Only cases whose review is overdue")
    updated_since: Timestamp | None = None
    limit: Limit = 50
    cursor: Cursor = None


class CaseOut(BaseModel):
    id: uuid.UUID
    status: CaseStatus
    child: CaseChild
    agency_id: uuid.UUID
    agency_name: str
    reason: str
    assistance: list[dict[str, Any]] = Field(
        description="The social assistance the child received when the case opened."
    )
    override_reason: str | None
    opened_on: date
    opened_by: str
    assessment: dict[str, Any] | None
    assessed_on: date | None
    plan_set_on: date | None
    goals: list[GoalOut]
    next_review_due: date | None
    review_overdue: bool
    reviews: list[ReviewOut]
    minutes_delivered: int
    closed_on: date | None
    outcome: CaseOutcome | None
    closing_note: str | None
    steps: list[StepOut]
    version: int
    created_at: datetime
    updated_at: datetime
