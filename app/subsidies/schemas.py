"""Request and response models of the subsidy API. Money is a decimal string ("2650.00")."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from app.kit.crud import Cursor, Limit
from app.kit.money import Money, not_negative
from app.kit.pagination import Page
from app.kit.params import AreaField
from app.kit.types import Date
from app.kit.vocab import MONTH_PATTERN, SCHOOL_YEAR_PATTERN, Category, GrantSchoolStage
from app.subsidies.rules import MedicalKind, Occasion

Benefit = Literal[
    "living_allowance",
    "medical_reimbursement",
    "education_grant",
    "holiday_condolence",
    "adult_orphan_placement",
    "medical_insurance",
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ----------------------------------------------------------------------------------- standards


class StandardCreate(_Body):
    key: str = Field(max_length=64, examples=["living_allowance.standard"])
    value: StrictBool | str | list[str] = Field(
        description='Money or ratio as a decimal string ("2800.00", "0.40"); stages as a list; '
        "an on/off rule (support_after_18_in_school) as true or false.",
        examples=["2800.00"],
    )
    effective_from: Date
    reference: str = Field(min_length=1, max_length=2000, examples=["京民儿福发〔2025〕1号"])
    note: str | None = Field(default=None, max_length=2000)
    retroactive: StrictBool = Field(
        default=False,
        description="Needed when the month of effective_from is already paid: the difference "
        "then appears as adjustment lines in the next payroll draft.",
    )

    @field_validator("value", mode="before")
    @classmethod
    def _string_or_list(cls, v: Any) -> Any:
        if isinstance(v, str | bool) or (
            isinstance(v, list) and all(isinstance(s, str) for s in v)
        ):
            return v
        raise ValueError(
            '数值须写成字符串（如 "2650.00"），学段须为代码列表，开关须为 true/false|'
            'Write amounts and ratios as strings ("2650.00"), stages as a list of codes, '
            "switches as true or false"
        )


class StandardOut(BaseModel):
    id: int
    key: str
    value: bool | str | list[str]
    effective_from: Date
    reference: str
    note: str | None
    retroactive: bool
    source: Literal["seed", "api"]
    created_at: datetime
    created_by: str | None
    district_code: str | None = Field(
        default=None,
        description="Null: a city-wide standard (every district's, unless overridden); a "
        "district's code: that district's dated override.",
    )


class StandardReviewOut(BaseModel):
    """自然增长机制，每两年调整一次: the review of the living-allowance standard S."""

    key: str = Field(examples=["living_allowance.standard"])
    value: str | None = Field(description="S in force today", examples=["2650.00"])
    in_force_since: Date | None = Field(description="Its effective_from")
    review_due_on: Date | None = Field(description="in_force_since + 24 months")
    review_due: bool = Field(
        description="True once S has been in force for 24 months and no newer value is appended"
    )
    months_in_force: int | None
    next_effective_from: Date | None = Field(
        description="A newer value already appended (the adjustment): when it takes effect"
    )


class StandardsPage(Page[StandardOut]):
    standard_review: StandardReviewOut


class StandardCreated(StandardOut):
    adjusted_months: list[str] = Field(
        default_factory=list,
        description="Approved months this retroactive value changes: the next payroll draft "
        "carries their adjustment lines.",
    )
    stale_drafts: list[str] = Field(
        default_factory=list, description="Draft payrolls to recompute with the new value."
    )


# --------------------------------------------------------------------------------------- quote


class QuoteFacts(_Body):
    birth_date: Date | None = None
    approved_on: Date | None = None
    revoked_on: Date | None = None
    school_stage: GrantSchoolStage | None = None
    schooling_ends_on: Date | None = Field(
        default=None,
        description="The normal end of a full-time schooling: after the 18th birthday an orphan "
        "or de-facto-unsupported student is supported until then (support_after_18_in_school)",
    )


class QuoteRequest(_Body):
    child_id: uuid.UUID | None = None
    category: Category | None = None
    facts: QuoteFacts | None = None
    month: str = Field(pattern=MONTH_PATTERN, examples=["2026-06"])


class QuoteItem(BaseModel):
    benefit: str
    amount: Money
    eligible: bool
    trace: dict[str, Any]


class QuoteOut(BaseModel):
    month: str
    child_id: uuid.UUID | None
    category: Category
    items: list[QuoteItem]
    total: Money


# ------------------------------------------------------------------------------ medical claims


class ClaimCreate(_Body):
    child_id: uuid.UUID
    kind: MedicalKind
    service_date: Date
    bill_total: Money
    basic_insurance_paid: Money
    other_insurance_paid: Money = Field(
        description="普惠保 and supplementary insurance together (0.00 if none)."
    )


class ClaimReject(_Body):
    reason: str = Field(min_length=1, max_length=2000)


class ClaimOut(BaseModel):
    id: uuid.UUID
    child_id: uuid.UUID
    kind: MedicalKind
    service_date: Date
    category: Category
    bill_total: Money
    basic_insurance_paid: Money
    other_insurance_paid: Money
    remainder: Money
    reimbursable: Money
    trace: dict[str, Any]
    status: Literal["submitted", "approved", "paid", "rejected"]
    rejection_reason: str | None
    created_at: datetime
    created_by: str | None
    decided_at: datetime | None
    decided_by: str | None
    paid_at: datetime | None
    paid_by: str | None
    review_flags: list[Literal["puhuibao_not_claimed"]] = Field(
        default_factory=list,
        description="For the reviewer: puhuibao_not_claimed — a de-facto-unsupported child "
        "enrolled in 普惠保 on the service date, and other_insurance_paid 0.00 "
        "(app/insurance/claims_link.py).",
    )


# ------------------------------------------------------------------------------------ payrolls


class PayrollCreate(_Body):
    month: str = Field(pattern=MONTH_PATTERN, examples=["2026-05"])


class PayrollApprove(_Body):
    note: str | None = Field(default=None, max_length=2000)


class CategoryTotal(BaseModel):
    category: str
    category_zh: str
    line_count: int
    amount: Money


class TownTotal(BaseModel):
    town_code: str | None = Field(description="None for children placed in the institute.")
    town_name: str
    line_count: int
    amount: Money


class PayrollTotals(BaseModel):
    by_category: list[CategoryTotal]
    by_town: list[TownTotal]


class PayrollOut(BaseModel):
    id: uuid.UUID
    month: str
    status: Literal["draft", "approved"]
    line_count: int
    total_amount: Money
    regular_count: int
    regular_amount: Money
    adjustment_count: int
    adjustment_amount: Money
    totals: PayrollTotals
    created_at: datetime
    created_by: str | None
    computed_at: datetime
    approved_at: datetime | None
    approved_by: str | None
    approval_note: str | None


class Payee(BaseModel):
    name: str
    id_number_masked: str
    guardian_name: str | None
    bank_account: str | None


class PayrollLineOut(BaseModel):
    id: int
    child_id: uuid.UUID
    kind: Literal["regular", "adjustment"]
    for_month: str
    category: str
    town_code: str | None
    village_code: str | None
    amount: Money
    payee: Payee
    facts: dict[str, Any]
    parameters: list[dict[str, Any]]
    reason: str | None
    original_line_id: int | None


# ------------------------------------------------------------------------ grant and holiday runs


class EducationGrantCreate(_Body):
    school_year: str = Field(pattern=SCHOOL_YEAR_PATTERN, examples=["2025-2026"])

    @field_validator("school_year")
    @classmethod
    def _consecutive(cls, v: str) -> str:
        start, end = (int(p) for p in v.split("-"))
        if end != start + 1 or start < 2000:
            raise ValueError("学年格式应为“2025-2026”|School year must look like 2025-2026")
        return v


class HolidayRunCreate(_Body):
    occasion: Occasion
    year: int = Field(ge=2000, le=2100)


class BenefitRunOut(BaseModel):
    id: uuid.UUID
    benefit: Literal["education_grant", "holiday_condolence"]
    period: str
    reference_date: Date
    line_count: int
    total_amount: Money
    totals: PayrollTotals
    status: Literal["draft", "approved"] = Field(
        description="A draft counts as spent once someone other than its creator approves it."
    )
    created_at: datetime
    created_by: str | None
    approved_at: datetime | None
    approved_by: str | None


class BenefitLineOut(BaseModel):
    id: int
    child_id: uuid.UUID
    category: str
    town_code: str | None
    amount: Money
    payee: Payee
    facts: dict[str, Any]
    parameters: list[dict[str, Any]]


# ---------------------------------------------------------------------------- budget, spending


class BudgetCreate(_Body):
    year: int = Field(ge=2000, le=2100)
    amount: Annotated[Money, not_negative("预算不能为负数", "The budget cannot be negative")]
    reference: str | None = Field(default=None, max_length=2000)


class BudgetOut(BaseModel):
    year: int
    amount: Money
    reference: str | None
    created_at: datetime
    created_by: str | None


class BenefitSpending(BaseModel):
    benefit: Benefit
    benefit_zh: str
    amount: Money


class MonthSpending(BaseModel):
    month: str
    amounts: dict[str, Money] = Field(description="Spending of the month by benefit.")
    total: Money


class PartnerFundSpending(BaseModel):
    """Money a partner paid from its own fund for the district's children: reported beside
    the bureau's budget, never counted in `spent`."""

    fund: Literal["women_federation_education_aid"]
    fund_zh: str
    partner: str
    children: int
    amount: Money


class SpendingOut(BaseModel):
    year: int
    budget: Money | None
    spent: Money
    remaining: Money | None
    share_spent: str | None = Field(description="spent ÷ budget, 4 decimal places.")
    by_benefit: list[BenefitSpending]
    by_month: list[MonthSpending]
    partner_funds: list[PartnerFundSpending] = Field(
        default_factory=list,
        description="Paid from partners' funds (the women's federation's education aid), "
        "apart from the bureau's budget and not in `spent`.",
    )


class ClaimQuery(BaseModel):
    child_id: uuid.UUID | None = None
    status: Literal["submitted", "approved", "paid", "rejected"] | None = None
    limit: Limit = 50
    cursor: Cursor = None


class PayrollLineQuery(BaseModel):
    kind: Literal["regular", "adjustment"] | None = None
    town_code: AreaField = None
    limit: Limit = 50
    cursor: Cursor = None
