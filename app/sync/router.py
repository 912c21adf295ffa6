"""HTTP for the phone's sync 同步 and its edits of a child record."""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.db import SessionDep, get_session
from app.kit.context import RequestCtx, context_of
from app.kit.etag import set_etag
from app.kit.routes import acts, lists
from app.sync import service
from app.sync.auth import ChildEditor, SyncReader
from app.sync.schemas import ChildEdit, SyncChild, SyncOut

router = APIRouter(prefix="/api/v1", tags=["sync"])
_request_session = asynccontextmanager(get_session)


@router.get(
    "/sync",
    **lists(
        SyncOut, "What changed in one's jurisdiction since the cursor (first call: everything)"
    ),
)
async def sync_changes(
    request: Request,
    principal: SyncReader,
    response: Response,
    cursor: Annotated[
        str | None, Query(max_length=100, description="`next_cursor` of the previous sync.")
    ] = None,
) -> SyncOut | Response:
    ctx = context_of(request, principal)  # (not the RequestCtx dependency: one fewer to solve)
    if cursor is not None:
        # An idle phone's sync (nothing changed since its cursor): one lean statement, the
        # answer's bytes made here. Otherwise the full path below reads the changes.
        quiet = await service.nothing_new(request.app.state, ctx, service.decode_cursor(cursor))
        if quiet is not None:
            answer = Response(quiet[0], media_type="application/json")
            answer.headers["ETag"] = quiet[1]
            return answer
    # The request's session (app.db.get_session: commit, audit) for the full path only, opened
    # once the lean connection is back in the pool: never two pooled connections at a time.
    async with _request_session(request) as session:
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
