"""What a partner agency sees of a referral (projected to its mandate), and what it sends back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.incidents.schemas import ReferralFacts, SituationOut
from app.incidents.situations import Situation
from app.kit.crud import Cursor, Limit
from app.kit.types import Date, Timestamp


class AgencyChildView(BaseModel):
    """The child, in the fields of the agency's mandate only (absent fields are not shown)."""

    name: str | None = None
    gender: str | None = None
    birth_date: Date | None = None
    age: int | None = None
    id_number: str | None = Field(
        default=None, description="The police: the whole number; other agencies: masked."
    )
    id_number_unreadable: bool | None = Field(
        default=None,
        description="True when the stored number did not decrypt (a server fault, logged as an "
        "error): the report is delivered with `id_number` null rather than held up or masked.",
    )
    village_code: str | None = Field(default=None, description="Police: residence.")
    guardians: list[dict[str, Any]] | None = None
    school_stage: str | None = None
    school_name: str | None = None
    disability: dict[str, Any] | None = None
    serious_illness: dict[str, Any] | None = None
    insurance: dict[str, Any] | None = None


class AgencyIncidentView(BaseModel):
    id: uuid.UUID
    status: str
    situations: list[SituationOut] = Field(
        description="The situations of the 2020 opinion the report falls under, each with the "
        "opinion's wording (`text`)."
    )
    situations_inferred: bool = Field(
        description="True when inferred from the kinds of a report filed before situations existed."
    )
    kinds: list[str]
    urgent: bool
    immediate_danger: bool
    description: str | None = None
    location: str | None = None
    discovered_at: datetime | None = None
    reporter_name: str | None = None


class AgencyReferralOut(ReferralFacts):
    """A referral as its agency sees it."""

    agency_case_number: str | None
    incident: AgencyIncidentView
    child: AgencyChildView


class ReferralUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, min_length=1, max_length=5000)
    status: Literal["in_progress", "completed", "declined"] | None = None
    case_number: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _something(self) -> ReferralUpdateIn:
        if self.note is None and self.status is None and self.case_number is None:
            raise ValueError(
                "至少填写备注、状态或案件编号之一|Give a note, a status or a case number"
            )
        return self


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_number: str | None = Field(default=None, min_length=1, max_length=64)
    note: str | None = Field(default=None, max_length=5000)


ReferralStatus = Literal["pending", "acknowledged", "in_progress", "completed", "declined"]


class ReferralQuery(BaseModel):
    status: ReferralStatus | None = None
    updated_since: Timestamp | None = None
    situation: Annotated[
        Situation | None, Field(description="Only referrals of reports naming this situation.")
    ] = None
    limit: Limit = 50
    cursor: Cursor = None
