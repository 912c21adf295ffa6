"""Access tokens (short-lived, signed JWT) and refresh tokens (opaque, stored hashed, rotated)."""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

import jwt

from app.config import Settings

ALGORITHM = "HS256"
ISSUER = "children-care"


def create_access_token(
    settings: Settings, *, now: datetime, subject: uuid.UUID, kind: str, extra: dict[str, Any]
) -> tuple[str, int]:
    ttl = settings.access_token_minutes * 60
    claims = {
        "iss": ISSUER,
        "sub": str(subject),
        "kind": kind,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()) - 5,
        "exp": int(now.timestamp()) + ttl,
        "jti": uuid.uuid4().hex,
        **extra,
    }
    token = jwt.encode(claims, settings.jwt_signing_key.get_secret_value(), algorithm=ALGORITHM)
    return token, ttl


def decode_access_token(settings: Settings, token: str, *, now: datetime) -> dict[str, Any]:
    """Verify signature and issuer; expiry is checked against the service clock, not the host's."""
    claims = dict(_verified(settings.jwt_signing_key.get_secret_value(), token))
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= int(now.timestamp()):
        raise jwt.ExpiredSignatureError("expired")
    return claims


@functools.lru_cache(maxsize=4096)
def _verified(key: str, token: str) -> tuple[tuple[str, Any], ...]:
    """The claims of a token whose signature and issuer check out, remembered: a phone sends
    the same token with every call, and verifying it again (~0.4 ms) would give the same answer.
    Only successes are kept (a bad token raises each time); expiry is checked by the caller on
    every call; a new signing key is a new cache key."""
    claims: dict[str, Any] = jwt.decode(
        token,
        key,
        algorithms=[ALGORITHM],
        issuer=ISSUER,
        options={"require": ["exp", "sub", "iss"], "verify_exp": False, "verify_nbf": False},
    )
    return tuple(claims.items())


verified_claims = _verified
"""(signing key, token) → the claims of a token whose signature and issuer check out (raises
jwt.PyJWTError otherwise), remembered; expiry not checked (the rate limits' subject)."""


def new_refresh_token() -> tuple[str, str]:
    """(token for the client, its SHA-256 for the database)."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def refresh_expiry(settings: Settings, now: datetime) -> datetime:
    return now + timedelta(days=settings.refresh_token_days)
