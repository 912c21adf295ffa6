"""Bodies of the caring-mother routes (field names of issue 24: `name`, `organisation`, `phone`,
`record_check`; a pairing's `child_id`, `since`, `consent` {`child`, `guardian`})."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.kit.crud import Cursor, Limit
from app.kit.record_check import RecordCheck, RefusalReason
from app.kit.types import Date

ContactMode = Literal["visit", "phone", "online"]
PairingStatus = Literal["active", "ended"]


class MotherCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=50)
    organisation: str = Field(
        min_length=1, max_length=100, description="Her organisation (e.g. the town's 妇联)."
    )
    phone: str = Field(pattern=r"^\+?[0-9][0-9 -]{4,18}$", max_length=20)
    record_check: RecordCheck | None = Field(
        default=None,
        description="The art. 62 record query; she may be registered without one but is never "
        "paired without a clear one that is still valid.",
    )


class RecordCheckStanding(BaseModel):
    ok: bool = Field(description="Whether she may be paired with a child today.")
    reason: RefusalReason | None
    valid_until: Date | None


class MotherOut(BaseModel):
    id: uuid.UUID
    name: str
    organisation: str
    phone: str
    record_check: RecordCheck | None
    record_check_standing: RecordCheckStanding
    active_pairings: int
    created_at: datetime


class Consent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    child: bool = Field(description="The child agreed (儿童本人同意).")
    guardian: bool = Field(description="The guardian agreed (监护人同意).")


class PairingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    child_id: uuid.UUID
    since: Date = Field(description="The day the pairing starts (not after today).")
    consent: Consent


class PairingEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ended_on: Date = Field(description="The last day of the pairing (not after today).")
    reason: str = Field(min_length=1, max_length=500)


class MotherBrief(BaseModel):
    id: uuid.UUID
    name: str
    organisation: str


class PairingOut(BaseModel):
    id: uuid.UUID
    mother: MotherBrief
    child_id: uuid.UUID
    child_name: str
    village_code: str | None
    since: Date
    consent: Consent
    status: PairingStatus
    ended_on: Date | None
    end_reason: str | None
    last_contact_on: Date | None
    contacts: int
    created_at: datetime


class PairingFederationOut(BaseModel):
    """A pairing as the women's federation sees it: its volunteer, the child's name, town and
    gender, and how the pairing goes — no ID number, guardian, address or notes."""

    id: uuid.UUID
    mother_id: uuid.UUID
    mother_name: str
    organisation: str
    child_name: str
    child_gender: str
    town_code: str | None
    since: Date
    status: PairingStatus
    ended_on: Date | None
    last_contact_on: Date | None
    contacts: int


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID = Field(description="Client-chosen UUID: a retry with the same body is a 200.")
    contacted_on: Date = Field(description="The day of the contact (not after today).")
    mode: ContactMode
    notes: str | None = Field(default=None, max_length=2000)

    def fingerprint(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class ContactOut(BaseModel):
    id: uuid.UUID
    pairing_id: uuid.UUID
    contacted_on: Date
    mode: ContactMode
    notes: str | None
    recorded_by: str
    created_at: datetime


class WishCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    child_id: uuid.UUID
    wished_on: Date = Field(description="When the child (and family) asked (not after today).")
    note: str | None = Field(default=None, max_length=500)


class WishOut(BaseModel):
    child_id: uuid.UUID
    child_name: str
    village_code: str | None
    wished_on: date
    note: str | None
    recorded_by: str
    paired: bool = Field(description="Whether the child has an active pairing now.")


class PairingQuery(BaseModel):
    status: Literal["active", "ended"] | None = None
    child_id: uuid.UUID | None = None
    mother_id: uuid.UUID | None = None
    limit: Limit = 50
    cursor: Cursor = None


class WithoutContactQuery(BaseModel):
    months: Annotated[
        int | None, Field(ge=1, le=24, description="Override the setting for this list.")
    ] = None
    limit: Limit = 50
    cursor: Cursor = None


class WishQuery(BaseModel):
    unmatched: bool = False
    limit: Limit = 50
    cursor: Cursor = None
