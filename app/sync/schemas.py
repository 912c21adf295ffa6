"""Bodies of the phone's sync: the children a visitor needs, their last visit, open follow-ups."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.documents.schemas import DocumentMeta
from app.kit.types import Date
from app.kit.vocab import ChildSchoolStage
from app.protection.schemas import FollowUpVisitOut


class LastVisit(BaseModel):
    id: uuid.UUID
    visited_at: datetime
    mode: str
    visitor_name: str


class OpenFollowUp(BaseModel):
    id: uuid.UUID
    kind: str
    text: str
    status: str
    due_on: Date


class SyncChild(BaseModel):
    """A child as the visiting phone holds it: replace the whole entry on every sync."""

    id: uuid.UUID
    name: str
    gender: str
    birth_date: Date
    category: str
    placement: str
    village_code: str | None
    status: str
    approved_on: Date
    guardians: list[dict[str, Any]]
    school_stage: str | None
    school_name: str | None
    version: int = Field(description="The child record's version: send it back as base_version.")
    last_visit: LastVisit | None
    open_follow_ups: list[OpenFollowUp]
    documents: list[DocumentMeta] = Field(
        default_factory=list,
        description="The child's documents and its visits' photos: metadata only (the bytes at "
        "/api/v1/documents/{id}/content).",
    )


class Tombstone(BaseModel):
    child_id: uuid.UUID
    reason: Literal["left_jurisdiction", "left_ledger"]


class SyncOut(BaseModel):
    next_cursor: str = Field(description="Send it as `cursor` next time.")
    full: bool = Field(description="True: the whole set (first call); drop what you held.")
    children: list[SyncChild]
    tombstones: list[Tombstone]
    protection_visits_due: list[FollowUpVisitOut] = Field(
        default_factory=list,
        description="Follow-up visits due to children the protection centre returned to a family "
        "of the caller's village (village directors); complete on every sync, replace the list.",
    )


class ChildEdits(BaseModel):
    """The fields of a child record a visitor may correct from the phone."""

    model_config = ConfigDict(extra="forbid")

    guardians: list[dict[str, Any]] | None = Field(
        default=None, max_length=10, description="The guardians, as in the ledger record."
    )
    school_stage: ChildSchoolStage | None = None
    school_name: str | None = Field(default=None, max_length=100)


class ChildEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_version: int = Field(ge=1, description="The version of the record the phone edited.")
    changes: ChildEdits
