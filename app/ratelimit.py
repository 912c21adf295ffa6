"""Rate limits (限流): token buckets per user or agency client, per client IP, and on the token endpoint.

Every request takes one token from its bucket; an empty bucket gives 429 problem+json with
`Retry-After` (whole seconds until a token is back). Buckets live in memory, one set per
process: with N replicas a caller gets up to N times the limit, which is what a per-process
limit is for — to stop a runaway client or a password sprayer from starving the others, not to
meter exactly.

- Authenticated calls are keyed by the access token's `sub` (the user or the agency client),
  read from the JWT after checking its signature (cheap HMAC, no database): forged or expired
  tokens fall back to the client IP, so nobody escapes the limit by inventing subjects.
- Anonymous calls are keyed by the client IP (`scope["client"]`; behind the ingress, the
  forwarded address, believed only from the proxies TRUSTED_PROXIES names: app/edge.py).
- `POST /api/v1/auth/token` has its own, stricter bucket per IP (password guessing); failed
  logins also delay their (username, address) pair (app/auth/throttle.py).
- Probes and metrics (/healthz, /readyz, /metrics) are never limited.

Settings: RATE_LIMIT_ENABLED, RATE_LIMIT_PER_MINUTE / RATE_LIMIT_BURST,
RATE_LIMIT_TOKEN_PER_MINUTE / RATE_LIMIT_TOKEN_BURST.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import jwt
from starlette.types import Scope

from app.auth.tokens import verified_claims
from app.config import Settings
from app.errors import TooManyRequests
from app.observability import Metrics

TOKEN_PATH = "/api/v1/auth/token"  # noqa: S105 - a path
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """Token buckets keyed by string; the least recently used are forgotten past `max_keys`.

    Forgetting a bucket only refills it, so the bound costs at most some leniency.
    """

    def __init__(
        self,
        per_minute: int,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str) -> float:
        """Take a token: 0.0 when granted, else the seconds until one is available."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(self.burst, now)
            self._buckets[key] = bucket
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def __len__(self) -> int:
        return len(self._buckets)


class RateLimiter:
    """The buckets of one process and the decision for one request (the edge asks it first,
    app/edge.py: a refused request reaches nothing else)."""

    def __init__(
        self,
        settings: Settings,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.signing_key = settings.jwt_signing_key.get_secret_value()
        self.metrics = metrics
        self.calls = TokenBuckets(
            settings.rate_limit_per_minute, settings.rate_limit_burst, clock=clock
        )
        self.token = TokenBuckets(
            settings.rate_limit_token_per_minute, settings.rate_limit_token_burst, clock=clock
        )

    def refusal(
        self, scope: Scope, path: str, authorization: bytes | None
    ) -> TooManyRequests | None:
        """Take the request's token: None when granted, else the 429 to answer (counted).
        `authorization`: the request's first Authorization header, if any."""
        if path in EXEMPT_PATHS:
            return None
        ip = _client_ip(scope)
        if path == TOKEN_PATH:
            bucket, wait = "token", self.token.take(f"ip:{ip}")
        else:
            subject = self._subject(authorization) if authorization is not None else None
            if subject is not None:
                bucket, wait = "principal", self.calls.take(f"sub:{subject}")
            else:
                bucket, wait = "ip", self.calls.take(f"ip:{ip}")
        if wait <= 0:
            return None
        if self.metrics is not None:
            self.metrics.rate_limited.labels(bucket).inc()
        retry_after = max(1, math.ceil(wait))
        return TooManyRequests(
            f"请求过于频繁，请 {retry_after} 秒后重试",
            f"Too many requests; retry in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )

    def _subject(self, authorization: bytes) -> str | None:
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        try:
            # The service's own check of signature and issuer, remembered per token
            # (app.auth.tokens): a phone sends the same token with every call, and
            # decoding it again cost about a tenth of a millisecond per request.
            # Expiry is not checked here (an expired token is still its subject's).
            claims = dict(verified_claims(self.signing_key, token.strip()))
        except jwt.PyJWTError:
            return None
        sub = claims.get("sub")
        return str(sub) if sub else None


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
