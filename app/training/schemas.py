"""Request and response models of the training cascade (培训)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator

from app.auth.roles import RoleName
from app.kit.crud import Cursor, Limit
from app.kit.params import AreaCodeField, YearField
from app.kit.types import Date
from app.models.training import AttendanceStatus
from app.models.training import TrainingLevel as TrainingLevel
from app.models.training import TrainingTopic as Topic

__all__ = ["TrainingLevel"]

Hours = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="always")]
"""Hours as a JSON number (one decimal place: 3.5)."""


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TrainingCreate(_Body):
    id: uuid.UUID = Field(description="Client-chosen id: the same id and body again is a replay.")
    level: TrainingLevel = Field(
        description="district 区级培训 (by the bureau) | town 镇街培训 (a supervisor trains the "
        "directors of their town)"
    )
    area_code: str | None = Field(
        default=None,
        pattern=r"^\d{6,12}$",
        description="The town of a `town` session (required); for a `district` session the "
        "district (default: the organiser's).",
    )
    title: str | None = Field(default=None, max_length=200)
    held_on: Date
    hours: Decimal = Field(gt=0, le=24, decimal_places=1, description="Hours, more than 0.")
    topics: list[Topic] = Field(
        min_length=1, max_length=8, description="What was taught; `mandatory_reporting` 强制报告."
    )
    trainer: str = Field(min_length=1, max_length=200, description="Who taught (主讲).")
    place: str | None = Field(default=None, max_length=300)
    link: str | None = Field(default=None, max_length=500, pattern=r"^https?://\S+$")
    materials: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=20, description="References to the materials."
    )

    @field_validator("topics")
    @classmethod
    def _once(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("培训主题重复|A topic is listed twice")
        return v

    @field_validator("trainer", "title", "place")
    @classmethod
    def _not_blank(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("不能为空白|Must not be blank")
        return v


class AttendanceIn(_Body):
    user_id: uuid.UUID
    status: AttendanceStatus
    note: str | None = Field(default=None, max_length=1000)


class CheckIn(_Body):
    code: str = Field(
        min_length=4, max_length=16, description="The session code shown by the organiser."
    )


class AttendanceOut(BaseModel):
    session_id: uuid.UUID
    user_id: uuid.UUID
    username: str
    full_name: str
    role: RoleName
    status: AttendanceStatus
    recorded_via: Literal["organiser", "code"]
    recorded_by: str
    recorded_at: datetime
    note: str | None


class AttendanceCounts(BaseModel):
    present: int = 0
    absent: int = 0
    excused: int = 0


class TrainingOut(BaseModel):
    id: uuid.UUID
    level: TrainingLevel
    area_code: str
    area_name: str
    title: str
    held_on: Date
    year: int
    hours: Hours
    topics: list[Topic]
    trainer: str
    place: str | None
    link: str | None
    materials: list[str]
    organiser_name: str
    created_at: datetime
    code: str | None = Field(
        description="The check-in code attendees scan (shown to the session's organisers only)."
    )
    counts: AttendanceCounts
    attendance: list[AttendanceOut] | None = Field(
        default=None, description="Who attended (in the single read only)."
    )


class MyAttendanceOut(BaseModel):
    """One's own attendance of a session."""

    session_id: uuid.UUID
    level: TrainingLevel
    title: str
    held_on: Date
    hours: Hours
    topics: list[Topic]
    trainer: str
    status: AttendanceStatus
    recorded_via: Literal["organiser", "code"]
    recorded_at: datetime


class RoleCoverage(BaseModel):
    role: RoleName
    workers: int
    trained: int = Field(description="Workers present at one session of the year at least.")
    untrained: list[uuid.UUID] = Field(description="The user ids of those not trained.")
    hours: Hours = Field(description="Hours attended (present) by these workers in the year.")
    never_trained_on_mandatory_reporting: list[uuid.UUID] = Field(
        description="User ids of those never present at a session on `mandatory_reporting` "
        "(up to the end of the year)."
    )


class TownCoverage(BaseModel):
    code: str
    name: str
    level: Literal["district", "town"] = Field(
        description="town, or district for the workers of the district itself (institute, "
        "centre, contracted professionals)."
    )
    town_sessions: int = Field(description="The town's own sessions held in the year.")
    workers: int
    trained: int
    untrained: list[uuid.UUID]
    hours: Hours
    coverage: float | None
    never_trained_on_mandatory_reporting: list[uuid.UUID]
    roles: list[RoleCoverage]


class CoverageOut(BaseModel):
    year: int
    area_code: str
    workers: int
    trained: int
    untrained_count: int
    hours: Hours
    coverage: float | None
    never_trained_on_mandatory_reporting_count: int
    towns_without_town_session: list[str] = Field(
        description="Codes of the towns that held no session for their directors this year."
    )
    towns: list[TownCoverage]


class TrainingQuery(BaseModel):
    year: YearField = None
    level: TrainingLevel | None = None
    area_code: AreaCodeField = None
    limit: Limit = 50
    cursor: Cursor = None
