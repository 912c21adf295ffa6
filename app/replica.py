"""Reads that tolerate lag, from a streaming replica (DATABASE_READ_URL; docs/read-replicas.md).

A route marks itself lag-tolerant by taking `LagTolerantSessionDep` instead of `SessionDep`:
the dashboard, the ledger and the report exports, screening statistics and a few lists that no
one reads right after writing them. Its session is on the replica when one is configured and
usable, else the request's `SessionDep` on the primary (exactly as an unmarked GET). Everything
else — writes, and every read a user may make right after a write — stays on the primary.

- Unreachable: connecting to the replica fails or takes longer than
  DATABASE_READ_CONNECT_TIMEOUT_SECONDS → the primary answers, and for
  DATABASE_READ_BACKOFF_SECONDS the replica is not tried again (one log line per episode,
  `db_read_replica_reads_total{outcome="primary_unreachable"|"primary_backoff"}`).
- Lagging: with DATABASE_READ_MAX_LAG_SECONDS set, the replica's replay lag is measured at most
  every LAG_CHECK_SECONDS on a connection being handed out; above the limit the primary answers
  (`outcome="primary_lag"`, gauge `db_read_replica_lag_seconds`).
- Cancelled by replay: a standby cancels a query that holds back the replay of the primary's
  changes (a lock or the row versions it still needs: SQLSTATE 40001, "canceling statement due
  to conflict with recovery", after max_standby_streaming_delay). That statement is run again,
  once, on the request's primary session, and so is every later statement of the request: the
  read answers as an unmarked one would, not a 500 (`outcome="primary_conflict"`).
- The audit entries of these reads are written on the primary: handed to the request's own
  session (`SessionDep`), whose end writes them with the group commit (app.kit.audit_batch,
  bound to the primary's sessionmaker). A lag-tolerant read that keeps a cache (the
  dashboard's sections) writes it through `primary_writes(session)`, on that session too.

Only GET routes may take this session: it never opens a write transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Final

from fastapi import Depends, Request
from prometheus_client import Counter, Gauge
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.db import SessionDep, create_engine
from app.dbfault import is_database_unavailable

log = logging.getLogger(__name__)

APPLICATION_NAME: Final = "children-care-read"
"""The replica connections' application_name (pg_stat_activity on the standby)."""
LAG_CHECK_SECONDS: Final = 3.0
OUTCOMES: Final = (
    "replica",
    "primary_unreachable",
    "primary_backoff",
    "primary_lag",
    "primary_conflict",
)
PRIMARY_SESSION: Final = "primary_session"
"""session.info key: the request's session on the primary, on a session on the replica."""
FELL_BACK: Final = "replica_fell_back"
"""session.info key: the primary session a replica session's statements go to since a conflict."""
REPLICA: Final = "read_replica"
"""session.info key: the ReadReplica a replica session came from (its metrics)."""
RECOVERY_CONFLICT_SQLSTATE: Final = "40001"
RECOVERY_CONFLICT_MESSAGE: Final = "conflict with recovery"


def is_recovery_conflict(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) is a hot standby cancelling the statement so that
    replay can go on (SQLSTATE 40001 with "conflict with recovery"; a serialization failure
    on a primary has the same code but another message)."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo and len(seen) < 20:
        e = todo.pop()
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        state = getattr(e, "sqlstate", None)
        if state == RECOVERY_CONFLICT_SQLSTATE and RECOVERY_CONFLICT_MESSAGE in str(e):
            return True
        todo.extend([e.__cause__, e.__context__, getattr(e, "orig", None)])
    return False


class ReplicaSession(AsyncSession):
    """A session on the replica that, once the standby cancels one of its statements to replay
    the primary's changes, runs that statement again on the request's primary session
    (`info[PRIMARY_SESSION]`) and every later one there too (in a transaction, as behind
    PgBouncer, the replica's is aborted by then). Any other error is the caller's."""

    async def execute(self, *args: Any, **kw: Any) -> Any:
        return await self._run("execute", args, kw)

    async def scalar(self, *args: Any, **kw: Any) -> Any:
        return await self._run("scalar", args, kw)

    async def get(self, *args: Any, **kw: Any) -> Any:
        return await self._run("get", args, kw)

    async def get_one(self, *args: Any, **kw: Any) -> Any:
        return await self._run("get_one", args, kw)

    @property
    def on_primary(self) -> AsyncSession | None:
        """The primary session this one's statements go to since a replay conflict."""
        primary: AsyncSession | None = self.info.get(FELL_BACK)
        return primary

    async def _run(self, name: str, args: tuple[Any, ...], kw: dict[str, Any]) -> Any:
        primary = self.on_primary
        if primary is not None:
            return await getattr(primary, name)(*args, **kw)
        try:
            return await getattr(super(), name)(*args, **kw)
        except Exception as exc:
            primary = self.info.get(PRIMARY_SESSION)
            if primary is None or not is_recovery_conflict(exc):
                raise
            self.info[FELL_BACK] = primary
            replica: ReadReplica | None = self.info.get(REPLICA)
            if replica is not None:
                replica.reads.labels("primary_conflict").inc()
            log.warning(
                "read replica cancelled a statement (replay conflict): the read goes on on "
                "the primary",
                extra={"error": str(exc).splitlines()[0][:300]},
            )
            return await getattr(primary, name)(*args, **kw)


# Replay lag in seconds; 0 when the replica has replayed all it received (an idle primary
# writes nothing, and the last replayed transaction's age is not lag then), 0 on a server
# that is not in recovery (DATABASE_READ_URL naming a primary); NULL when unknown.
LAG_SQL: Final = text(
    """
    SELECT CASE
        WHEN NOT pg_is_in_recovery() THEN 0
        WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
        ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
    END
    """
)


class ReadReplica:
    """The replica's engine and what this process knows of its health (one per process)."""

    def __init__(self, engine: AsyncEngine, settings: Settings, registry: Any = None) -> None:
        self.engine = engine
        bind = engine
        if not settings.database_pgbouncer:
            # As the primary's reads (app.db.read_sessionmaker): no BEGIN/COMMIT round trips. Behind
            # PgBouncer in transaction mode reads keep their transaction.
            bind = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.maker: async_sessionmaker[AsyncSession] = async_sessionmaker(
            bind=bind, expire_on_commit=False, autoflush=False, class_=ReplicaSession
        )
        self.connect_timeout = settings.database_read_connect_timeout_seconds
        self.backoff_seconds = settings.database_read_backoff_seconds
        self.max_lag = settings.database_read_max_lag_seconds
        self.down_until = 0.0  # time.monotonic() before which the replica is not tried
        self.lag_checked_at: float | None = None
        self.lag: float | None = None
        self.lagging = False
        self.reads = Counter(
            "db_read_replica_reads_total",
            "Lag-tolerant reads by where they were answered: replica, or the primary and why",
            ["outcome"],
            registry=registry,
        )
        self.lag_gauge = Gauge(
            "db_read_replica_lag_seconds",
            "The read replica's replay lag when last measured (DATABASE_READ_MAX_LAG_SECONDS)",
            registry=registry,
        )
        for outcome in OUTCOMES:
            self.reads.labels(outcome)

    @classmethod
    def from_settings(cls, settings: Settings, registry: Any = None) -> ReadReplica | None:
        if settings.database_read_url is None:
            return None
        url = settings.database_read_url.get_secret_value()
        engine = create_engine(
            url,
            settings,
            application_name=APPLICATION_NAME,
            connect_timeout=settings.database_read_connect_timeout_seconds,
            # A dead pooled connection (the standby restarted) is replaced at checkout, or the
            # failure to connect sends the read to the primary: never a 503 for it.
            pre_ping=True,
        )
        return cls(engine, settings, registry)

    async def session(self) -> AsyncSession | None:
        """A session connected to the replica, or None when the primary must answer."""
        now = time.monotonic()
        if now < self.down_until:
            self.reads.labels("primary_backoff").inc()
            return None
        due = self.max_lag is not None and (
            self.lag_checked_at is None or now - self.lag_checked_at >= LAG_CHECK_SECONDS
        )
        if self.lagging and not due:
            self.reads.labels("primary_lag").inc()
            return None
        session = self.maker()
        try:
            async with asyncio.timeout(self.connect_timeout):
                conn = await session.connection()
                if due:
                    self.lag_checked_at = now  # one check at a time; the others use the last
                    await self._check_lag(await conn.scalar(LAG_SQL))
        except Exception as exc:  # refused, no socket, timeout, shutting down: the primary answers
            with contextlib.suppress(Exception):
                await session.close()
            self.mark_down(exc)
            self.reads.labels("primary_unreachable").inc()
            return None
        if self.lagging:
            await session.close()
            self.reads.labels("primary_lag").inc()
            return None
        self.reads.labels("replica").inc()
        return session

    def mark_down(self, exc: BaseException) -> None:
        """Read from the primary for the back-off (the replica failed to connect or answer)."""
        self.down_until = time.monotonic() + self.backoff_seconds
        log.warning(
            "read replica unreachable: lag-tolerant reads go to the primary for %ss",
            self.backoff_seconds,
            extra={"error": repr(exc)},
        )

    async def _check_lag(self, lag: Any) -> None:
        self.lag = None if lag is None else float(lag)
        if self.lag is not None:
            self.lag_gauge.set(self.lag)
        assert self.max_lag is not None
        lagging = self.lag is None or self.lag > self.max_lag
        if lagging != self.lagging:
            log.warning(
                "read replica %s: lag %s s (max %s s)",
                "behind, lag-tolerant reads go to the primary" if lagging else "caught up",
                "unknown" if self.lag is None else f"{self.lag:.1f}",
                self.max_lag,
            )
        self.lagging = lagging

    async def dispose(self) -> None:
        await self.engine.dispose()


def open_replica(state: Any) -> None:
    """At start-up: the replica of DATABASE_READ_URL, unless one was given (tests)."""
    if getattr(state, "read_replica", None) is None:
        metrics = getattr(state, "metrics", None)
        state.read_replica = ReadReplica.from_settings(
            state.settings, getattr(metrics, "registry", None)
        )
        state.owns_read_replica = state.read_replica is not None
        if state.read_replica is not None:
            from app.tracing import instrument_engine

            instrument_engine(state.read_replica.engine)  # DB spans, when tracing is on


async def close_replica(state: Any) -> None:
    replica: ReadReplica | None = getattr(state, "read_replica", None)
    if replica is not None and getattr(state, "owns_read_replica", False):
        await replica.dispose()
        state.read_replica = None


async def get_lag_tolerant_session(
    request: Request, primary: SessionDep
) -> AsyncIterator[AsyncSession]:
    """The session of a lag-tolerant GET: on the replica when usable, else the request's own
    session on the primary (`SessionDep`, exactly as an unmarked read).

    On the replica, the request's primary session stays what it was (the principal is read
    there when not cached; the writes of `primary_writes` go there), and the audit entries of
    the read are handed to it: `app.db.get_session` writes them on the primary (the group
    commit) before the response leaves, as for any read.
    """
    replica: ReadReplica | None = getattr(request.app.state, "read_replica", None)
    session = await replica.session() if replica is not None else None
    if session is None:
        yield primary
        return
    session.info[PRIMARY_SESSION] = primary
    session.info[REPLICA] = replica
    async with session:
        try:
            yield session
            pending = session.info.pop("audit", None)
            if pending:
                primary.info.setdefault("audit", []).extend(pending)
            if FELL_BACK not in session.info:
                await session.commit()
            # else: its transaction (behind PgBouncer) was aborted by the conflict; closing
            # the session (below) ends it without expiring what the read loaded.
        except BaseException as exc:
            if replica is not None and is_database_unavailable(exc):
                # Lost mid-request (a stopped standby's pooled connection): this answer is a
                # 503, the next ones come from the primary until the back-off ends.
                replica.mark_down(exc)
            with contextlib.suppress(Exception):
                await session.rollback()
            raise


@contextlib.asynccontextmanager
async def primary_writes(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """Where a lag-tolerant read writes what it keeps (a cache): the primary.

    The session itself when it is on the primary; else the request's session on the primary
    (committed by `app.db.get_session` at the end of the request).
    """
    primary: AsyncSession | None = session.info.get(PRIMARY_SESSION)
    yield session if primary is None else primary


def is_on_replica(session: AsyncSession) -> bool:
    return PRIMARY_SESSION in session.info


LagTolerantSessionDep = Annotated[AsyncSession, Depends(get_lag_tolerant_session, scope="function")]
"""A lag-tolerant GET's session (replica when configured and usable; see the module)."""
