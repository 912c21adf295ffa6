from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from app.auth.principal import Agency
from app.auth.roles import RoleName
from app.kit.crud import Cursor, Limit
from app.kit.params import AreaField
from app.kit.record_check import RecordCheck, RecordCheckStanding

# protection:write — the police announce a child they bring to the protection centre;
# programmes:read — the women's federation reads its programmes' pairings and aid;
# charity:write — the charity association decides and pays project funds.
Scope = Literal[
    "referrals:read",
    "referrals:write",
    "children:read",
    "screening:read",
    "protection:write",
    "programmes:read",
    "charity:write",
]
SCOPES: tuple[str, ...] = get_args(Scope)
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
_PHONE = re.compile(r"^\+?[0-9 -]{7,20}$")


def _check_phone(v: str | None) -> str | None:
    if v is not None and not _PHONE.match(v):
        raise ValueError("电话号码格式不正确|Invalid phone number")
    return v


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=64, examples=["dir110115001001"])
    password: SecretStr = Field(min_length=10, max_length=256)
    full_name: str = Field(min_length=1, max_length=100, examples=["张演示"])
    role: RoleName
    area_code: str = Field(min_length=6, max_length=12, examples=["110115001001"])
    phone: str | None = Field(default=None, max_length=20, examples=["010-69000000"])
    record_check: RecordCheck | None = Field(
        default=None,
        description="The art. 62 record query (未成年人保护法第六十二条); required for the "
        "contracted roles (`counsellor`, `case_worker`).",
    )
    agency_id: uuid.UUID | None = Field(
        default=None,
        description="A case worker's contracted agency (`/api/v1/casework/agencies`): required "
        "for `case_worker`, refused for every other role.",
    )

    @field_validator("username")
    @classmethod
    def _username(cls, v: str) -> str:
        if not _USERNAME.match(v):
            raise ValueError(
                "用户名只能包含字母、数字、下划线、点和短横线|Letters, digits, _ . - only"
            )
        return v

    _phone = field_validator("phone")(_check_phone)


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: str | None = Field(default=None, min_length=1, max_length=100)
    phone: str | None = Field(default=None, max_length=20)
    role: RoleName | None = None
    area_code: str | None = Field(default=None, min_length=6, max_length=12)
    password: SecretStr | None = Field(default=None, min_length=10, max_length=256)
    record_check: RecordCheck | None = Field(
        default=None, description="A renewed art. 62 record query (replaces the one on file)."
    )
    agency_id: uuid.UUID | None = Field(
        default=None, description="A case worker's contracted agency (case workers only)."
    )

    _phone = field_validator("phone")(_check_phone)

    @field_validator(
        "full_name", "role", "area_code", "password", "record_check", "agency_id", mode="before"
    )
    @classmethod
    def _not_null(cls, v: object) -> object:
        # Omit a field to leave it unchanged; only `phone` may be cleared with null.
        if v is None:
            raise ValueError("不能为空（不修改请省略该字段）|May not be null (omit it to keep it)")
        return v


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    full_name: str
    role: RoleName
    area_code: str
    phone: str | None
    agency_id: uuid.UUID | None = Field(description="A case worker's contracted agency.")
    is_active: bool
    record_check: RecordCheck | None = Field(
        default=None, description="The art. 62 record query on file (contracted roles)."
    )
    record_check_standing: RecordCheckStanding | None = Field(
        default=None, description="Whether the query lets the person work with children today."
    )
    version: int
    created_at: datetime
    updated_at: datetime


class AgencyClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, examples=["大兴分局未成年人保护接口"])
    agency: Agency
    area_code: str | None = Field(
        default=None,
        min_length=6,
        max_length=12,
        examples=["110115"],
        description="The area the client serves: a district (its referrals only) or the city "
        "(a municipal agency: every district's; the city admin only). Default: the caller's "
        "district (the city admin's: the city).",
    )
    scopes: list[Scope] = Field(min_length=1, max_length=len(SCOPES))
    webhook_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://\S+$")


class AgencyClientOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    client_id: str
    name: str
    agency: Agency
    area_code: str = Field(description="The city or the district the client serves.")
    scopes: list[str]
    webhook_url: str | None
    webhook_pending_url: str | None = Field(
        default=None, description="A URL the client set itself, awaiting a district admin."
    )
    is_active: bool
    created_at: datetime


class AgencyClientCreated(AgencyClientOut):
    client_secret: str | None = Field(
        description="Shown once, at creation. Null when a retried creation is answered again."
    )


class UserQuery(BaseModel):
    role: RoleName | None = None
    area_code: AreaField = None
    active: bool | None = None
    limit: Limit = 50
    cursor: Cursor = None


class AgencyClientQuery(BaseModel):
    agency: Agency | None = None
    limit: Limit = 50
    cursor: Cursor = None
