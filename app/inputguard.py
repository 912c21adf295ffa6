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
from starlette.types import Message, Receive, Scope, Send

from app.errors import ValidationFailed, problem_response
from app.kit.asgi import HttpMiddleware

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


class NulGuardMiddleware(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "\x00" in scope.get("path", ""):
            # A path parameter (a school year, a month) would reach a query as it is.
            await self._reject(scope, send, "path")
            return
        query = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
                if "\x00" in key or "\x00" in value:
                    await self._reject(scope, send, key.replace("\x00", ""))
                    return
        content_type = ""
        for k, v in scope.get("headers", []):
            if k == b"content-type":
                content_type = v.decode("latin-1").split(";")[0].strip().lower()
                break
        is_json = content_type == "application/json" or content_type.endswith("+json")
        is_form = content_type == "application/x-www-form-urlencoded"
        if not (is_json or is_form):
            await self.app(scope, receive, send)
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
        if is_json and b"\\u0000" in body.lower():
            try:
                field = _find_nul(json.loads(body), "") or None
            except ValueError:
                field = None  # malformed JSON: the app's own 400 answers it
        elif is_form and (b"%00" in body or b"\x00" in body):
            for key, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
                if "\x00" in key or "\x00" in value:
                    field = key.replace("\x00", "") or "body"
                    break
        if field is not None:
            await self._reject(scope, send, field)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, scope: Scope, send: Send, field: str) -> None:
        response = problem_response(
            Request(scope), ValidationFailed(errors=[(field or "body", *_MSG)])
        )

        async def empty() -> Message:
            return {"type": "http.disconnect"}

        await response(scope, empty, send)
