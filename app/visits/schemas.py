"""Request and response bodies of visits, follow-ups, coverage and quality flags."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app.kit.crud import Cursor, Limit
from app.kit.params import AreaCodeField
from app.kit.types import Date, Instant

Rating = Literal["good", "fair", "poor"]
Mode = Literal["home", "phone", "school", "institution"]
DifficultyKind = Literal["living", "medical", "education", "guardianship", "psychological", "other"]
FollowUpStatus = Literal["open", "in_progress", "resolved", "referred"]
FlagKind = Literal["burst", "copied_notes", "far_location"]
BatchStatus = Literal["created", "duplicate", "conflict", "invalid"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Finding(Strict):
    rating: Rating = Field(description="good | fair | poor")
    text: str = Field(default="", max_length=2000)


class Findings(Strict):
    """What was found: 生活状况, 保障落实, 就学, 健康."""

    living_conditions: Finding
    support_received: Finding
    schooling: Finding
    health: Finding


class Difficulty(Strict):
    """A difficulty to be solved by the town or district: opens a follow-up."""

    kind: DifficultyKind
    text: str = Field(min_length=1, max_length=2000)


class Location(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class VisitCreate(Strict):
    """巡视探访: one visit, created once under its client-generated `id`."""

    id: uuid.UUID = Field(description="Client-generated UUID; the server accepts it once.")
    child_id: uuid.UUID
    visited_at: Instant = Field(description="When the visit happened (RFC 3339, offset).")
    mode: Mode
    findings: Findings
    difficulties: list[Difficulty] = Field(default_factory=list, max_length=20)
    suspected_infringement: StrictBool = Field(
        default=False, description="True: suspected infringement, a mandatory report follows."
    )
    notes: str | None = Field(default=None, max_length=4000)
    location: Location | None = None
    photos: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=20,
        description="The visit's photos: ids of documents in the document store. The phone "
        "chooses each id, sends the visit, then uploads each photo with that id (POST "
        "/api/v1/documents, kind visit_photo, record_type visit, record_id this visit).",
    )

    def fingerprint(self) -> dict[str, Any]:
        """The canonical body: the same visit sent with another offset hashes the same."""
        body = self.model_dump(mode="json")
        body["visited_at"] = self.visited_at.astimezone(UTC).isoformat()
        return body


class VisitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    child_id: uuid.UUID
    visited_at: datetime
    month: str = Field(description="The district month (Asia/Shanghai) of the visit, YYYY-MM.")
    mode: Mode
    findings: Findings
    difficulties: list[Difficulty]
    suspected_infringement: bool
    notes: str | None
    location: Location | None
    photos: list[str]
    village_code: str | None
    visitor_id: uuid.UUID
    visitor_name: str
    incident_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class BatchIn(Strict):
    visits: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=200,
        description="Up to 200 visits, each shaped like the body of POST /visits; each item "
        "is validated on its own, so one bad item never blocks the others.",
    )


class ItemError(BaseModel):
    field: str
    message: str


class BatchItemResult(BaseModel):
    index: int
    id: uuid.UUID | None
    status: BatchStatus
    errors: list[ItemError] | None = None


class BatchOut(BaseModel):
    created: int
    duplicate: int
    conflict: int
    invalid: int
    results: list[BatchItemResult]


# -- follow-ups ----------------------------------------------------------------------------------


class FollowUpOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    visit_id: uuid.UUID
    child_id: uuid.UUID
    town_code: str | None
    kind: DifficultyKind
    text: str
    status: FollowUpStatus
    due_on: Date
    overdue: bool
    resolution: str | None
    referred_to: str | None
    history: list[dict[str, Any]]
    version: int
    created_at: datetime
    updated_at: datetime


class FollowUpTransition(Strict):
    to: FollowUpStatus
    note: str | None = Field(default=None, max_length=2000)
    resolution: str | None = Field(
        default=None, max_length=2000, description="What was done (required to resolve)."
    )
    referred_to: str | None = Field(
        default=None, max_length=200, description="Who it was referred to (required to refer)."
    )


# -- coverage ------------------------------------------------------------------------------------


class ChildRef(BaseModel):
    child_id: uuid.UUID
    name: str
    village_code: str | None


class VillageCoverage(BaseModel):
    code: str
    name: str
    town_code: str | None
    due: int
    visited: int
    coverage: float | None = Field(description="visited / due, 4 places; null when none due.")
    not_visited: list[ChildRef]


class AreaTotals(BaseModel):
    code: str
    name: str
    due: int
    visited: int
    coverage: float | None


class CoverageOut(BaseModel):
    month: str
    area_code: str
    total: AreaTotals
    towns: list[AreaTotals]
    villages: list[VillageCoverage]
    overdue: list[ChildRef] = Field(description="Every child due this month and not yet visited.")


# -- quality flags -------------------------------------------------------------------------------


class FlagOut(BaseModel):
    id: int
    kind: FlagKind
    visit_id: uuid.UUID
    child_id: uuid.UUID
    visitor_id: uuid.UUID
    visitor_name: str
    visited_at: datetime
    detail: dict[str, Any]
    created_at: datetime


class DirectorWithoutVisits(BaseModel):
    user_id: uuid.UUID
    username: str
    full_name: str
    village_code: str
    children_due: int


class FlagsPage(BaseModel):
    items: list[FlagOut]
    next_cursor: str | None = None
    directors_without_visits: list[DirectorWithoutVisits] | None = Field(
        default=None,
        description="With `month`, on the first page: directors with children due that month "
        "who recorded no visit in it (computed on request).",
    )


class FollowUpQuery(BaseModel):
    status: FollowUpStatus | None = None
    overdue: Annotated[
        bool | None, Field(description="true: open or in progress past the due date.")
    ] = None
    area_code: AreaCodeField = None
    child_id: uuid.UUID | None = None
    limit: Limit = 50
    cursor: Cursor = None
