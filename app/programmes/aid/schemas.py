"""Request and response bodies of the education-aid API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.kit.crud import Cursor, Limit
from app.kit.money import Money
from app.kit.params import AreaField, YearField

AidProgramme = Literal["spring_bud", "boys_in_difficulty"]
AidStatus = Literal["submitted", "approved", "rejected", "disbursed"]
PROGRAMME_ZH = {"spring_bud": "春蕾女童", "boys_in_difficulty": "困境男童"}
PROGRAMME_GENDER = {"spring_bud": "female", "boys_in_difficulty": "male"}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _positive(v: Decimal) -> Decimal:
    if v <= 0:
        raise ValueError("金额须大于零|The amount must be above zero")
    return v


class RoundCreate(_Body):
    year: int = Field(ge=2000, le=2100, examples=[2026])
    name: str = Field(min_length=1, max_length=100, examples=["2026年春蕾女童及困境男童教育帮扶"])


class NamedChild(_Body):
    """A child the federation names who is not on the ledger: gender and birth date come from
    the ID number; the village places the child in a town for the round's totals."""

    name: str = Field(min_length=1, max_length=100, examples=["李小花"])
    id_number: str = Field(min_length=15, max_length=20, description="Resident ID number.")
    village_code: str = Field(min_length=1, max_length=12, examples=["110115001001"])
    school: str | None = Field(default=None, max_length=100)


class ApplicationCreate(_Body):
    """One child's application: a ledger child (`child_id`) or a child the federation names
    (`child`), under a programme, for an amount (decimal string)."""

    child_id: uuid.UUID | None = None
    child: NamedChild | None = None
    programme: AidProgramme
    amount: Money
    school: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=2000)

    _amount_positive = field_validator("amount")(_positive)


class Approval(_Body):
    amount: Money = Field(description="The amount granted (may differ from the one asked).")
    note: str | None = Field(default=None, max_length=2000)

    _amount_positive = field_validator("amount")(_positive)


class Rejection(_Body):
    reason: str = Field(min_length=1, max_length=2000)


class ProgrammeTotal(BaseModel):
    programme: AidProgramme
    programme_zh: str
    children: int
    total: Money
    disbursed: Money


class TownTotal(BaseModel):
    town_code: str | None = Field(description="None: the institute's children.")
    town_name: str | None
    children: int
    total: Money
    disbursed: Money


class RoundOut(BaseModel):
    """A round with its totals: `children` and `total` count the applications granted
    (approved or disbursed); `disbursed` what was paid."""

    id: uuid.UUID
    district_code: str = Field(description="The district whose bureau opened the round.")
    year: int
    name: str
    created_at: datetime
    created_by: str | None
    children: int
    total: Money
    disbursed: Money
    by_status: dict[str, int]
    by_programme: list[ProgrammeTotal]
    by_town: list[TownTotal]


class ApplicationOut(BaseModel):
    id: uuid.UUID
    round_id: uuid.UUID
    child_id: uuid.UUID | None = Field(description="The ledger child; None for a named child.")
    child_name: str
    child_gender: str
    child_birth_date: date
    child_id_number: str | None = Field(description="Masked; absent for the federation.")
    school: str | None
    village_code: str | None
    town_code: str | None
    programme: AidProgramme
    requested: Money
    amount: Money | None = Field(description="The amount granted (once approved).")
    status: AidStatus
    note: str | None
    created_at: datetime
    created_by: str | None
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str | None
    disbursed_at: datetime | None
    disbursed_by: str | None


class RoundQuery(BaseModel):
    year: YearField = None
    limit: Limit = 50
    cursor: Cursor = None


class ApplicationQuery(BaseModel):
    programme: AidProgramme | None = None
    status: AidStatus | None = None
    town_code: AreaField = None
    limit: Limit = 50
    cursor: Cursor = None
