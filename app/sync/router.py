"""HTTP for the phone's sync 同步 and its edits of a child record."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from app.auth.principal import Principal, require_roles
from app.db import SessionDep
from app.errors import error_responses
from app.kit.clock import ClockDep
from app.kit.etag import set_etag
from app.sync import repository as repo
from app.sync import service
from app.sync.schemas import ChildEdit, SyncChild, SyncOut

router = APIRouter(prefix="/api/v1", tags=["sync"])

SyncCaller = Annotated[
    Principal,
    Depends(
        require_roles(
            "district_admin",
            "district_leader",
            "auditor",
            "institution_staff",
            "town_supervisor",
            "village_director",
        )
    ),
]
Editor = Annotated[
    Principal,
    Depends(
        require_roles("district_admin", "institution_staff", "town_supervisor", "village_director")
    ),
]


@router.get(
    "/sync",
    response_model=SyncOut,
    summary="What changed in one's jurisdiction since the cursor (first call: everything)",
    responses=error_responses(401, 403, 422),
)
async def sync_changes(
    session: SessionDep,
    principal: SyncCaller,
    cursor: Annotated[
        str | None, Query(max_length=100, description="`next_cursor` of the previous sync.")
    ] = None,
) -> SyncOut:
    return await service.sync(session, principal, cursor)


@router.post(
    "/sync/children/{child_id:uuid}",
    response_model=SyncChild,
    summary="Edit a child record from the phone, on the version it edited (merged per field)",
    responses=error_responses(401, 403, 404, 409, 412, 422),
)
async def sync_edit_child(
    child_id: uuid.UUID,
    body: ChildEdit,
    response: Response,
    session: SessionDep,
    principal: Editor,
    clock: ClockDep,
) -> SyncChild:
    child = await service.edit_child(session, principal, child_id, body, clock)
    set_etag(response, child.version)
    visits = await repo.last_visits(session, [child.id])
    follow = await repo.open_follow_ups(session, [child.id])
    return service.to_sync_child(child, visits.get(child.id), follow.get(child.id, []))
