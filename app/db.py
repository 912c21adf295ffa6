"""Database: the async engine and the session dependency (the declarative Base is
`app.models.base.Base`, re-exported here).

The session dependency owns the transaction: it commits when the request succeeded and rolls
back when it raised. Services only `flush()`. Work queued for after the commit (background
jobs) and the audit entries of the request are written in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Final

from fastapi import Depends, Request
from pydantic_core import from_json
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app import dbfault
from app.config import Settings
from app.kit.audit_batch import batcher_of
from app.kit.audit_chain import flush as flush_audit
from app.models.base import Base

__all__ = [
    "Base",
    "SessionDep",
    "create_engine",
    "create_sessionmaker",
    "get_session",
    "read_sessionmaker",
]

TEMP_BUFFERS: Final = "64MB"
READS: Final = frozenset({"GET", "HEAD"})
"""Requests whose audit entries go to the group commit (app.kit.audit_batch)."""


def create_engine(
    url: str,
    settings: Settings,
    *,
    application_name: str | None = None,
    connect_timeout: float | None = None,
    pre_ping: bool = False,
) -> AsyncEngine:
    connect_args: dict[str, Any] = {"server_settings": {"timezone": "UTC"}}
    if application_name is not None:
        # pg_stat_activity's name of the connection (the read replica's: app.replica)
        connect_args["server_settings"]["application_name"] = application_name
    if connect_timeout is not None:
        connect_args["timeout"] = connect_timeout
    if settings.database_pgbouncer:
        # PgBouncer in transaction mode: no named prepared statements survive a transaction.
        connect_args["statement_cache_size"] = 0
        connect_args["prepared_statement_name_func"] = _unnamed_statement
    kwargs: dict[str, Any] = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "connect_args": connect_args,
        "json_deserializer": _json_loads,
    }
    if pre_ping:
        # The read replica's (app.replica): a standby restarted or failed over leaves the pool
        # with dead connections; a ping at checkout finds them before a request does.
        kwargs["pool_pre_ping"] = True
    sa_url = make_url(url)
    if settings.database_pgbouncer:
        sa_url = sa_url.update_query_dict({"prepared_statement_cache_size": "0"})
    engine = create_async_engine(sa_url, **kwargs)
    event.listen(engine.sync_engine, "checkout", _discard_closed)
    # A failure to connect marked as the database's, for the 503 (app.dbfault).
    event.listen(engine.sync_engine, "do_connect", dbfault.on_connect)
    if not settings.database_pgbouncer:
        event.listen(engine.sync_engine, "connect", _room_for_staging)
    return engine


def _json_loads(value: str) -> Any:
    """The JSON and JSONB columns read, parsed by pydantic-core's parser (Rust) in place of the
    standard library's: the same values (PostgreSQL sends valid JSON; numbers, strings, key
    order alike), at a third to a tenth of the CPU. A child's record has a dozen JSONB
    columns: the list of 50 spent 11 % of its CPU in json.loads (issue 30)."""
    return from_json(value)


def _room_for_staging(dbapi_connection: Any, _record: Any) -> None:
    """Room for a screening import's staging table in the session's local buffers.

    The staging table is a temporary table; one 50,000-row chunk is about 25 MB. With the
    default 8 MB, each chunk's COPY writes most of it out to a file and the merge reads it back
    (the merge's database time fell by about 6 %). Taken only by sessions that use temporary
    tables, as they fill it; it cannot change once a session has used one, hence set when the
    connection opens. Not a startup parameter (PgBouncer refuses those it does not know); not
    through PgBouncer, whose server connections the database cluster's parameters set instead.
    """
    dbapi_connection.run_async(lambda conn: conn.execute(f"SET temp_buffers = '{TEMP_BUFFERS}'"))


def _discard_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Hand out no connection the server has closed (a restart, a failover, an idle timeout).

    In place of SQLAlchemy's `pool_pre_ping`, which costs three round trips per checkout
    (BEGIN, an empty query, ROLLBACK) on every request: the server closing a connection
    reaches asyncpg as the socket's end, which marks the connection closed; the pool then
    discards it and connects anew, so the first request after a database restart succeeds.
    """
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the database closed this connection")


def _unnamed_statement() -> str:
    # Unique names: PgBouncer may hand the next statement to another server connection.
    return f"__asyncpg_{uuid.uuid4().hex}__"


def create_sessionmaker(bind: Any) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(bind=bind, expire_on_commit=False, autoflush=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; commit on success (after the audit entries), rollback on error."""
    state = request.app.state
    maker: async_sessionmaker[AsyncSession] = (
        read_sessionmaker(state) if request.method in READS else state.sessionmaker
    )
    async with maker() as session:
        # Not the request: the in-process worker's wake-up, for jobs queued in this transaction
        # (app.worker.queue); None when no worker runs beside the API.
        session.info["wake_worker"] = getattr(state, "worker", None)
        # For the principal's lookup on a cache miss (app.auth.principal.get_principal).
        request.state.session = session
        try:
            yield session
            request_id = getattr(request.state, "request_id", None)
            client_addr = request.client.host if request.client else None
            if request.method in READS and session.info.get("audit"):
                # A read: its transaction commits (it changed nothing), then its entries join
                # the next group commit of the chain, before the response leaves.
                pending = session.info.pop("audit")
                await session.commit()
                await batcher_of(state).write(
                    pending, request_id=request_id, client_addr=client_addr
                )
            elif session.info.get("audit") or session.in_transaction():
                await flush_audit(
                    session, now=state.clock.now(), request_id=request_id, client_addr=client_addr
                )
                await session.commit()
            # Else the request never used its session (a cached principal, /auth/me): nothing
            # to write or commit, and a commit would only begin an empty transaction to end it.
        except BaseException:
            await session.rollback()
            raise
        after = session.info.get("after_commit", [])
        for callback in after:
            callback()


def read_sessionmaker(state: Any) -> async_sessionmaker[AsyncSession]:
    """The sessions of reads (GET, HEAD): on the same pool, without BEGIN and COMMIT.

    Under READ COMMITTED every statement takes its own snapshot, in a transaction or not, so a
    read's answers are the same; what the transaction cost was two round trips per request
    (BEGIN before the first statement, COMMIT after the last). A read that writes (a cache)
    writes one statement at a time, each committed. Its audit entries are not written here but
    by the group commit (app.kit.audit_batch), in a transaction of its own. A sessionmaker bound
    to a connection rather than an engine (the tests' rolled-back one), or behind PgBouncer, is
    used as it is.
    """
    maker: async_sessionmaker[AsyncSession] = state.sessionmaker
    cached = getattr(state, "read_sessionmaker", None)
    if cached is not None and cached[0] is maker:
        return cached[1]  # type: ignore[no-any-return]
    bind = maker.kw.get("bind")
    reads = maker
    settings = getattr(state, "settings", None)
    # Behind PgBouncer in transaction mode a statement outside a transaction may reach another
    # server connection than the one its prepared statement lives on: reads keep BEGIN there.
    behind_pgbouncer = bool(getattr(settings, "database_pgbouncer", False))
    if isinstance(bind, AsyncEngine) and not behind_pgbouncer:
        reads = async_sessionmaker(
            **(maker.kw | {"bind": bind.execution_options(isolation_level="AUTOCOMMIT")}),
            class_=maker.class_,
        )
    state.read_sessionmaker = (maker, reads)
    return reads


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
"""The request's session; its commit happens before the response is sent."""
