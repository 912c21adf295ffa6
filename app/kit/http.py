"""Outbound HTTP (webhooks to partner agencies): one client factory that always sets timeouts.

    async with outbound_client(settings) as client:
        response = await client.post(url, json=body)

Every phase has a bound: connect, read (between bytes), write, and waiting for a pooled
connection. A timeout of None (wait forever) is refused, so no outbound call can hang a
worker. Redirects are not followed (a webhook URL that moves is a configuration error).
"""

from __future__ import annotations

import ssl
from typing import Any

import httpcore
import httpx

from app.config import Settings
from app.kit.egress import GuardedBackend

USER_AGENT = "children-care/1.0"


def outbound_timeout(settings: Settings | None = None) -> httpx.Timeout:
    connect = settings.outbound_connect_timeout_seconds if settings else 5.0
    other = settings.outbound_timeout_seconds if settings else 10.0
    return httpx.Timeout(connect=connect, read=other, write=other, pool=connect)


DEFAULT_LIMITS = httpx.Limits(max_connections=50, max_keepalive_connections=10)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport whose connections go through the egress guard (checked, pinned)."""

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | bool = True,
        limits: httpx.Limits = DEFAULT_LIMITS,
        allow_private: bool = False,
    ) -> None:
        super().__init__(verify=verify, limits=limits, trust_env=False)
        # httpx offers no network_backend option: the same pool, built with the guard.
        plain = self._pool
        assert isinstance(plain, httpcore.AsyncConnectionPool)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=plain._ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow_private=allow_private),
        )


def outbound_client(
    settings: Settings | None = None,
    *,
    timeout: httpx.Timeout | float | None = None,
    allow_private: bool | None = None,
    **kwargs: Any,
) -> httpx.AsyncClient:
    """An httpx.AsyncClient for calls leaving the service, with every timeout set and every
    connection checked by the egress guard.

    `timeout` overrides the settings' (a number sets all four phases); `allow_private` the
    settings' WEBHOOK_ALLOW_PRIVATE_TARGETS (False without settings); other keyword arguments
    go to httpx.AsyncClient (`verify=` and `limits=` to the guarded transport; a `transport=`
    of a test replaces it).
    """
    if timeout is None:
        timeout = outbound_timeout(settings)
    elif not isinstance(timeout, httpx.Timeout):
        timeout = httpx.Timeout(timeout)
    missing = [
        phase
        for phase in ("connect", "read", "write", "pool")
        if getattr(timeout, phase) is None or getattr(timeout, phase) <= 0
    ]
    if missing:
        raise ValueError(f"outbound calls need a positive timeout for: {', '.join(missing)}")
    headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
    kwargs.setdefault("follow_redirects", False)
    kwargs["trust_env"] = False
    if "transport" not in kwargs:
        if allow_private is None:
            allow_private = bool(settings is not None and settings.webhook_allow_private_targets)
        kwargs["transport"] = GuardedTransport(
            verify=kwargs.pop("verify", True),
            limits=kwargs.pop("limits", DEFAULT_LIMITS),
            allow_private=allow_private,
        )
    from app import tracing

    if tracing.tracer() is not None:
        kwargs["transport"] = TracedTransport(kwargs["transport"])
    return httpx.AsyncClient(timeout=timeout, headers=headers, **kwargs)


class TracedTransport(httpx.AsyncBaseTransport):
    """A client span around each outbound call, its context sent as `traceparent` (W3C).
    Only in the chain when tracing is on."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        from opentelemetry.propagate import inject
        from opentelemetry.trace import Status, StatusCode

        from app import tracing

        with tracing.span(
            f"{request.method} {request.url.host}",
            kind="client",
            **{
                "http.request.method": request.method,
                "server.address": request.url.host,
                "url.full": str(request.url.copy_with(query=None)),
            },
        ) as current:
            carrier: dict[str, str] = {}
            inject(carrier)
            request.headers.update(carrier)
            try:
                response = await self.inner.handle_async_request(request)
            except Exception as exc:
                if current is not None:
                    current.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                raise
            if current is not None:
                current.set_attribute("http.response.status_code", response.status_code)
                if response.status_code >= 500:
                    current.set_status(Status(StatusCode.ERROR))
            return response

    async def aclose(self) -> None:
        await self.inner.aclose()
