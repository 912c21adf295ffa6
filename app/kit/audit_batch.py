"""Group commit of the audit entries of reads: one chained batch per flush, shared by the
requests that finish while the previous batch commits.

A read (GET, HEAD) writes nothing but its audit entries. Written in the request's own
transaction, they cost each read the chain's advisory lock, a round trip to reserve the ids and
one to insert, and every concurrent read waits on the lock until the holder commits. Here the
read's transaction commits first (it changed nothing, and its connection goes back to the pool),
then its entries join the next batch: one transaction takes the lock once, writes the entries
of every waiting request with `app.kit.audit_chain.flush` (the chain's own function) and commits.
Each request waits for its batch's commit before its response leaves, so an answered read is
in the log: a crash after the response loses nothing. If the batch fails, every request in it
fails (500): no read is answered without its entry.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

from app.kit.audit_chain import LOCK_KEY, PendingEntry
from app.kit.lean import DriverConnection, driver_connection, write_audit

MAX_BATCH = 500


class AuditBatcher:
    """The audit batches of one process (one event loop)."""

    def __init__(self, state: Any, now: Callable[[], datetime]) -> None:
        self._state = state  # the app's: its pool (`app.kit.lean.driver_connection`)
        self._now = now
        self._waiting: list[tuple[list[PendingEntry], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0  # how many batches were committed (for tests and metrics)

    async def write(
        self, entries: list[PendingEntry], *, request_id: str | None, client_addr: str | None
    ) -> None:
        """Return once `entries` are committed in the chain (raise if their batch failed)."""
        stamped = [
            dataclasses.replace(
                e, request_id=e.request_id or request_id, client_addr=e.client_addr or client_addr
            )
            for e in entries
        ]
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((stamped, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="audit-batch")
        # Shielded: a client that goes away does not cancel the batch for the others.
        await asyncio.shield(done)

    async def _drain(self) -> None:
        while self._waiting:
            batch: list[tuple[list[PendingEntry], asyncio.Future[None]]] = []
            size = 0
            while self._waiting and (not batch or size + len(self._waiting[0][0]) <= MAX_BATCH):
                item = self._waiting.pop(0)
                batch.append(item)
                size += len(item[0])
            try:
                # On the driver's connection, without a session: the batch is the lock, the
                # ids and one executemany in a transaction (the chain's rows and hashes are
                # `audit_chain.chained`'s, as a session's `flush` writes them).
                async with driver_connection(self._state) as conn:
                    await flush_on_driver(
                        conn, [e for entries, _ in batch for e in entries], self._now()
                    )
                self.batches += 1
            except BaseException as exc:  # every request of the batch learns it failed
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)


async def flush_on_driver(
    conn: DriverConnection, pending: list[PendingEntry], now: datetime
) -> None:
    """`app.kit.audit_chain.flush` for a batch, on a pooled connection without a session, in a
    transaction of its own (a savepoint inside one already open): the chain's lock and the ids
    (`audit_reserve`), then the chained rows in one executemany (`app.kit.lean.write_audit`)."""
    async with conn.driver.transaction():
        prev_hash, ids = await conn.fetchrow(
            "SELECT prev_hash, ids FROM audit_reserve($1, $2)", LOCK_KEY, len(pending)
        )
        await write_audit(conn, pending, prev_hash, ids, now=now, request_id=None, client_addr=None)


def batcher_of(state: Any) -> AuditBatcher:
    """The app's batcher for the running event loop (created on first use)."""
    loop = asyncio.get_running_loop()
    batcher: AuditBatcher | None = getattr(state, "audit_batcher", None)
    if batcher is None or getattr(state, "audit_batcher_loop", None) is not loop:
        batcher = AuditBatcher(state, state.clock.now)
        state.audit_batcher = batcher
        state.audit_batcher_loop = loop
    return batcher


async def write_read(state: Any, *entries: PendingEntry) -> None:
    """The audit entries of a read that has no session (`app.kit.lean`; each entry carries its
    request id and address, `app.kit.audit.entry`): into the next batch; returns once they are
    committed in the chain (raises if their batch failed: the read must not be answered)."""
    await batcher_of(state).write(list(entries), request_id=None, client_addr=None)
