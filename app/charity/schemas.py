"""Request and response models of the charity project funds (慈善项目资金)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.kit.crud import Cursor, Limit
from app.kit.money import Money, not_negative
from app.kit.params import AreaCodeField
from app.kit.types import Date
from app.models.charity import CharityServiceType as ServiceType
from app.models.charity import CharityStatus as CharityStatus

__all__ = ["CharityStatus", "ServiceType"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _positive(v: Any) -> Any:
    if v <= 0:
        raise ValueError("金额须大于零|The amount must be more than zero")
    return v


def _unique_items(lines: list[Any]) -> list[Any]:
    items = [line.item.strip() for line in lines]
    if len(set(items)) != len(items):
        raise ValueError("预算科目重复|A budget item is listed twice")
    return lines


class BudgetLine(_Body):
    item: str = Field(min_length=1, max_length=200, description="The budget line (预算科目).")
    amount: Money

    @field_validator("amount")
    @classmethod
    def _amount(cls, v: Any) -> Any:
        return _positive(v)


class SpendingLine(_Body):
    item: str = Field(min_length=1, max_length=200, description="A budget line's item.")
    amount: Annotated[Money, not_negative("金额不能为负", "The amount must not be negative")] = (
        Field(description="What was spent on it (zero allowed).")
    )


class ApplicationCreate(_Body):
    id: uuid.UUID = Field(description="Client-chosen id: the same id and body again is a replay.")
    applicant_area_code: str = Field(
        pattern=r"^\d{6,12}$",
        description="The applying town, or the district for a district department.",
    )
    applicant_unit: str | None = Field(
        default=None, max_length=100, description="The district department applying (科室)."
    )
    service_type: ServiceType = Field(
        description="psychological_support 心理疏导 | living_help 生活帮扶 | capacity_building "
        "能力提升 | rights_protection 权益保障 | professional_training 专业培训"
    )
    title: str = Field(min_length=1, max_length=200)
    target_group: str = Field(
        min_length=1, max_length=200, description="Who the project serves (服务对象)."
    )
    planned_beneficiaries: int = Field(ge=1, le=1_000_000)
    budget: list[BudgetLine] = Field(min_length=1, max_length=50)
    period_from: Date
    period_to: Date

    @field_validator("budget")
    @classmethod
    def _budget(cls, v: list[BudgetLine]) -> list[BudgetLine]:
        return _unique_items(v)


class ReviewIn(_Body):
    decision: Literal["forward", "return"] = Field(
        description="forward 转报慈善协会 | return 退回申请单位"
    )
    note: str | None = Field(default=None, max_length=2000)


class DecisionIn(_Body):
    decision: Literal["approve", "decline"]
    approved_amount: Money | None = Field(
        default=None, description="Required to approve: more than zero, at most the request."
    )
    note: str | None = Field(default=None, max_length=2000)

    @field_validator("approved_amount")
    @classmethod
    def _amount(cls, v: Any) -> Any:
        return v if v is None else _positive(v)


class DisbursementIn(_Body):
    id: uuid.UUID = Field(description="Client-chosen id of the instalment: a retry pays once.")
    amount: Money
    paid_on: Date
    reference: str | None = Field(default=None, max_length=200, description="Bank reference.")

    @field_validator("amount")
    @classmethod
    def _amount(cls, v: Any) -> Any:
        return _positive(v)


class ReportIn(_Body):
    beneficiaries_reached: int = Field(ge=0, le=1_000_000)
    ledger_child_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=10_000,
        description="The children of the ledger among those reached.",
    )
    spending: list[SpendingLine] = Field(min_length=1, max_length=50)
    summary: str = Field(min_length=1, max_length=4000)

    @field_validator("spending")
    @classmethod
    def _spending(cls, v: list[SpendingLine]) -> list[SpendingLine]:
        return _unique_items(v)

    @field_validator("ledger_child_ids")
    @classmethod
    def _once(cls, v: list[uuid.UUID]) -> list[uuid.UUID]:
        if len(set(v)) != len(v):
            raise ValueError("儿童重复|A child is listed twice")
        return v


class DisbursementOut(BaseModel):
    id: uuid.UUID
    application_id: uuid.UUID
    amount: Money
    paid_on: Date
    reference: str | None
    recorded_at: datetime
    recorded_by: str


class ReportOut(BaseModel):
    reported_at: datetime
    reported_by: str | None
    beneficiaries_reached: int
    ledger_children: int = Field(description="How many of those reached are ledger children.")
    ledger_child_ids: list[uuid.UUID] | None = Field(
        description="Which (staff only; null for the association)."
    )
    spending: list[SpendingLine]
    spent_amount: Money
    summary: str | None


class ApplicationOut(BaseModel):
    id: uuid.UUID
    applicant_area_code: str
    applicant_area_name: str
    applicant_unit: str | None
    service_type: ServiceType
    title: str
    target_group: str
    planned_beneficiaries: int
    budget: list[BudgetLine]
    requested_amount: Money
    period_from: Date
    period_to: Date
    status: CharityStatus
    created_at: datetime
    created_by: str | None = Field(description="Staff only (null for the association).")
    reviewed_at: datetime | None
    reviewed_by: str | None
    review_note: str | None
    forwarded_at: datetime | None
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str | None
    approved_amount: Money | None
    disbursed_amount: Money
    remaining_amount: Money | None = Field(description="Approved and not yet disbursed.")
    disbursements: list[DisbursementOut]
    report_due_on: Date = Field(description="The period's end plus the grace days.")
    overdue: bool = Field(description="Approved, past `report_due_on` and no final report.")
    report: ReportOut | None
    version: int


class ApplicationQuery(BaseModel):
    status: CharityStatus | None = None
    service_type: ServiceType | None = None
    applicant_area_code: AreaCodeField = None
    limit: Limit = 50
    cursor: Cursor = None
