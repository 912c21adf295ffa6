"""POST /api/v1/auth/token (RFC 6749), /auth/revoke (RFC 7009), GET /auth/me."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.auth import service
from app.auth.principal import CurrentPrincipal
from app.db import SessionDep
from app.errors import error_responses, problem_response
from app.kit.clock import ClockDep
from app.kit.records import out_of
from app.kit.routes import acts, reads

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str | None = Field(default=None, description="Staff only.")
    scope: str | None = Field(default=None, description="Agency clients: the granted scopes.")


class Me(BaseModel):
    kind: Literal["user", "agency"]
    id: str
    name: str
    role: str | None
    area_code: str | None
    agency: str | None
    scopes: list[str]


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        raw = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = raw.partition(":")
    return (client_id, secret) if sep else None


def _missing(field: str) -> service.OAuthError:
    err = service.OAuthError("invalid_request", f"缺少参数 {field}", f"Missing parameter {field}")
    err.errors = [(field, "缺少必填字段", "Field required")]
    return err


@router.post(
    "/token",
    **acts(
        TokenResponse,
        "Obtain an access token (password, refresh_token or client_credentials grant)",
        errors=(400, 401, 422, 429),
    ),
)
async def issue_token(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    grant_type: Annotated[
        Literal["password", "refresh_token", "client_credentials"], Form(max_length=32)
    ],
    username: Annotated[str | None, Form(max_length=64)] = None,
    password: Annotated[str | None, Form(max_length=256)] = None,
    refresh_token: Annotated[str | None, Form(max_length=256)] = None,
    client_id: Annotated[str | None, Form(max_length=64)] = None,
    client_secret: Annotated[str | None, Form(max_length=256)] = None,
    scope: Annotated[str | None, Form(max_length=500)] = None,
) -> TokenResponse | JSONResponse:
    settings = request.app.state.settings
    now = clock.now()
    result: service.TokenResult | service.OAuthError
    if grant_type == "password":
        if not username:
            return problem_response(request, _missing("username"))
        if not password:
            return problem_response(request, _missing("password"))
        result = await service.password_grant(
            session,
            settings,
            now,
            username,
            password,
            address=request.client.host if request.client else "unknown",
            throttle=request.app.state.login_throttle,
        )
    elif grant_type == "refresh_token":
        if not refresh_token:
            return problem_response(request, _missing("refresh_token"))
        result = await service.refresh_grant(session, settings, now, refresh_token)
    else:
        basic = _basic_credentials(request)
        if basic is not None:
            client_id, client_secret = basic
        if not client_id:
            return problem_response(request, _missing("client_id"))
        if not client_secret:
            return problem_response(request, _missing("client_secret"))
        result = await service.client_credentials_grant(
            session, settings, now, client_id, client_secret, scope
        )
    if isinstance(result, service.OAuthError):
        # Returned, not raised: the failure count and any revocation are committed.
        return problem_response(request, result)
    return TokenResponse(
        access_token=result.access_token,
        expires_in=result.expires_in,
        refresh_token=result.refresh_token,
        scope=result.scope,
    )


@router.post(
    "/revoke",
    status_code=200,
    summary="Revoke a refresh token (RFC 7009); unknown tokens are accepted silently",
    responses=error_responses(422),
)
async def revoke_token(
    session: SessionDep,
    clock: ClockDep,
    token: Annotated[str, Form(max_length=256)],
) -> dict[str, bool]:
    await service.revoke(session, clock.now(), token)
    return {"revoked": True}


@router.get("/me", **reads(Me, "Who am I", errors=(401,)))
async def who_am_i(principal: CurrentPrincipal) -> Me:
    return out_of(Me, principal, id=str(principal.id), scopes=sorted(principal.scopes))
