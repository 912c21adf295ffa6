"""The OAuth2 grants: password (staff), refresh_token (staff), client_credentials (agencies)."""

from __future__ import annotations

import hmac
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import repository as repo
from app.auth.passwords import hash_password_async, needs_rehash, verify_password_async
from app.auth.throttle import LoginThrottle
from app.auth.tokens import (
    create_access_token,
    hash_refresh_token,
    new_refresh_token,
    refresh_expiry,
)
from app.config import Settings
from app.errors import AppError
from app.kit.secrets import hash_client_secret
from app.models import RefreshToken, User

log = logging.getLogger("app.auth")


class OAuthError(AppError):
    """RFC 6749 §5.2 errors, as problem+json with the OAuth `error` code alongside."""

    status = 400
    code = "invalid_grant"
    title_zh = "认证失败"
    title_en = "Authentication failed"

    def __init__(
        self,
        error: str,
        detail_zh: str,
        detail_en: str,
        *,
        status: int = 400,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail_zh, detail_en, extra={"error": error}, headers=headers)
        self.status = status
        self.code = error


@dataclass
class TokenResult:
    access_token: str
    expires_in: int
    refresh_token: str | None = None
    scope: str | None = None


class _FailureLogThrottle:
    """Log a failed login at most once a minute per account, so an attack cannot flood the log."""

    def __init__(self, interval: float = 60.0, max_keys: int = 10_000) -> None:
        self.interval = interval
        self.max_keys = max_keys
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def log(self, username: str, reason: str) -> None:
        now = time.monotonic()
        last = self._last.get(username)
        if last is not None and now - last < self.interval:
            self._suppressed[username] = self._suppressed.get(username, 0) + 1
            return
        if len(self._last) >= self.max_keys:
            self._last.clear()
        suppressed = self._suppressed.pop(username, 0)
        self._last[username] = now
        log.warning(
            "login failed",
            extra={"username": username, "reason": reason, "suppressed_since_last": suppressed},
        )


failure_log = _FailureLogThrottle()


def _user_claims(user: User) -> dict[str, object]:
    return {"role": user.role, "area": user.area_code}


async def _issue_user_tokens(
    session: AsyncSession,
    settings: Settings,
    user: User,
    now: datetime,
    family_id: uuid.UUID | None = None,
) -> TokenResult:
    access, ttl = create_access_token(
        settings, now=now, subject=user.id, kind="user", extra=_user_claims(user)
    )
    refresh, refresh_hash = new_refresh_token()
    session.add(
        RefreshToken(
            user_id=user.id,
            token_hash=refresh_hash,
            family_id=family_id or uuid.uuid4(),
            expires_at=refresh_expiry(settings, now),
        )
    )
    await session.flush()
    return TokenResult(access_token=access, expires_in=ttl, refresh_token=refresh)


async def password_grant(
    session: AsyncSession,
    settings: Settings,
    now: datetime,
    username: str,
    password: str,
    *,
    address: str,
    throttle: LoginThrottle,
) -> TokenResult | OAuthError:
    """Staff login. Every failure — unknown name, wrong password, deactivated account — gets
    the same answer, and delays the next try of this (name, address) pair (app/auth/throttle.py).

    Returns the error rather than raising it (the caller's transaction commits either way).
    """
    key = throttle.key(username, address)
    wait = throttle.wait_seconds(key, now)
    if wait > 0:
        failure_log.log(username, "throttled")
        return OAuthError(
            "too_many_attempts",
            f"登录尝试过于频繁，请 {wait} 秒后再试",
            f"Too many login attempts; try again in {wait} s",
            status=429,
            headers={"Retry-After": str(wait)},
        )
    invalid = OAuthError("invalid_grant", "用户名或密码错误", "Wrong username or password")
    user = await repo.user_by_username(session, username)
    if user is None:
        await verify_password_async(None, password)  # the same time as a real check
        reason = "unknown user"
    elif not await verify_password_async(user.password_hash, password):
        reason = "wrong password"
    elif not user.is_active:
        reason = "account disabled"
    else:
        throttle.succeeded(key)
        if needs_rehash(user.password_hash):
            user.password_hash = await hash_password_async(password)
        return await _issue_user_tokens(session, settings, user, now)
    throttle.failed(key, now)
    failure_log.log(username, reason)
    return invalid


async def refresh_grant(
    session: AsyncSession, settings: Settings, now: datetime, token: str
) -> TokenResult | OAuthError:
    """Rotate a refresh token. A token used twice revokes its whole family (theft detection)."""
    invalid = OAuthError(
        "invalid_grant", "刷新令牌无效或已过期", "Invalid or expired refresh token"
    )
    stored = await repo.refresh_token_by_hash(session, hash_refresh_token(token))
    if stored is None or stored.expires_at <= now:
        raise invalid
    if stored.revoked_at is not None:
        await repo.revoke_family(session, stored.family_id, now)
        log.warning("refresh token reused; family revoked", extra={"user_id": str(stored.user_id)})
        return invalid
    user = await session.get(User, stored.user_id)
    if user is None or not user.is_active:
        raise invalid
    stored.revoked_at = now
    return await _issue_user_tokens(session, settings, user, now, family_id=stored.family_id)


async def client_credentials_grant(
    session: AsyncSession,
    settings: Settings,
    now: datetime,
    client_id: str,
    client_secret: str,
    scope: str | None,
) -> TokenResult:
    """A partner agency's system. Requested scopes must be among those granted to the client."""
    invalid = OAuthError(
        "invalid_client", "客户端标识或密钥错误", "Invalid client credentials", status=401
    )
    client = await repo.client_by_client_id(session, client_id)
    if client is None or not hmac.compare_digest(
        client.secret_hash, hash_client_secret(client_secret)
    ):
        failure_log.log(f"client:{client_id}", "bad client credentials")
        raise invalid
    if not client.is_active:
        raise invalid
    granted = set(client.scopes)
    requested = set(scope.split()) if scope else granted
    if not requested <= granted:
        raise OAuthError(
            "invalid_scope",
            "请求的权限范围超出授予范围：" + " ".join(sorted(requested - granted)),
            "Scopes not granted: " + " ".join(sorted(requested - granted)),
        )
    scopes = sorted(requested)
    access, ttl = create_access_token(
        settings,
        now=now,
        subject=client.id,
        kind="agency",
        extra={"agency": client.agency, "scopes": scopes},
    )
    return TokenResult(access_token=access, expires_in=ttl, scope=" ".join(scopes))


async def revoke(session: AsyncSession, now: datetime, token: str) -> None:
    """RFC 7009: revoke a refresh token (and its family). Unknown tokens are not an error."""
    stored = await repo.refresh_token_by_hash(session, hash_refresh_token(token))
    if stored is not None:
        await repo.revoke_family(session, stored.family_id, now)
