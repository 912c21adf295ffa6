"""What the service shows at its edge: proxies it believes, headers on every answer, metrics port.

- Forwarded headers (X-Forwarded-For, X-Forwarded-Proto) are believed only from the proxies
  TRUSTED_PROXIES names (addresses or networks; empty by default: none, not even 127.0.0.1).
  Otherwise any client could pick its own address with one header and escape every per-address
  limit. uvicorn's own handling (FORWARDED_ALLOW_IPS) is switched off in `python -m app`.
- Security headers on every response: `X-Content-Type-Options: nosniff` and
  `Referrer-Policy: no-referrer`; on HTML pages a Content-Security-Policy with
  `frame-ancestors 'none'` (a page that sets its own, like /dashboard, keeps it);
  `Cache-Control: no-store` on every /api/ answer (tokens, children, records, incidents,
  referrals ...) unless the route set a cache policy of its own, and
  `Vary: Accept-Language, Authorization` (the answer depends on both).
- Conditional GETs on /api/: `If-None-Match` naming the answer's ETag → 304 with no body
  (app/kit/conditional.py).
- METRICS_PORT: /metrics on a port of its own, which the Service and the ingress do not route
  (Prometheus scrapes the pod). In production /metrics is served there only; in development
  and test also on the main port.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from app.config import Settings
from app.kit import conditional
from app.kit.asgi import HttpMiddleware

log = logging.getLogger("app")

# A page with no policy of its own loads nothing from anywhere and cannot be framed.
DEFAULT_PAGE_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Swagger UI (app/docs_ui.py): its script, styles and icon from this origin (no CDN), one
# inline script; the schema from this origin; the token request of its Authorize dialog too.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; worker-src blob:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect"})


def trusted_proxies(settings: Settings) -> list[str]:
    """TRUSTED_PROXIES as a list of addresses and networks; ValueError on a malformed entry."""
    out = []
    for raw in settings.trusted_proxies.split(","):
        item = raw.strip()
        if not item:
            continue
        if item == "*":
            raise ValueError("TRUSTED_PROXIES: '*' would believe every client; name the proxies")
        try:
            if "/" in item:
                ipaddress.ip_network(item, strict=False)
            else:
                ipaddress.ip_address(item)
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: {item!r} is not an address or network") from None
        out.append(item)
    return out


# The answers of /api/ depend on who asks and in which language (problem+json titles, the
# projection of a record): no shared cache may hand one caller's answer to another.
API_VARY = "Accept-Language, Authorization"


class SecurityHeadersMiddleware(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        api = path.startswith("/api/")
        condition = conditional.if_none_match(scope) if api else None
        swallowing = False

        async def send_with_headers(message: Message) -> None:
            nonlocal swallowing
            if swallowing:  # a 304: its body is dropped; one empty, final body message ends it
                if message["type"] == "http.response.body" and not message.get("more_body"):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if condition is not None and conditional.not_modified(message, headers, condition):
                    swallowing = True
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                if headers.get("content-type", "").startswith("text/html"):
                    csp = DOCS_CSP if path in DOCS_PATHS else DEFAULT_PAGE_CSP
                    headers.setdefault("Content-Security-Policy", csp)
                    headers.setdefault("X-Frame-Options", "DENY")
                if api:
                    headers.add_vary_header(API_VARY)
                    if "cache-control" not in headers:
                        headers["Cache-Control"] = "no-store"
                        if path == "/api/v1/auth/token":
                            headers["Pragma"] = "no-cache"  # RFC 6749 5.1, for HTTP/1.0 caches
            await send(message)

        await self.app(scope, receive, send_with_headers)


def render_metrics(app: Any) -> bytes:
    """The process's metrics in Prometheus text format (the pool gauges read now)."""
    m = app.state.metrics
    engine = app.state.engine
    with contextlib.suppress(AttributeError):
        m.db_pool_checked_out.set(engine.pool.checkedout())
        m.db_pool_size.set(engine.pool.size())
    return bytes(generate_latest(m.registry))


class MetricsServer:
    """A minimal HTTP/1.1 server answering `GET /metrics` (and 404 to anything else)."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        log.info("metrics served", extra={"port": self.port})

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(5):
                head = await reader.readuntil(b"\r\n\r\n")
            parts = head.split(b"\r\n", 1)[0].split()
            target = parts[1].split(b"?", 1)[0] if len(parts) >= 2 else b""
            if parts[:1] in ([b"GET"], [b"HEAD"]) and target == b"/metrics":
                status, ctype, body = (
                    b"200 OK",
                    CONTENT_TYPE_LATEST.encode(),
                    render_metrics(self.app),
                )
            else:
                status, ctype, body = b"404 Not Found", b"text/plain", b"not found\n"
            payload = b"" if parts[:1] == [b"HEAD"] else body
            writer.write(
                b"HTTP/1.1 "
                + status
                + b"\r\nContent-Type: "
                + ctype
                + b"\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n"
                + payload
            )
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass
        finally:
            writer.close()
