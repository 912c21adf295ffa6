"""Request and response models of the children's ledger records."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app.children.rules import DeadOrMissing, Unsupporting
from app.kit.crud import Cursor, Limit
from app.kit.types import Date, Timestamp
from app.kit.vocab import ChildSchoolStage

Category = Literal[
    "orphan", "de_facto_unsupported", "poor_family_seriously_ill", "poor_family_disabled"
]
Placement = Literal["dispersed", "institution"]
Status = Literal["active", "continued_schooling", "revoked"]
Gender = Literal["male", "female"]
Situation = Literal[DeadOrMissing, Unsupporting]
Assistance = Literal["none", "subsistence", "low_income", "extreme_poverty"]
SchoolStage = ChildSchoolStage
RevokeReason = Literal["aged_out", "adopted", "deceased", "family_recovered", "moved_away", "other"]
DisabilityKind = Literal[
    "visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple"
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


EvidenceKind = Literal[
    "death_certificate",
    "court_judgment",
    "court_decision",
    "detention_decision",
    "police_report_receipt",
    "disability_certificate",
    "hospital_diagnosis",
    "deportation_record",
    "other",
]


class Evidence(_In):
    """证明材料: the document a parent's fact rests on. A fact stated anew that the category
    rests on names all four of kind, number, issuer and issued_on; `note` keeps the free text of
    facts recorded before (their evidence became kind `other`)."""

    kind: EvidenceKind = Field(
        description="death_certificate 死亡证明, court_judgment 判决书, court_decision 裁定书/"
        "宣告死亡或失踪判决, detention_decision 强制隔离戒毒或其他限制人身自由的决定书, "
        "police_report_receipt 公安机关受案回执, disability_certificate 残疾人证, "
        "hospital_diagnosis 医院诊断证明, deportation_record 遣送（驱逐）出境文书, other"
    )
    number: str | None = Field(default=None, min_length=1, max_length=100)
    issuer: str | None = Field(default=None, min_length=1, max_length=100)
    issued_on: Date | None = None
    note: str | None = Field(default=None, max_length=500)
    document_id: uuid.UUID | None = Field(
        default=None,
        description="The scan of this evidence in the document store (a stored document of kind "
        "evidence, POST /api/v1/documents).",
    )


class IllnessAcceptance(_In):
    """A district admin's acceptance of an illness outside the district's serious-illness list.

    Only `reason` is taken from a request; who accepted it and when are set by the server (and
    kept when the same acceptance is sent back unchanged)."""

    reason: str = Field(min_length=1, max_length=500)
    accepted_by: str | None = Field(default=None, max_length=100, description="set by the server")
    accepted_on: Date | None = Field(default=None, description="set by the server")


class Parent(_In):
    """A parent's situation 父母情形: a dated fact with its evidence (民发〔2019〕62号).

    - `since`: the fact's first day — the term's first day for 服刑在押/强制隔离戒毒/其他限制人身
      自由的措施; for `lost_contact` 失联 the date the police accepted the report.
    - `term_months`: the term imposed by the judgment or decision, required for `imprisoned`,
      `compulsory_drug_rehab`, `liberty_restricted` ("是指期限在6个月以上").
    - `disability_grade`, `disability_kind`: the disability certificate's, required for
      `severe_disability` ("一级二级残疾或三级四级精神、智力残疾").
    - `illness`: required for `serious_illness`, checked against the district's list.
    - `verified_on`: the day the district last verified the fact (its yearly review counts on).
    """

    relation: Literal["father", "mother"]
    situation: Situation
    since: Date
    term_months: int | None = Field(default=None, ge=1, le=1200)
    disability_grade: int | None = Field(default=None, ge=1, le=4)
    disability_kind: DisabilityKind | None = None
    illness: str | None = Field(default=None, min_length=1, max_length=200)
    illness_acceptance: IllnessAcceptance | None = None
    verified_on: Date | None = None
    evidence: Evidence | None = None


class Guardian(_In):
    name: str = Field(min_length=1, max_length=100)
    relation: str = Field(min_length=1, max_length=50)
    phone: str | None = Field(default=None, max_length=30)


class Disability(_In):
    kind: DisabilityKind
    grade: int = Field(ge=1, le=4)
    certificate_no: str = Field(min_length=1, max_length=50)


class SeriousIllness(_In):
    diagnosis: str = Field(min_length=1, max_length=200)
    diagnosed_on: Date | None = None
    hospital: str | None = Field(default=None, max_length=100)


class Insurance(_In):
    """医保: basic urban-rural medical insurance, 普惠保, supplementary insurance."""

    basic_medical: StrictBool = False
    puhuibao: StrictBool = False
    supplementary: StrictBool = False


class ChildFacts(_In):
    guardians: list[Guardian] = Field(default_factory=list, max_length=10)
    household_assistance: Assistance = "none"
    serious_illness: SeriousIllness | None = None
    disability: Disability | None = None
    school_stage: SchoolStage | None = None
    school_name: str | None = Field(default=None, max_length=100)
    school_enrolment_year: int | None = Field(
        default=None, ge=1900, le=2100, description="The year the current schooling began"
    )
    school_expected_end_on: Date | None = Field(
        default=None,
        description="The current schooling's expected end, when known (else derived from the "
        "stage and enrolment year)",
    )
    insurance: Insurance = Field(default_factory=Insurance)
    parents: list[Parent] = Field(default_factory=list, max_length=2)


class ChildCreate(ChildFacts):
    """Enrol a child in difficulty 新增."""

    name: str = Field(min_length=1, max_length=100)
    id_number: str = Field(min_length=1, max_length=30, description="GB 11643 resident ID number")
    gender: Gender | None = Field(default=None, description="Derived from the ID; must agree")
    birth_date: Date | None = Field(default=None, description="Derived from the ID; must agree")
    category: Category
    placement: Placement
    village_code: str | None = Field(default=None, max_length=12)
    approved_on: Date


class ChildPatch(_In):
    """A change 变更; only the fields sent change. `reason` says why (kept in the history)."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    id_number: str | None = Field(default=None, min_length=1, max_length=30)
    gender: Gender | None = None
    birth_date: Date | None = None
    category: Category | None = None
    placement: Placement | None = None
    village_code: str | None = Field(default=None, max_length=12)
    approved_on: Date | None = None
    guardians: list[Guardian] | None = Field(default=None, max_length=10)
    household_assistance: Assistance | None = None
    serious_illness: SeriousIllness | None = None
    disability: Disability | None = None
    school_stage: SchoolStage | None = None
    school_name: str | None = Field(default=None, max_length=100)
    school_enrolment_year: int | None = Field(default=None, ge=1900, le=2100)
    school_expected_end_on: Date | None = None
    insurance: Insurance | None = None
    parents: list[Parent] | None = Field(default=None, max_length=2)
    reason: str | None = Field(default=None, max_length=500)


class RevokeRequest(_In):
    """撤销: the reason and the date it takes effect."""

    reason: RevokeReason
    effective_on: Date
    note: str | None = Field(default=None, max_length=500)


class ReviewFlag(BaseModel):
    """A rule the child's category breaks under the facts on record: review it."""

    field: str
    rule: str
    reason_zh: str
    reason_en: str
    flagged_on: Date


class ChildOut(BaseModel):
    """A child's record. `id_number` is masked except where the caller may see it whole."""

    view: Literal["staff"] = Field(
        default="staff", description="`staff`: the whole record (a partner sees `partner`)."
    )
    id: uuid.UUID
    name: str
    id_number: str
    gender: Gender
    birth_date: Date
    category: Category
    placement: Placement
    village_code: str | None
    approved_on: Date
    status: Status
    revoked_on: Date | None
    revoke_reason: str | None
    revoke_note: str | None
    parents: list[dict[str, Any]]
    guardians: list[dict[str, Any]]
    household_assistance: Assistance
    serious_illness: dict[str, Any] | None
    disability: dict[str, Any] | None
    school_stage: SchoolStage | None
    school_name: str | None
    school_enrolment_year: int | None
    school_expected_end_on: Date | None
    schooling_ends_on: Date | None = Field(
        description="The normal end of the current full-time schooling (senior secondary, "
        "secondary vocational, higher vocational, undergraduate): school_expected_end_on, else "
        "31 August of school_enrolment_year + 3 years (4 for undergraduate); null otherwise. "
        "An orphan or de-facto-unsupported child who turns 18 before it stays on the ledger as "
        "continued_schooling until then."
    )
    insurance: dict[str, Any]
    review_flags: list[ReviewFlag] = Field(
        default_factory=list,
        description="Why the category needs review (the facts no longer support it under the "
        "precise rule); never a silent re-classification",
    )
    reverify_on: Date | None = Field(
        default=None,
        description="The earliest day the category needs a new look (a term's end, a yearly "
        "review, or the day it was flagged)",
    )
    version: int
    created_at: datetime
    updated_at: datetime


class ChildPartnerView(BaseModel):
    """What a partner agency sees: the identifying basics and its mandate's fields only."""

    view: Literal["partner"] = Field(
        default="partner", description="`partner`: projected to the agency's mandate."
    )
    id: uuid.UUID
    name: str
    gender: Gender
    birth_date: Date
    status: Status
    updated_at: datetime
    id_number: str | None = Field(
        default=None, description="The police: the whole number; other agencies: masked"
    )
    placement: Placement | None = Field(default=None, description="police: residence")
    village_code: str | None = Field(default=None, description="police: residence")
    school_stage: SchoolStage | None = Field(default=None, description="education")
    school_name: str | None = Field(default=None, description="education")
    school_enrolment_year: int | None = Field(default=None, description="education")
    school_expected_end_on: Date | None = Field(default=None, description="education")
    serious_illness: dict[str, Any] | None = Field(default=None, description="health")
    insurance: dict[str, Any] | None = Field(default=None, description="health")
    disability: dict[str, Any] | None = Field(
        default=None, description="health, disabled_federation"
    )


class FieldChange(BaseModel):
    field: str
    from_: Any = Field(alias="from", serialization_alias="from")
    to: Any

    model_config = ConfigDict(populate_by_name=True)


class HistoryEntry(BaseModel):
    id: uuid.UUID
    kind: Literal["created", "changed", "revoked"]
    at: datetime
    ledger_month: str = Field(description="The ledger month the movement counts in (YYYY-MM)")
    effective_on: Date | None
    actor_id: str | None
    actor_name: str | None
    reason: str | None
    changes: list[FieldChange]


class DueForRevocation(BaseModel):
    """A child turning 18 (due to be revoked as `aged_out`) in or before the month."""

    id: uuid.UUID
    name: str
    category: Category
    placement: Placement
    village_code: str | None
    birth_date: Date
    turns_18_on: Date
    overdue: bool
    continues_schooling_until: Date | None = Field(
        default=None,
        description="Set when the child turns 18 in full-time schooling and stays on the ledger "
        "as continued_schooling until this day (support after 18 in school): not to be revoked "
        "at 18",
    )


class ReverificationReason(BaseModel):
    """One reason a child's category needs a new look."""

    kind: Literal["term_ends", "yearly_review", "review_flag"]
    due_on: Date
    field: str = Field(description="parents.0, parents.1, or the flagged field")
    relation: Literal["father", "mother"] | None = None
    situation: str | None = None
    rule: str | None = Field(default=None, description="review_flag: the rule broken")
    reason: str | None = Field(default=None, description="review_flag: why (zh-CN)")


class ReverificationDue(BaseModel):
    """A child whose category needs a new look by `due_before` 待复核."""

    id: uuid.UUID
    name: str
    category: Category
    placement: Placement
    village_code: str | None
    town_code: str | None = Field(description="The town of the village; null for the institute")
    town_name: str | None
    reverify_on: Date
    overdue: bool = Field(description="reverify_on is before today")
    reasons: list[ReverificationReason]


class AdultPlacementOut(BaseModel):
    """成年孤儿安置 queue entry."""

    id: uuid.UUID
    child_id: uuid.UUID
    name: str
    came_of_age_on: Date
    status: Literal["waiting", "placed", "withdrawn"]
    placement_kind: str | None
    placed_on: Date | None
    created_at: datetime


class ProposalCreate(_In):
    """变更申请 by a village director or town supervisor."""

    changes: ChildPatch
    reason: str = Field(min_length=1, max_length=500)


class ProposalDecision(_In):
    reason: str | None = Field(default=None, max_length=500)


class ProposalOut(BaseModel):
    id: uuid.UUID
    child_id: uuid.UUID
    proposed_by: uuid.UUID
    proposed_by_name: str
    base_version: int
    changes: dict[str, Any]
    reason: str
    status: Literal["pending", "approved", "rejected"]
    decided_by_name: str | None
    decided_at: datetime | None
    decision_reason: str | None
    created_at: datetime
    updated_at: datetime

    model_config = ConfigDict(from_attributes=True)


AreaCode = Annotated[str | None, Field(max_length=12)]


class ChildQuery(BaseModel):
    category: Category | None = None
    placement: Placement | None = None
    area_code: AreaCode = None
    status: Status | None = None
    updated_since: Timestamp | None = None
    limit: Limit = 50
    cursor: Cursor = None


class ReverificationQuery(BaseModel):
    due_before: Annotated[Date | None, Field(description="YYYY-MM-DD; default today")] = None
    area_code: AreaCode = None
    category: Category | None = None
    limit: Limit = 50
    cursor: Cursor = None


class ProposalQuery(BaseModel):
    status: Annotated[str | None, Field(pattern="^(pending|approved|rejected)$")] = None
    child_id: uuid.UUID | None = None
    limit: Limit = 50
    cursor: Cursor = None
