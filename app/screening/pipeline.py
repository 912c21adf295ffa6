"""Running `staging.prepare_chunks` beside the merge: in a thread, or in a child process.

A large file is read and validated in a child process (`python -m app.screening.parse_child`:
a fresh interpreter that imports only the parsing code, so it starts in a fraction of a
second and inherits nothing of the service's event loop or connections). It sends prepared
chunks, pickled and length-prefixed, through its stdout pipe; the pipe's buffer is the
back-pressure, so while the parent COPYs and merges chunk n, the child prepares chunk n+1 on
the other core and then waits — at most about two chunks are in memory on either side.
A small file is prepared in a thread of the worker's own process.

Either way the consumer sees an async iterator of `PreparedChunk`s; a parsing failure in the
child comes back as the same exception type (NotATableError) with its message.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Final

from app.screening.parse_child import FRAME
from app.screening.parsing import NotATableError
from app.screening.staging import PrepareContext, PreparedChunk, prepare_chunks

# Files at least this large are prepared in a child process.
CHILD_PROCESS_MIN_BYTES: Final = 1024 * 1024
_PIPE_LIMIT: Final = 1 << 20


async def _in_thread(ctx: PrepareContext) -> AsyncIterator[PreparedChunk]:
    chunks: Iterator[PreparedChunk] = prepare_chunks(ctx)
    sentinel = object()
    try:
        while True:
            chunk = await asyncio.to_thread(next, chunks, sentinel)
            if chunk is sentinel:
                return
            assert isinstance(chunk, PreparedChunk)
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            await asyncio.to_thread(close)


async def _in_child(ctx: PrepareContext) -> AsyncIterator[PreparedChunk]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.screening.parse_child",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=_PIPE_LIMIT,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write(pickle.dumps(ctx, protocol=pickle.HIGHEST_PROTOCOL))
    await proc.stdin.drain()
    proc.stdin.close()
    try:
        while True:
            try:
                size = FRAME.unpack(await proc.stdout.readexactly(FRAME.size))[0]
                kind, value = pickle.loads(await proc.stdout.readexactly(size))  # noqa: S301 - our own child
            except asyncio.IncompleteReadError:
                code = await proc.wait()
                raise RuntimeError(f"the parsing process exited ({code})") from None
            if kind == "chunk":
                yield value
            elif kind == "done":
                return
            elif kind == "not_a_table":
                raise NotATableError(value)
            else:
                raise RuntimeError(value)
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


def prepared_chunks(
    ctx: PrepareContext, *, child_process: bool | None = None
) -> AsyncIterator[PreparedChunk]:
    """The file's prepared chunks; `child_process` None decides by the file's size."""
    if child_process is None:
        child_process = os.path.getsize(ctx.path) >= CHILD_PROCESS_MIN_BYTES
    return _in_child(ctx) if child_process else _in_thread(ctx)
