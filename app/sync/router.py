"""HTTP for the phone's sync 同步 and its edits of a child record."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.etag import set_etag
from app.kit.routes import acts, lists
from app.sync import service
from app.sync.auth import ChildEditor, SyncReader
from app.sync.schemas import ChildEdit, SyncChild, SyncOut

router = APIRouter(prefix="/api/v1", tags=["sync"])


@router.get(
    "/sync",
    **lists(
        SyncOut, "What changed in one's jurisdiction since the cursor (first call: everything)"
    ),
)
async def sync_changes(
    session: SessionDep,
    _: SyncReader,
    ctx: RequestCtx,
    response: Response,
    cursor: Annotated[
        str | None, Query(max_length=100, description="`next_cursor` of the previous sync.")
    ] = None,
) -> SyncOut:
    out = await service.sync(session, ctx, cursor)
    etag = service.nothing_new_etag(out)
    if etag is not None:
        # Nothing new since the cursor: a phone that sends this ETag back in If-None-Match
        # gets 304 and no body the next time nothing is new either (it keeps its cursor).
        response.headers["ETag"] = etag
    return out


@router.post(
    "/sync/children/{child_id:uuid}",
    **acts(
        SyncChild,
        "Edit a child record from the phone, on the version it edited (merged per field)",
        errors=(401, 403, 404, 409, 412, 422),
    ),
)
async def sync_edit_child(
    child_id: uuid.UUID,
    body: ChildEdit,
    response: Response,
    session: SessionDep,
    _: ChildEditor,
    ctx: RequestCtx,
) -> SyncChild:
    child = await service.edit_child(session, ctx, child_id, body)
    set_etag(response, child.version)
    return child
