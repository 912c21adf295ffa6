"""Conditional GETs (RFC 9110 13.1.2): `If-None-Match` answered with 304 Not Modified.

Single resources carry their version as `ETag` (app/kit/etag.py), the phone's sync a digest of
its answer (app/sync/router.py). A GET or HEAD whose `If-None-Match` names the ETag of the
answer it would get (weak comparison, `*` matches any) gets `304` instead: the same ETag,
`Cache-Control` and `Vary`, no body — a phone re-reading a record it holds spends no bandwidth.
The route still runs (it decides who may read what, and the ETag is the answer's), so a
record outside the caller's reach stays a 404 and an unauthenticated request a 401.

`not_modified(...)` is called by the edge middleware (app/edge.py) on the response's start.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Scope

# Headers of a 200 that a 304 does not repeat (it has no content).
_CONTENT_HEADERS = ("content-type", "content-length", "content-encoding")


def if_none_match(scope: Scope) -> bytes | None:
    """The request's If-None-Match (raw), for a GET or HEAD; else None."""
    if scope.get("method") not in ("GET", "HEAD"):
        return None
    for name, value in scope.get("headers", ()):
        if name == b"if-none-match":
            return bytes(value)
    return None


def _opaque(tag: str) -> str:
    return tag.strip().removeprefix("W/")


def matches(if_none_match: bytes, etag: str) -> bool:
    """Weak comparison of an ETag with the tags of an If-None-Match header."""
    header = if_none_match.decode("latin-1").strip()
    if header == "*":
        return True
    wanted = _opaque(etag)
    return any(_opaque(t) == wanted for t in header.split(",") if t.strip())


def not_modified(message: Message, headers: MutableHeaders, condition: bytes) -> bool:
    """Turn a 200's `http.response.start` (`headers`: its MutableHeaders) into a 304 when
    `condition` names its ETag."""
    if message["status"] != 200:
        return False
    etag = headers.get("etag")
    if etag is None or not matches(condition, etag):
        return False
    message["status"] = 304
    for name in _CONTENT_HEADERS:
        if name in headers:
            del headers[name]
    return True
