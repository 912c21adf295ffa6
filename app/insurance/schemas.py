"""Request and response models of the insurance enrolment (医疗保险参保)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.kit.crud import Cursor, Limit
from app.kit.money import Money
from app.kit.types import Date
from app.kit.vocab import Category
from app.models.insurance import EnrolmentStatus, InsuranceSchemeCode

__all__ = ["EnrolmentStatus", "InsuranceSchemeCode"]

Year = Field(ge=2000, le=2100, description="The insurance year (the calendar year covered).")
DueReason = Literal["refused_by_insurer", "renewal", "category_changed", "new_child"]
SCHEME_DESCRIPTION = (
    "basic_medical 城乡居民基本医疗保险 | puhuibao 普惠保 | supplementary 补充医疗保险"
)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _not_negative(v: Any) -> Any:
    if v is not None and v < 0:
        raise ValueError("保费不能为负数|The premium cannot be negative")
    return v


class SchemeCreate(_Body):
    scheme: InsuranceSchemeCode = Field(description=SCHEME_DESCRIPTION)
    year: int = Year
    effective_from: Date = Field(description="From this day on these parameters apply.")
    premium: Money = Field(description="The premium per person the bureau pays (per year).")
    categories: list[Category] = Field(
        min_length=1, max_length=4, description="The ledger categories enrolled free."
    )
    window_from: Date = Field(description="The enrolment window's first day.")
    window_to: Date = Field(description="The enrolment window's last day.")
    reference: str | None = Field(default=None, max_length=2000, description="The policy text.")

    _premium = field_validator("premium")(classmethod(lambda cls, v: _not_negative(v)))

    @field_validator("categories")
    @classmethod
    def _once(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("类别重复|A category is listed twice")
        return v


class SchemeOut(BaseModel):
    id: uuid.UUID
    scheme: InsuranceSchemeCode
    scheme_zh: str
    year: int
    effective_from: Date
    premium: Money
    categories: list[Category]
    window_from: Date
    window_to: Date
    reference: str | None
    created_at: datetime
    created_by: str
    in_force: bool = Field(description="The parameters of this scheme and year in force today.")


class EnrolmentCreate(_Body):
    child_id: uuid.UUID
    scheme: InsuranceSchemeCode = Field(description=SCHEME_DESCRIPTION)
    year: int = Year
    status: EnrolmentStatus = Field(
        default="due",
        description="due 待参保 | submitted 已报送 | enrolled 已参保 | refused_by_insurer 承保方拒保 "
        "| not_required 无需参保 (with `reason`)",
    )
    policy_number: str | None = Field(
        default=None, min_length=1, max_length=64, description="Required when enrolled."
    )
    premium: Money | None = Field(
        default=None,
        description="The premium the bureau paid; by default the scheme's (submitted, enrolled).",
    )
    enrolled_on: Date | None = Field(default=None, description="The day the cover was confirmed.")
    reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="Why not required (e.g. insured through a parent's employer), or why refused.",
    )

    _premium = field_validator("premium")(classmethod(lambda cls, v: _not_negative(v)))


class EnrolmentPatch(_Body):
    status: EnrolmentStatus | None = None
    policy_number: str | None = Field(default=None, min_length=1, max_length=64)
    premium: Money | None = None
    enrolled_on: Date | None = None
    reason: str | None = Field(default=None, min_length=1, max_length=2000)

    _premium = field_validator("premium")(classmethod(lambda cls, v: _not_negative(v)))


class EnrolmentOut(BaseModel):
    id: uuid.UUID
    child_id: uuid.UUID
    child_name: str
    id_number_masked: str
    area_code: str | None = Field(description="The child's village (null: the institute).")
    scheme: InsuranceSchemeCode
    scheme_zh: str
    year: int
    status: EnrolmentStatus
    status_zh: str
    due_reason: DueReason | None
    not_required_reason: str | None
    refusal_reason: str | None
    policy_number: str | None
    enrolled_on: Date | None
    premium: Money | None
    submitted_at: datetime | None
    answered_at: datetime | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    version: int


class WorklistItem(BaseModel):
    child_id: uuid.UUID
    name: str
    id_number_masked: str
    category: Category
    area_code: str | None = Field(description="The child's village (null: the institute).")
    town_code: str | None
    town_name: str | None
    scheme: InsuranceSchemeCode
    year: int
    reason: DueReason = Field(
        description="refused_by_insurer 承保方拒保待重报 | renewal 续保 | category_changed 类别变更 | "
        "new_child 新纳入"
    )
    reason_zh: str
    turns_18_on: Date | None = Field(
        description="The 18th birthday when it falls within the insurance year."
    )
    enrolment_id: uuid.UUID | None = Field(description="The generated `due` row, if any.")
    status: Literal["due", "refused_by_insurer"] | None
    premium: Money = Field(description="The scheme's premium in force.")


class _SchemeYear(_Body):
    """A scheme's insurance year, as a request names it."""

    year: int = Year
    scheme: InsuranceSchemeCode = Field(description=SCHEME_DESCRIPTION)


class WorklistGenerate(_SchemeYear):
    pass


class _OfSchemeYear(BaseModel):
    year: int
    scheme: InsuranceSchemeCode


class WorklistGenerated(_OfSchemeYear):
    created: int = Field(description="`due` enrolments created now.")
    already_due: int = Field(description="Children of the worklist with a `due` row already.")


class SubmissionRequest(_SchemeYear):
    pass


class AnswerImportResult(_OfSchemeYear):
    rows: int
    enrolled: int = Field(description="Rows that enrolled a child (or changed its policy).")
    refused: int = Field(description="Rows the insurer refused.")
    unchanged: int = Field(description="Rows that repeat what is recorded (a re-import).")


class SchemePremiums(BaseModel):
    scheme: InsuranceSchemeCode
    scheme_zh: str
    enrolled: int
    premiums: Money


class PremiumsOut(BaseModel):
    year: int
    budget: Money | None = Field(description="The year's classified-support budget.")
    spent: Money = Field(description="Everything spent against it, premiums included.")
    premiums: Money = Field(description="The premiums of the year's enrolments (医疗保险).")
    share_of_budget: str | None = Field(description="premiums ÷ budget, 4 decimal places.")
    remaining: Money | None
    by_scheme: list[SchemePremiums]


InsuranceYear = Annotated[int, Field(ge=2000, le=2100, description="The insurance year.")]
OptionalYear = Annotated[int | None, Field(ge=2000, le=2100, description="The insurance year.")]
AreaCode = Annotated[
    str | None, Field(max_length=12, pattern=r"^\d{6,12}$", description="A town or village.")
]


class SchemeQuery(BaseModel):
    year: OptionalYear = None
    scheme: InsuranceSchemeCode | None = None


class WorklistQuery(BaseModel):
    year: InsuranceYear
    scheme: InsuranceSchemeCode
    area_code: AreaCode = None
    limit: Limit = 50
    cursor: Cursor = None


class EnrolmentQuery(BaseModel):
    year: OptionalYear = None
    scheme: InsuranceSchemeCode | None = None
    status: EnrolmentStatus | None = None
    area_code: AreaCode = None
    child_id: uuid.UUID | None = None
    limit: Limit = 50
    cursor: Cursor = None
