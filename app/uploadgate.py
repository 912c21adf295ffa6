"""Uploads arrive whole before a request touches the database (slow uploads, issue 20).

A file upload (a POST to a path ending in `/import` or `/imports`, the paths that have the
larger body limit) used to resolve its caller, and so open a database transaction, before its
body had arrived: a client sending slowly held a pooled connection "idle in transaction" for
as long as it liked, and a couple of dozen such clients starved every other request.

A document's upload (POST /api/v1/documents, and each chunk of a resumable one, PATCH
/api/v1/documents/{id}/upload) passes through here too: a chunk is received whole or not at all.

The gate (a step of the edge, app/edge.py) receives the body first, with no connection, then
hands the request on:

- the body goes to a spool (memory up to 1 MiB, then a file in the upload directory), and the
  route reads it from there at disk speed; the spool is removed when the request ends;
- the whole body must arrive within UPLOAD_RECEIVE_TIMEOUT_SECONDS, else 408 (problem+json;
  the connection is closed);
- a caller (the `sub` of a valid bearer token) may have UPLOAD_MAX_CONCURRENT_PER_USER
  uploads in progress in this process, else 429 with Retry-After.

A request without a valid token is passed on untouched: the route refuses it (401) before it
reads the body or opens a connection. The size limit is checked first (app/edge.py: a body
over it ends the spooling with 413).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections import Counter
from pathlib import Path
from typing import IO, Final

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.errors import RequestTimeout, TooManyRequests, problem_response
from app.kit.clock import Clock

_IN_MEMORY: Final = 1024 * 1024
_REPLAY_PIECE: Final = 1024 * 1024
# What a caller over the concurrent-upload limit is told to wait (uploads take seconds to minutes).
_RETRY_AFTER_SECONDS: Final = 10


def carries_file(method: str | None, path: str) -> bool:
    """The requests that carry a file (the body-size limit gives them the larger one): the
    import routes, and a document's upload (the whole file, or a chunk of a resumable one)."""
    if method == "POST" and path.endswith(("/import", "/imports")):
        return True
    if method == "POST" and path == "/api/v1/documents":
        return True
    return method == "PATCH" and path.startswith("/api/v1/documents/") and path.endswith("/upload")


def is_upload(scope: Scope) -> bool:
    """The requests that carry a file (see `carries_file`)."""
    return carries_file(scope.get("method"), scope.get("path", ""))


class _Spool:
    """The body as it arrives: in memory up to _IN_MEMORY bytes, then in a file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.pending = bytearray()
        self.path: Path | None = None
        self.file: IO[bytes] | None = None
        self.size = 0

    async def write(self, data: bytes) -> None:
        self.pending += data
        self.size += len(data)
        if len(self.pending) >= _IN_MEMORY:
            await self._flush()

    async def _flush(self) -> None:
        if self.file is None:
            await asyncio.to_thread(self.directory.mkdir, parents=True, exist_ok=True)
            self.path = self.directory / f"{uuid.uuid4().hex}.spool"
            self.file = await asyncio.to_thread(self.path.open, "w+b")
        data, self.pending = bytes(self.pending), bytearray()
        await asyncio.to_thread(self.file.write, data)

    async def finish(self) -> None:
        if self.file is not None:
            await self._flush()
            await asyncio.to_thread(self.file.seek, 0)

    async def read(self) -> bytes:
        assert self.file is not None
        return await asyncio.to_thread(self.file.read, _REPLAY_PIECE)

    async def close(self) -> None:
        if self.file is not None:
            await asyncio.to_thread(self.file.close)
        if self.path is not None:
            with contextlib.suppress(OSError):
                await asyncio.to_thread(os.unlink, self.path)


class _Disconnected(Exception):
    pass


class UploadGate:
    """The uploads of one process in progress, per caller; `handle` receives one whole, then
    hands it to `app` (the edge, app/edge.py, calls it for the requests `is_upload` names)."""

    def __init__(self, *, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.active: Counter[str] = Counter()

    def _caller(self, scope: Scope) -> str | None:
        """The verified `sub` of the bearer token (no database), or None."""
        from app.auth.tokens import decode_access_token

        header = ""
        for k, v in scope.get("headers", []):
            if k == b"authorization":
                header = v.decode("latin-1")
                break
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        try:
            claims = decode_access_token(self.settings, token.strip(), now=self.clock.now())
        except Exception:  # any invalid token: the route answers 401 itself
            return None
        return f"{claims.get('kind', 'user')}:{claims.get('sub')}"

    async def handle(self, scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> None:
        caller = self._caller(scope)
        if caller is None:
            await app(scope, receive, send)
            return
        limit = self.settings.upload_max_concurrent_per_user
        if self.active[caller] >= limit:
            await self._reject(
                scope,
                send,
                TooManyRequests(
                    f"您已有 {limit} 个上传正在进行，请等待其完成后再上传",
                    f"You already have {limit} uploads in progress; wait for one to finish",
                    headers={"Retry-After": str(_RETRY_AFTER_SECONDS)},
                ),
            )
            return
        self.active[caller] += 1
        spool = _Spool(self.settings.uploads_path)
        try:
            try:
                async with asyncio.timeout(self.settings.upload_receive_timeout_seconds):
                    await self._receive_all(receive, spool)
            except TimeoutError:
                seconds = self.settings.upload_receive_timeout_seconds
                await self._reject(
                    scope,
                    send,
                    RequestTimeout(
                        f"未能在 {seconds:g} 秒内收到完整的上传文件，请检查网络后重试",
                        f"The upload did not arrive within {seconds:g} seconds",
                        headers={"Connection": "close"},
                    ),
                )
                return
            except _Disconnected:
                return  # the client went away: nobody to answer
            await app(scope, _Replay(spool, receive), send)
        finally:
            await spool.close()
            self.active[caller] -= 1
            if self.active[caller] <= 0:
                del self.active[caller]

    @staticmethod
    async def _receive_all(receive: Receive, spool: _Spool) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            if message["type"] != "http.request":
                continue
            await spool.write(message.get("body", b""))
            if not message.get("more_body", False):
                break
        await spool.finish()

    @staticmethod
    async def _reject(scope: Scope, send: Send, err: TooManyRequests | RequestTimeout) -> None:
        response = problem_response(Request(scope), err)

        async def empty() -> Message:
            return {"type": "http.disconnect"}

        await response(scope, empty, send)


class _Replay:
    """A `receive` giving the spooled body in pieces, then the client's own messages."""

    def __init__(self, spool: _Spool, receive: Receive) -> None:
        self.spool = spool
        self.receive = receive
        self.done = False

    async def __call__(self) -> Message:
        if self.done:
            return await self.receive()
        if self.spool.file is None:  # the body stayed in memory
            self.done = True
            return {"type": "http.request", "body": bytes(self.spool.pending), "more_body": False}
        piece = await self.spool.read()
        if not piece:
            self.done = True
        return {"type": "http.request", "body": piece, "more_body": not self.done}
