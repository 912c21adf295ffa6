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
import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipResponder
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.errors import PayloadTooLarge, problem_response
from app.inputguard import NulGuard, body_kind, nul_in_target
from app.kit import conditional
from app.kit.clock import Clock
from app.observability import (
    UNLOGGED_ROUTES,
    AccessLog,
    Metrics,
    new_request_id,
    request_id_var,
    valid_request_id,
)
from app.uploadgate import carries_file

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


# The edge: every request of the main port passes through one middleware (`EdgeMiddleware`),
# which does in one call, in this order, what eight layers used to do one after the other:
#
# 1. the request id (X-Request-ID in and out), the metrics and the access line (outermost: a
#    refused request is counted and logged too); the security headers, `Cache-Control`,
#    `Vary` and the conditional GET's 304 on every answer, refusals included;
# 2. the rate limit (429);
# 3. the body-size limit (413: a Content-Length over it at once, a body growing over it when
#    read);
# 4. the upload gate (app/uploadgate.py: 429, 408), for the requests that carry a file;
# 5. compression (gzip when the request accepts it; Starlette's GZipMiddleware, whose
#    identity pass, for the requests that do not, is done here: `Vary: Accept-Encoding` on the
#    answers it would have compressed);
# 6. the NUL guard (app/inputguard.py: 422), for a NUL in the path or the query, or a JSON or
#    form body.
#
# Each step answers with problem+json through the steps before it only (a 413 is counted,
# logged and carries the security headers; it is not compressed). A request that needs no step
# of its own (no file, no JSON body, nothing refused) costs one pass over its headers and one
# over its answer's.

_NOSNIFF = (b"x-content-type-options", b"nosniff")
_NO_REFERRER = (b"referrer-policy", b"no-referrer")
_FRAME_DENY = (b"x-frame-options", b"DENY")
_NO_STORE = (b"cache-control", b"no-store")
_API_VARY = API_VARY.encode("latin-1")
_PAGE_CSP = DEFAULT_PAGE_CSP.encode("latin-1")
_DOCS_CSP = DOCS_CSP.encode("latin-1")
_TOKEN_PATH = "/api/v1/auth/token"  # noqa: S105 - a path
# Compression: what the service's GZipMiddleware was given (level 6: nearly level 9's size for
# phones, at half the CPU on large lists), and Starlette's defaults for the rest.
GZIP_MINIMUM_SIZE = 1024
GZIP_LEVEL = 6
_GZIP_EXCLUDED = tuple(t.partition(";")[0].strip().lower() for t in DEFAULT_EXCLUDED_CONTENT_TYPES)
# The request headers the edge reads (the first of each name), by position.
_RID, _AUTHORIZATION, _CONTENT_TYPE, _ACCEPT_ENCODING, _IF_NONE_MATCH, _LENGTH = range(6)
_READ = {
    b"x-request-id": _RID,
    b"authorization": _AUTHORIZATION,
    b"content-type": _CONTENT_TYPE,
    b"accept-encoding": _ACCEPT_ENCODING,
    b"if-none-match": _IF_NONE_MATCH,
    b"content-length": _LENGTH,
}


def _set_header(raw: list[tuple[bytes, bytes]], name: bytes, value: bytes) -> None:
    """`MutableHeaders.__setitem__`: the first header of the name takes the value (the others
    go), or a new one at the end."""
    found = [i for i, (key, _) in enumerate(raw) if key == name]
    for i in reversed(found[1:]):
        del raw[i]
    if found:
        raw[found[0]] = (name, value)
    else:
        raw.append((name, value))


def _add_vary(raw: list[tuple[bytes, bytes]], value: bytes) -> None:
    """`MutableHeaders.add_vary_header`."""
    _set_header(raw, b"vary", b", ".join([*(v for k, v in raw if k == b"vary"), value]))


_excluded_cache: dict[bytes, bool] = {}


def _not_compressed(content_type: bytes) -> bool:
    """A media type GZipMiddleware leaves alone (images, event streams, archives ...)."""
    excluded = _excluded_cache.get(content_type)
    if excluded is None:
        media = content_type.decode("latin-1").partition(";")[0].strip().lower()
        types = {media, media.partition("/")[0] + "/*"}
        if media.startswith("application/grpc+"):
            types.add("application/grpc")
        excluded = not types.isdisjoint(_GZIP_EXCLUDED)
        if len(_excluded_cache) < 256:
            _excluded_cache[content_type] = excluded
    return excluded


class _Exchange:
    """One request's way out: `send` puts the edge's headers on the answer (step 1), `identity`
    is compression's pass for a request that accepts no gzip (step 5), `inner` runs steps 5
    and 6 and the application."""

    __slots__ = (
        "api",
        "app",
        "body_started",
        "condition",
        "downstream",
        "gzip",
        "held",
        "passthrough",
        "path",
        "rid",
        "status",
        "swallowing",
    )

    def __init__(self, downstream: Send, rid: bytes, path: str, condition: bytes | None) -> None:
        self.downstream = downstream
        self.rid = rid
        self.path = path
        self.api = path.startswith("/api/")
        self.condition = condition if self.api else None
        self.status = 500  # what the log and the metrics say when no answer started
        self.swallowing = False  # a 304: its body is dropped
        self.app: ASGIApp | None = None
        self.gzip = False
        self.held: Message | None = None
        self.passthrough = False
        self.body_started = False

    async def inner(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None
        if self.gzip:
            responder = GZipResponder(
                self.app,
                GZIP_MINIMUM_SIZE,
                compresslevel=GZIP_LEVEL,
                exclude_content_types=_GZIP_EXCLUDED,
            )
            await responder(scope, receive, send)
        else:
            await self.app(scope, receive, self.identity)

    async def send(self, message: Message) -> None:
        if self.swallowing:  # one empty, final body message ends a 304
            if message["type"] == "http.response.body" and not message.get("more_body"):
                await self.downstream(
                    {"type": "http.response.body", "body": b"", "more_body": False}
                )
            return
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self._headers(message)
        await self.downstream(message)

    def _headers(self, message: Message) -> None:
        raw = list(message.get("headers", ()))
        raw.append((b"x-request-id", self.rid))
        if self.condition is not None and conditional.not_modified(
            message, MutableHeaders(raw=raw), self.condition
        ):
            self.swallowing = True
        names = {name for name, _ in raw}
        if b"x-content-type-options" not in names:
            raw.append(_NOSNIFF)
        if b"referrer-policy" not in names:
            raw.append(_NO_REFERRER)
        if b"content-type" in names:
            content_type = next(v for k, v in raw if k == b"content-type")
            if content_type.startswith(b"text/html"):
                if b"content-security-policy" not in names:
                    csp = _DOCS_CSP if self.path in DOCS_PATHS else _PAGE_CSP
                    raw.append((b"content-security-policy", csp))
                if b"x-frame-options" not in names:
                    raw.append(_FRAME_DENY)
        if self.api:
            if b"vary" in names:
                _add_vary(raw, _API_VARY)
            else:
                raw.append((b"vary", _API_VARY))
            if b"cache-control" not in names:
                raw.append(_NO_STORE)
                if self.path == _TOKEN_PATH:
                    _set_header(raw, b"pragma", b"no-cache")  # RFC 6749 5.1, HTTP/1.0 caches
        message["headers"] = raw

    async def identity(self, message: Message) -> None:
        """Starlette's IdentityResponder: the start waits for the first body; an answer it
        would have compressed (a body of GZIP_MINIMUM_SIZE or more, or a stream) says
        `Vary: Accept-Encoding`; an encoded, partial or excluded one goes as it is."""
        kind = message["type"]
        if kind == "http.response.start":
            self.held = message
            headers = message.setdefault("headers", [])
            content_type = b""
            encoded = False
            for name, value in headers:
                if name == b"content-encoding":
                    encoded = True
                elif name == b"content-type" and not content_type:
                    content_type = value
            self.passthrough = encoded or message["status"] == 206 or _not_compressed(content_type)
            if self.passthrough:
                await self.send(message)
        elif kind in ("http.response.body", "http.response.pathsend") and self.passthrough:
            await self.send(message)
        elif kind == "http.response.body" and not self.body_started:
            self.body_started = True
            assert self.held is not None
            if len(message.get("body", b"")) >= GZIP_MINIMUM_SIZE or message.get("more_body"):
                _add_vary(self.held["headers"], b"Accept-Encoding")
            await self.send(self.held)
            await self.send(message)
        elif kind == "http.response.body":
            message["body"] = message.get("body", b"")
            await self.send(message)
        elif kind in ("http.response.early_hint", "http.response.trailers"):
            await self.send(message)
        elif kind == "http.response.pathsend":
            assert self.held is not None
            await self.send(self.held)
            await self.send(message)


class EdgeMiddleware:
    """Steps 1–6 above, for every HTTP request (other scopes go through untouched)."""

    def __init__(self, app: ASGIApp, *, settings: Settings, metrics: Metrics, clock: Clock) -> None:
        from app.ratelimit import RateLimiter
        from app.uploadgate import UploadGate

        self.app = app
        self.metrics = metrics
        self.access = AccessLog()
        self.limiter = RateLimiter(settings, metrics) if settings.rate_limit_enabled else None
        self.max_bytes = settings.max_body_bytes
        self.max_upload_bytes = settings.max_upload_bytes
        self.uploads = UploadGate(settings=settings, clock=clock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        method = scope.get("method")
        upload = carries_file(method, path)
        limit = (
            self.max_upload_bytes
            if upload or path.endswith(("/import", "/imports"))
            else self.max_bytes
        )
        read: list[bytes | None] = [None, None, None, None, None, None]
        too_large = False
        for name, value in scope.get("headers", ()):
            i = _READ.get(name)
            if i is None:
                continue
            if i == _LENGTH:
                with contextlib.suppress(ValueError):
                    too_large = too_large or int(value) > limit
            elif read[i] is None:
                read[i] = value
        raw_rid = read[_RID]
        incoming = raw_rid.decode("latin-1") if raw_rid is not None else None
        rid = incoming if incoming and valid_request_id(incoming) else new_request_id()
        token = request_id_var.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        condition = read[_IF_NONE_MATCH] if method in ("GET", "HEAD") else None
        exchange = _Exchange(send, rid.encode(), path, condition)
        start = time.perf_counter()
        self.metrics.in_flight.inc()
        try:
            if self.limiter is not None:
                refusal = self.limiter.refusal(scope, path, read[_AUTHORIZATION])
                if refusal is not None:
                    await problem_response(Request(scope), refusal)(scope, receive, exchange.send)
                    return
            if too_large:
                await _too_large(scope, exchange.send, limit)
                return
            exchange.app = self._guarded(scope, path, read[_CONTENT_TYPE])
            encodings = read[_ACCEPT_ENCODING]
            exchange.gzip = encodings is not None and b"gzip" in encodings
            await self._bounded(scope, receive, exchange, limit, upload)
        finally:
            self.metrics.in_flight.dec()
            self._record(scope, exchange.status, time.perf_counter() - start)
            request_id_var.reset(token)

    async def _bounded(
        self, scope: Scope, receive: Receive, exchange: _Exchange, limit: int, upload: bool
    ) -> None:
        """Steps 3 (a body read past `limit`), 4 and on."""
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
            return message

        try:
            if upload:
                await self.uploads.handle(scope, limited_receive, exchange.send, exchange.inner)
            else:
                await exchange.inner(scope, limited_receive, exchange.send)
        except _TooLarge:
            await _too_large(scope, exchange.send, limit)

    def _guarded(self, scope: Scope, path: str, content_type: bytes | None) -> ASGIApp:
        """The application, behind the NUL guard when the request needs it (step 6)."""
        field = nul_in_target(path, scope.get("query_string", b""))
        kind = body_kind(content_type)
        if field is None and kind is None:
            return self.app
        return NulGuard(self.app, field, kind)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("route")
        path = getattr(route, "path_format", None) or getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "")
        self.metrics.count_request(method, path, status, seconds)
        if path not in UNLOGGED_ROUTES:
            self.access.line(method, path, status, seconds)


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    err = PayloadTooLarge(
        f"请求体超过上限 {limit} 字节", f"The body exceeds the limit of {limit} bytes"
    )
    await problem_response(Request(scope), err)(scope, _empty_receive, send)


class _TooLarge(HTTPException):
    """An HTTPException, so that FastAPI's body parsing passes it on as a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413)
        self.limit = limit


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}


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
