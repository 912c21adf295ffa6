"""HTTP of the caring-mother programme 爱心妈妈: /api/v1/caring-mothers, /api/v1/pairings,
/api/v1/caring-mother-wishes. Roles: `app.programmes.mothers.auth`."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.db import SessionDep
from app.errors import error_responses
from app.kit.context import RequestCtx
from app.kit.idempotency import REPLAYED, IdempotencyKey, create_once
from app.kit.pagination import CursorQuery, LimitQuery, Page
from app.kit.record_check import RecordCheck
from app.programmes.mothers import service
from app.programmes.mothers.auth import PairingReader, Readers, Registrar, Workers
from app.programmes.mothers.schemas import (
    ContactCreate,
    ContactOut,
    MotherCreate,
    MotherOut,
    PairingCreate,
    PairingEnd,
    PairingFederationOut,
    PairingOut,
    WishCreate,
    WishOut,
)

router = APIRouter(prefix="/api/v1", tags=["programmes"])

REPLAY: dict[int | str, dict[str, Any]] = {
    200: {"description": "A retry of an earlier creation with the same id and body"}
}


def _replayed(outcome: str, out: BaseModel) -> Any:
    if outcome == "duplicate":
        return JSONResponse(out.model_dump(mode="json"), status_code=200)
    return out


@router.post(
    "/caring-mothers",
    response_model=MotherOut,
    status_code=201,
    summary="Register a caring mother 爱心妈妈 with her art. 62 record check",
    responses=REPLAYED | error_responses(400, 401, 403, 409, 422),
)
async def create_caring_mother(
    body: MotherCreate,
    session: SessionDep,
    actor: Registrar,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> MotherOut | JSONResponse:
    return await create_once(
        session,
        idempotency_key,
        owner=str(actor.id),
        scope="caring-mothers",
        body=body,
        create=lambda: service.create_mother(session, ctx, body),
    )


@router.post(
    "/caring-mothers/{mother_id:uuid}/record-check",
    response_model=MotherOut,
    summary="Record a new art. 62 record query of the caring mother (replaces the previous one)",
    responses=error_responses(400, 401, 403, 404, 422),
)
async def renew_caring_mother_record_check(
    mother_id: uuid.UUID, body: RecordCheck, session: SessionDep, _: Registrar, ctx: RequestCtx
) -> MotherOut:
    return await service.renew_record_check(session, ctx, mother_id, body)


@router.get(
    "/caring-mothers",
    response_model=Page[MotherOut],
    summary="Caring mothers, with whether each may be paired today (record check)",
    responses=error_responses(401, 403, 422),
)
async def list_caring_mothers(
    session: SessionDep,
    _: Readers,
    ctx: RequestCtx,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[MotherOut]:
    return await service.list_mothers(session, ctx, limit=limit, cursor=cursor)


@router.post(
    "/caring-mothers/{mother_id:uuid}/pairings",
    response_model=PairingOut,
    status_code=201,
    summary="Pair the caring mother with a child (clear record check, child's and guardian's "
    "consent)",
    responses=REPLAYED | error_responses(400, 401, 403, 404, 409, 422),
)
async def create_pairing(
    mother_id: uuid.UUID,
    body: PairingCreate,
    session: SessionDep,
    actor: Workers,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> PairingOut | JSONResponse:
    async def create() -> tuple[PairingOut, uuid.UUID]:
        out = await service.create_pairing(session, ctx, mother_id, body)
        return out, out.id

    return await create_once(
        session,
        idempotency_key,
        owner=str(actor.id),
        scope=f"caring-mothers/{mother_id}/pairings",
        body=body,
        create=create,
    )


@router.get(
    "/pairings",
    response_model=Page[PairingOut] | Page[PairingFederationOut],
    summary="Pairings of one's children (the women's federation: its programme's, projected)",
    responses=error_responses(401, 403, 422),
)
async def list_pairings(
    session: SessionDep,
    _: PairingReader,
    ctx: RequestCtx,
    status: Literal["active", "ended"] | None = None,
    child_id: uuid.UUID | None = None,
    mother_id: uuid.UUID | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[PairingOut] | Page[PairingFederationOut]:
    return await service.list_pairings(
        session,
        ctx,
        status=status,
        child_id=child_id,
        mother_id=mother_id,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/pairings/without-contact",
    response_model=Page[PairingOut],
    summary="Active pairings without a contact for PAIRING_CONTACT_GAP_MONTHS (default 2)",
    responses=error_responses(401, 403, 422),
)
async def list_pairings_without_contact(
    session: SessionDep,
    _: Readers,
    ctx: RequestCtx,
    months: Annotated[
        int | None, Query(ge=1, le=24, description="Override the setting for this list.")
    ] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[PairingOut]:
    return await service.without_contact(session, ctx, months=months, limit=limit, cursor=cursor)


@router.post(
    "/pairings/{pairing_id:uuid}/contacts",
    response_model=ContactOut,
    status_code=201,
    summary="Record a contact of the caring mother with the child (idempotent on the client id)",
    responses=REPLAY | error_responses(400, 401, 403, 404, 409, 422),
)
async def create_pairing_contact(
    pairing_id: uuid.UUID, body: ContactCreate, session: SessionDep, _: Workers, ctx: RequestCtx
) -> ContactOut | JSONResponse:
    outcome, out = await service.record_contact(session, ctx, pairing_id, body)
    return _replayed(outcome, out)  # type: ignore[no-any-return]


@router.post(
    "/pairings/{pairing_id:uuid}/end",
    response_model=PairingOut,
    summary="End an active pairing (again → 409)",
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def end_pairing(
    pairing_id: uuid.UUID, body: PairingEnd, session: SessionDep, _: Workers, ctx: RequestCtx
) -> PairingOut:
    return await service.end_pairing(session, ctx, pairing_id, body)


@router.post(
    "/caring-mother-wishes",
    response_model=WishOut,
    status_code=201,
    summary="Record that a child wishes for a caring mother (once per child)",
    responses=REPLAY | error_responses(400, 401, 403, 404, 409, 422),
)
async def create_caring_mother_wish(
    body: WishCreate, session: SessionDep, _: Workers, ctx: RequestCtx
) -> WishOut | JSONResponse:
    outcome, out = await service.record_wish(session, ctx, body)
    return _replayed(outcome, out)  # type: ignore[no-any-return]


@router.get(
    "/caring-mother-wishes",
    response_model=Page[WishOut],
    summary="Children who wished for a caring mother (`unmatched=true`: and have none)",
    responses=error_responses(401, 403, 422),
)
async def list_caring_mother_wishes(
    session: SessionDep,
    _: Readers,
    ctx: RequestCtx,
    unmatched: bool = False,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[WishOut]:
    return await service.list_wishes(session, ctx, unmatched=unmatched, limit=limit, cursor=cursor)
