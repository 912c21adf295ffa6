from __future__ import annotations

import hmac
import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Response
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.etag import set_etag
from app.kit.idempotency import IdempotencyKey, create_once, remember_for_key, replay_for_key
from app.kit.pagination import Page
from app.kit.params import Filters
from app.kit.records import replay_response
from app.kit.routes import acts, creates, lists, page_route, reads
from app.users import service
from app.users.auth import AccountAdmin, UserReader
from app.users.schemas import (
    AgencyClientCreate,
    AgencyClientCreated,
    AgencyClientOut,
    AgencyClientQuery,
    UserCreate,
    UserOut,
    UserPatch,
    UserQuery,
)
from app.webhooks.service import check_url

router = APIRouter(prefix="/api/v1", tags=["users"])


_CLIENT_REPLAYED = replay_response("A replay: the secret is not shown again")


@router.post("/users", **creates(UserOut, "Create a staff account"))
async def create_user(
    body: UserCreate,
    response: Response,
    session: SessionDep,
    actor: AccountAdmin,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> UserOut | JSONResponse:
    # The stored fingerprint must not let anyone recover the password: keyed, not a plain hash.
    secret = hmac.new(
        ctx.keyring.hmac_key, body.password.get_secret_value().encode(), "sha256"
    ).hexdigest()
    fingerprint = body.model_dump(mode="json") | {"password": secret}

    async def create() -> tuple[UserOut, uuid.UUID]:
        user = await service.create_user(session, ctx, body)
        set_etag(response, user.version)
        return service.user_out(user, ctx), user.id

    owner = str(actor.id)
    return await create_once(
        session, idempotency_key, owner=owner, scope="users", body=fingerprint, create=create
    )


page_route(
    router,
    "/users",
    lists(Page[UserOut], "List staff accounts"),
    "list_users",
    UserReader,
    UserQuery,
    service.list_users,
)


@router.get("/users/{user_id:uuid}", **reads(UserOut, "Get a staff account"))
async def get_user(
    user_id: uuid.UUID,
    response: Response,
    session: SessionDep,
    reader: UserReader,
    ctx: RequestCtx,
) -> UserOut:
    user = await service.get_user(session, reader, user_id)
    set_etag(response, user.version)
    return service.user_out(user, ctx)


@router.patch(
    "/users/{user_id:uuid}",
    **acts(
        UserOut,
        "Change a staff account (needs If-Match)",
        errors=(400, 401, 403, 404, 409, 412, 422, 428),
    ),
)
async def update_user(
    user_id: uuid.UUID,
    body: UserPatch,
    response: Response,
    session: SessionDep,
    actor: AccountAdmin,
    ctx: RequestCtx,
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=100)] = None,
) -> UserOut:
    user = await service.update_user(session, ctx, user_id, body, if_match)
    set_etag(response, user.version)
    return service.user_out(user, ctx)


@router.post(
    "/users/{user_id:uuid}/deactivate",
    **acts(UserOut, "Deactivate a staff account (its refresh tokens are revoked)"),
)
async def deactivate_user(
    user_id: uuid.UUID, session: SessionDep, actor: AccountAdmin, ctx: RequestCtx
) -> UserOut:
    return service.user_out(await service.deactivate_user(session, actor, user_id, ctx.now), ctx)


@router.post(
    "/agency-clients",
    **creates(
        AgencyClientCreated,
        "Create a partner-agency client; its secret is shown once",
        replayed=_CLIENT_REPLAYED,
        tags=["agencies"],
    ),
)
async def create_agency_client(
    body: AgencyClientCreate,
    session: SessionDep,
    actor: AccountAdmin,
    ctx: RequestCtx,
    idempotency_key: IdempotencyKey = None,
) -> AgencyClientCreated | JSONResponse:
    key = {"owner": str(actor.id), "scope": "agency_clients"}
    if replay := await replay_for_key(session, idempotency_key, **key, body=body):
        return replay
    if body.webhook_url is not None:
        await check_url(body.webhook_url, ctx.settings)
    client, secret = await service.create_agency_client(session, actor, body)
    out = AgencyClientOut.model_validate(client)
    # The secret is never stored: a replay answers without it.
    unsecret = AgencyClientCreated(**out.model_dump(), client_secret=None)
    await remember_for_key(
        session, idempotency_key, **key, out=unsecret, resource_id=str(client.id)
    )
    return AgencyClientCreated(**out.model_dump(), client_secret=secret)


@router.get(
    "/agency-clients",
    **lists(Page[AgencyClientOut], "List partner-agency clients", tags=["agencies"]),
)
async def list_agency_clients(
    session: SessionDep, reader: UserReader, query: Filters[AgencyClientQuery]
) -> Page[AgencyClientOut]:
    return await service.list_agency_clients(
        session, reader, query.agency, query.limit, query.cursor
    )


@router.post(
    "/agency-clients/{client_id:uuid}/rotate-secret",
    **reads(
        AgencyClientCreated,
        "Issue a new secret for a client (shown once); the old one stops working",
        tags=["agencies"],
    ),
)
async def rotate_agency_secret(
    client_id: uuid.UUID, session: SessionDep, actor: AccountAdmin
) -> AgencyClientCreated:
    client, secret = await service.rotate_agency_secret(session, actor, client_id)
    return AgencyClientCreated(
        **AgencyClientOut.model_validate(client).model_dump(), client_secret=secret
    )


@router.post(
    "/agency-clients/{client_id:uuid}/deactivate",
    **reads(AgencyClientOut, "Deactivate a partner-agency client", tags=["agencies"]),
)
async def deactivate_agency_client(
    client_id: uuid.UUID, session: SessionDep, actor: AccountAdmin
) -> AgencyClientOut:
    return AgencyClientOut.model_validate(
        await service.deactivate_agency_client(session, actor, client_id)
    )
