"""Running `prepare.prepare_chunks` beside the merge: in a thread, or in a child process.

A large file is read and validated in a child process (`python -m app.screening.imports.child`:
a fresh interpreter that imports only the parsing code, so it starts in a fraction of a
second and inherits nothing of the service's event loop or connections). It sends prepared
chunks, pickled and length-prefixed, through its stdout pipe; the pipe's buffer is the
back-pressure (with a queue of READ_AHEAD_CHUNKS in the parent), so while the parent COPYs and
merges chunk n, the child prepares the next ones on the other core, waiting when the queue is
full — at most about three chunks are in memory on either side.
A small file is prepared in a thread of the worker's own process.

Either way the consumer sees an async iterator of `PreparedChunk`s; a parsing failure in the
child comes back as the same exception type (NotATableError) with its message.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import sys
from collections.abc import AsyncGenerator, Iterator
from typing import Any, Final

from app.screening.imports.child import FRAME
from app.screening.imports.prepare import PrepareContext, PreparedChunk, prepare_chunks
from app.screening.imports.table import NotATableError

# Files at least this large are prepared in a child process.
CHILD_PROCESS_MIN_BYTES: Final = 1024 * 1024
_PIPE_LIMIT: Final = 1 << 20
# Prepared chunks read from the child ahead of the merge (besides the one being merged and the
# one the child is preparing): when a chunk takes the merge longer than the child, the child
# goes on instead of waiting, and the merge finds the next chunk ready when one goes faster.
READ_AHEAD_CHUNKS: Final = 1


async def _in_thread(ctx: PrepareContext) -> AsyncGenerator[PreparedChunk, None]:
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


async def _read_frames(stdout: asyncio.StreamReader, out: asyncio.Queue[tuple[str, Any]]) -> None:
    """Move the child's frames into `out` as they come (the queue's bound is the read-ahead)."""
    while True:
        try:
            size = FRAME.unpack(await stdout.readexactly(FRAME.size))[0]
            frame = pickle.loads(await stdout.readexactly(size))  # noqa: S301 - our own child
        except asyncio.IncompleteReadError:
            await out.put(("exited", None))
            return
        except Exception as exc:  # the consumer must not wait for a frame that never comes
            await out.put(("error", f"{type(exc).__name__}: {exc}"))
            return
        await out.put(frame)
        if frame[0] != "chunk":
            return


async def _in_child(ctx: PrepareContext) -> AsyncGenerator[PreparedChunk, None]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.screening.imports.child",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=_PIPE_LIMIT,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write(pickle.dumps(ctx, protocol=pickle.HIGHEST_PROTOCOL))
    await proc.stdin.drain()
    proc.stdin.close()
    frames: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(maxsize=READ_AHEAD_CHUNKS)
    reader = asyncio.create_task(_read_frames(proc.stdout, frames))
    try:
        while True:
            kind, value = await frames.get()
            if kind == "chunk":
                yield value
            elif kind == "done":
                return
            elif kind == "not_a_table":
                raise NotATableError(value)
            elif kind == "exited":
                code = await proc.wait()
                raise RuntimeError(f"the parsing process exited ({code})")
            else:
                raise RuntimeError(value)
    finally:
        reader.cancel()
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


def prepared_chunks(
    ctx: PrepareContext, *, child_process: bool | None = None
) -> AsyncGenerator[PreparedChunk, None]:
    """The file's prepared chunks; `child_process` None decides by the file's size."""
    if child_process is None:
        child_process = os.path.getsize(ctx.path) >= CHILD_PROCESS_MIN_BYTES
    return _in_child(ctx) if child_process else _in_thread(ctx)
