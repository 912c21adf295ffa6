"""Refuse NUL characters in any input, naming the field, before they reach PostgreSQL.

PostgreSQL text cannot hold U+0000, so a JSON string, form field or query parameter carrying
one would otherwise fail at the database. This middleware checks the path and the query, reads
JSON and form bodies (already bounded by the body-size limit), walks them, and answers 422 with
the path of the first offending field. Multipart uploads are checked by their importers.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import ValidationFailed, problem_response

_MSG = ("不能包含空字符（U+0000）", "Must not contain the NUL character (U+0000)")


def _find_nul(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for k, v in value.items():
            sub = f"{path}.{k}" if path else str(k)
            if "\x00" in str(k):
                return sub
            found = _find_nul(v, sub)
            if found:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _find_nul(v, f"{path}.{i}" if path else str(i))
            if found:
                return found
    return None


def nul_in_target(path: str, query: bytes) -> str | None:
    """The field to name when the path or the query carries a NUL (`path`, or the query
    parameter's name), else None."""
    if "\x00" in path:
        # A path parameter (a school year, a month) would reach a query as it is.
        return "path"
    if b"%00" in query or b"\x00" in query:
        for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in key or "\x00" in value:
                return key.replace("\x00", "")
    return None


def body_kind(content_type: bytes | None) -> str | None:
    """`json` or `form` for the bodies this guard reads (the request's first Content-Type),
    else None: the request goes on untouched."""
    if content_type is None:
        return None
    media = content_type.decode("latin-1").split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return "json"
    if media == "application/x-www-form-urlencoded":
        return "form"
    return None


class NulGuard:
    """The ASGI app in front of `app` for one request: answers 422 naming `field` (a NUL in the
    path or the query), or, for a JSON or form body (`kind`), reads the body (already bounded by
    the body-size limit), walks it, and answers 422 or hands it on replayed. The edge
    (app/edge.py) builds one only when a request needs it; any other request goes straight on."""

    __slots__ = ("app", "field", "kind")

    def __init__(self, app: ASGIApp, field: str | None, kind: str | None) -> None:
        self.app = app
        self.field = field
        self.kind = kind

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.field is not None:
            await reject(scope, send, self.field)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        field = None
        if self.kind == "json" and b"\\u0000" in body.lower():
            try:
                field = _find_nul(json.loads(body), "") or None
            except ValueError:
                field = None  # malformed JSON: the app's own 400 answers it
        elif self.kind == "form" and (b"%00" in body or b"\x00" in body):
            for key, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
                if "\x00" in key or "\x00" in value:
                    field = key.replace("\x00", "") or "body"
                    break
        if field is not None:
            await reject(scope, send, field)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def reject(scope: Scope, send: Send, field: str) -> None:
    response = problem_response(Request(scope), ValidationFailed(errors=[(field or "body", *_MSG)]))

    async def empty() -> Message:
        return {"type": "http.disconnect"}

    await response(scope, empty, send)
