"""Outbound HTTP (webhooks to partner agencies): one client factory that always sets timeouts.

    async with outbound_client(settings) as client:
        response = await client.post(url, json=body)

Every phase has a bound: connect, read (between bytes), write, and waiting for a pooled
connection. A timeout of None (wait forever) is refused, so no outbound call can hang a
worker. Redirects are not followed (a webhook URL that moves is a configuration error).
"""

from __future__ import annotations

from typing import Any

import httpx

from app.config import Settings

USER_AGENT = "children-care/1.0"


def outbound_timeout(settings: Settings | None = None) -> httpx.Timeout:
    connect = settings.outbound_connect_timeout_seconds if settings else 5.0
    other = settings.outbound_timeout_seconds if settings else 10.0
    return httpx.Timeout(connect=connect, read=other, write=other, pool=connect)


def outbound_client(
    settings: Settings | None = None,
    *,
    timeout: httpx.Timeout | float | None = None,
    **kwargs: Any,
) -> httpx.AsyncClient:
    """An httpx.AsyncClient for calls leaving the service, with every timeout set.

    `timeout` overrides the settings' (a number sets all four phases); other keyword arguments
    go to httpx.AsyncClient (e.g. `transport=` in tests).
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
    kwargs.setdefault("limits", httpx.Limits(max_connections=50, max_keepalive_connections=10))
    return httpx.AsyncClient(timeout=timeout, headers=headers, **kwargs)
