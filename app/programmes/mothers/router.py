"""HTTP of the caring-mother programme 爱心妈妈: /api/v1/caring-mothers, /api/v1/pairings,
/api/v1/caring-mother-wishes. Roles: `app.programmes.mothers.auth`."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.idempotency import IdempotencyKey
from app.kit.pagination import Page
from app.kit.params import PageQuery
from app.kit.record_check import RecordCheck
from app.kit.records import again, keyed_once, replay_response, with_id
from app.kit.routes import acts, call_route, creates, lists, page_route
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
    PairingQuery,
    WishCreate,
    WishOut,
    WishQuery,
    WithoutContactQuery,
)

router = APIRouter(prefix="/api/v1", tags=["programmes"])

ON_ONE = (400, 401, 403, 404, 409, 422)
"""The errors of a change to one mother or pairing (400: a malformed body)."""
RETRY = replay_response("A retry of an earlier creation with the same id and body")


@router.post(
    "/caring-mothers",
    **creates(MotherOut, "Register a caring mother 爱心妈妈 with her art. 62 record check"),
)
async def create_caring_mother(
    body: MotherCreate,
    session: SessionDep,
    _: Registrar,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> MotherOut | JSONResponse:
    return await keyed_once(
        session,
        ctx,
        idempotency_key,
        "caring-mothers",
        body,
        lambda: service.create_mother(session, ctx, body),
    )


call_route(
    router,
    "POST",
    "/caring-mothers/{mother_id:uuid}/record-check",
    acts(
        MotherOut,
        "Record a new art. 62 record query of the caring mother (replaces the previous one)",
        errors=(400, 401, 403, 404, 422),
    ),
    "renew_caring_mother_record_check",
    Registrar,
    service.renew_record_check,
    body=RecordCheck,
)


page_route(
    router,
    "/caring-mothers",
    lists(Page[MotherOut], "Caring mothers, with whether each may be paired today (record check)"),
    "list_caring_mothers",
    Readers,
    PageQuery,
    service.list_mothers,
)


@router.post(
    "/caring-mothers/{mother_id:uuid}/pairings",
    **creates(
        PairingOut,
        "Pair the caring mother with a child (clear record check, child's and guardian's consent)",
        errors=ON_ONE,
    ),
)
async def create_pairing(
    mother_id: uuid.UUID,
    body: PairingCreate,
    session: SessionDep,
    _: Workers,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> PairingOut | JSONResponse:
    create = with_id(lambda: service.create_pairing(session, ctx, mother_id, body))
    scope = f"caring-mothers/{mother_id}/pairings"
    return await keyed_once(session, ctx, idempotency_key, scope, body, create)


page_route(
    router,
    "/pairings",
    lists(
        Page[PairingOut] | Page[PairingFederationOut],
        "Pairings of one's children (the women's federation: its programme's, projected)",
    ),
    "list_pairings",
    PairingReader,
    PairingQuery,
    service.list_pairings,
)


page_route(
    router,
    "/pairings/without-contact",
    lists(
        Page[PairingOut],
        "Active pairings without a contact for PAIRING_CONTACT_GAP_MONTHS (default 2)",
    ),
    "list_pairings_without_contact",
    Readers,
    WithoutContactQuery,
    service.without_contact,
)


@router.post(
    "/pairings/{pairing_id:uuid}/contacts",
    **creates(
        ContactOut,
        "Record a contact of the caring mother with the child (idempotent on the client id)",
        errors=ON_ONE,
        replayed=RETRY,
    ),
)
async def create_pairing_contact(
    pairing_id: uuid.UUID, body: ContactCreate, session: SessionDep, _: Workers, ctx: RequestCtx
) -> ContactOut | JSONResponse:
    outcome, out = await service.record_contact(session, ctx, pairing_id, body)
    return again(outcome == "created", out)


call_route(
    router,
    "POST",
    "/pairings/{pairing_id:uuid}/end",
    acts(PairingOut, "End an active pairing (again → 409)", errors=ON_ONE),
    "end_pairing",
    Workers,
    service.end_pairing,
    body=PairingEnd,
)


@router.post(
    "/caring-mother-wishes",
    **creates(
        WishOut,
        "Record that a child wishes for a caring mother (once per child)",
        errors=ON_ONE,
        replayed=RETRY,
    ),
)
async def create_caring_mother_wish(
    body: WishCreate, session: SessionDep, _: Workers, ctx: RequestCtx
) -> WishOut | JSONResponse:
    outcome, out = await service.record_wish(session, ctx, body)
    return again(outcome == "created", out)


page_route(
    router,
    "/caring-mother-wishes",
    lists(
        Page[WishOut], "Children who wished for a caring mother (`unmatched=true`: and have none)"
    ),
    "list_caring_mother_wishes",
    Readers,
    WishQuery,
    service.list_wishes,
)
