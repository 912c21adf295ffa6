"""Running `staging.prepare_chunks` beside the merge: in a thread, or in a child process.

A large file is read and validated in a child process (spawned, so nothing of the service's
event loop or connections is inherited) that sends prepared chunks through a small bounded
queue: while the parent COPYs and merges chunk n, the child prepares chunk n+1 on the other
core, and at most `QUEUE_CHUNKS` chunks wait in memory. A small file is prepared in a thread of
the worker's own process (starting a process costs more than it saves).

Either way the consumer sees an async iterator of `PreparedChunk`s; a parsing failure in the
child comes back as the same exception type (NotATableError) with its message.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import queue
from collections.abc import AsyncIterator, Iterator
from typing import Any, Final

from app.screening.parsing import NotATableError
from app.screening.staging import PrepareContext, PreparedChunk, prepare_chunks

# Files at least this large are prepared in a child process.
CHILD_PROCESS_MIN_BYTES: Final = 8 * 1024 * 1024
QUEUE_CHUNKS: Final = 3
_POLL_SECONDS: Final = 0.5


def _child_main(ctx: PrepareContext, out: Any) -> None:
    try:
        for chunk in prepare_chunks(ctx):
            out.put(("chunk", chunk))
        out.put(("done", None))
    except NotATableError as exc:
        out.put(("not_a_table", str(exc)))
    except BaseException as exc:  # reported to the parent, which fails the attempt
        out.put(("error", f"{type(exc).__name__}: {exc}"))


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
    spawn = mp.get_context("spawn")
    out = spawn.Queue(maxsize=QUEUE_CHUNKS)
    proc = spawn.Process(target=_child_main, args=(ctx, out), daemon=True, name="screening-parse")
    proc.start()

    def get() -> tuple[str, Any]:
        while True:
            try:
                item: tuple[str, Any] = out.get(timeout=_POLL_SECONDS)
                return item
            except queue.Empty:
                if not proc.is_alive():
                    try:
                        item = out.get(timeout=_POLL_SECONDS)
                        return item
                    except queue.Empty:
                        return ("error", f"the parsing process exited ({proc.exitcode})")

    try:
        while True:
            kind, value = await asyncio.to_thread(get)
            if kind == "chunk":
                yield value
            elif kind == "done":
                return
            elif kind == "not_a_table":
                raise NotATableError(value)
            else:
                raise RuntimeError(value)
    finally:
        if proc.is_alive():
            proc.terminate()
        await asyncio.to_thread(proc.join, 5)
        out.close()
        out.cancel_join_thread()


def prepared_chunks(
    ctx: PrepareContext, *, child_process: bool | None = None
) -> AsyncIterator[PreparedChunk]:
    """The file's prepared chunks; `child_process` None decides by the file's size."""
    if child_process is None:
        child_process = os.path.getsize(ctx.path) >= CHILD_PROCESS_MIN_BYTES
    return _in_child(ctx) if child_process else _in_thread(ctx)
