"""Lean reads (issue 30): a hot SELECT compiled once and run on the driver's connection.

A child read through the ORM spent about a third of its CPU in SQLAlchemy around one indexed
SELECT: the session's transaction and connection bookkeeping, the compiled-cache lookup, the
execution context, the result's wrappers and the ORM's identity map and instance state, all
for one row that the request reads and forgets. A `LeanSelect` keeps the part that matters:
the statement is built with SQLAlchemy (the same jurisdiction clauses as everywhere) and
compiled once for the asyncpg dialect; each call sends its SQL with the request's values to
asyncpg (whose prepared-statement cache keeps the server's plan) and returns `LeanRow`s,
plain objects whose attributes are the mapped attribute names, each value passed through its
column type's result processor as the ORM would.

    by_id = LeanSelect(select(Child).where(Child.id == bindparam("child_id"), clause),
                       params=("child_id",))
    async with driver_connection(request.app.state) as conn:
        row = await by_id.first(conn, child_id=child_id)

Only for reads whose rows the request does not change: a LeanRow is no ORM instance (no lazy
loads, no identity map, no flush). Per-request values are named in `params` and must be plain
bind parameters (not `expanding`: use `= ANY(:ids)`); every other value (a caller's areas in
an IN list) is fixed when the statement is compiled, so build one per key (`PerKey`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import AbstractContextManager, asynccontextmanager
from datetime import datetime
from typing import Any

from pydantic_core import to_json
from sqlalchemy import Select, Table, bindparam, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import Mapper
from sqlalchemy.util import greenlet_spawn

from app import tracing
from app.kit.audit_chain import PendingEntry, chain_rows
from app.kit.sql import table_of
from app.models import AuditEntry

Processor = Callable[[Any], Any] | None
SQL_MAX = 1000
"""The statement's text kept in its span (as app.tracing's)."""


class LeanRow:
    """A row read by a LeanSelect: attribute access by the mapped names (`row.birth_date`)."""

    __slots__ = ("__dict__",)

    def __getattr__(self, name: str) -> Any:
        # Only for a name the row does not have (its values are in `__dict__`); declared so
        # that a row's columns type-check as attributes.
        raise AttributeError(name)

    def __repr__(self) -> str:
        return f"LeanRow({self.__dict__!r})"


class LeanSelect:
    """A SELECT compiled once for asyncpg (see the module's docstring)."""

    def __init__(self, stmt: Select[Any], *, params: Sequence[str] = ()) -> None:
        self.stmt = stmt.params(**dict.fromkeys(params))
        self.params = tuple(params)
        self.names = _attribute_names(stmt)
        self._compiled: tuple[str, list[str], dict[str, Any], list[Processor]] | None = None

    def compile(self, dialect: Dialect) -> tuple[str, list[str], dict[str, Any], list[Processor]]:
        """The SQL with `$n` placeholders, the parameters' order and fixed values, and the
        result processors of the columns (compiled on the first call)."""
        if self._compiled is None:
            compiled = self.stmt.compile(
                dialect=dialect, compile_kwargs={"render_postcompile": True}
            )
            for name in self.params:
                # A clause that is always false folds the whole WHERE (`x = :id AND false` is
                # `false`): the statement then names no value, and finds nothing.
                if name in compiled.binds and compiled.binds[name].expanding:
                    raise ValueError(f"{name}: a per-request value cannot be expanding")
            order = list(compiled.positiontup or ())
            binds: dict[str, Any] = dict(compiled._bind_processors)
            fixed = {
                k: (binds[k](v) if k in binds else v)
                for k, v in compiled.params.items()
                if k not in self.params
            }
            procs = [result_processor(col, dialect) for col in self.stmt.selected_columns]
            for name in self.params:
                if name in binds:
                    raise ValueError(f"{name}: its type needs a bind processor; not supported")
            self._compiled = (str(compiled), order, fixed, procs)
        return self._compiled

    def _args(
        self, dialect: Dialect, values: dict[str, Any]
    ) -> tuple[str, list[Any], list[Processor]]:
        sql, order, fixed, procs = self.compile(dialect)
        if values.keys() != set(self.params):
            raise TypeError(f"expected the values of {self.params}, got {sorted(values)}")
        merged = fixed | values
        return sql, [merged[k] for k in order], procs

    async def all(self, conn: DriverConnection, **values: Any) -> list[LeanRow]:
        sql, args, procs = self._args(conn.dialect, values)
        records = await conn.fetch(sql, *args)
        return [lean_row(self.names, procs, r) for r in records]

    async def records(self, conn: DriverConnection, **values: Any) -> list[Any]:
        """The rows as the driver's records (sequences of the raw values, in the statement's
        column order): for a caller that keys on what was read; `row(record)` makes each a
        LeanRow when needed."""
        sql, args, _ = self._args(conn.dialect, values)
        return list(await conn.fetch(sql, *args))

    def row(self, record: Iterable[Any]) -> LeanRow:
        """A record of `records` as a LeanRow (each value through its type's processor)."""
        if self._compiled is None:
            raise RuntimeError("row() of a statement that has not run")
        return lean_row(self.names, self._compiled[3], record)

    async def first(self, conn: DriverConnection, **values: Any) -> LeanRow | None:
        sql, args, procs = self._args(conn.dialect, values)
        record = await conn.fetchrow(sql, *args)
        return None if record is None else lean_row(self.names, procs, record)


def lean_row(names: list[str], procs: list[Processor], record: Iterable[Any]) -> LeanRow:
    """A LeanRow of `record`'s values named `names`, each through its processor."""
    row = LeanRow()
    d = row.__dict__
    for name, proc, value in zip(names, procs, record, strict=True):
        d[name] = value if proc is None or value is None else proc(value)
    return row


def _attribute_names(stmt: Select[Any]) -> list[str]:
    """Each selected column's name on the row: the mapped attribute's for an entity's columns
    (`select(Child)`), the column's label otherwise."""
    names: list[str] = []
    entity_mappers = [
        d["entity"].__mapper__
        for d in stmt.column_descriptions
        if d.get("entity") is not None and d.get("expr") is d.get("entity")
    ]
    for col in stmt.selected_columns:
        name = str(col.key)
        for mapper in entity_mappers:
            prop = _property_of(mapper, col)
            if prop is not None:
                name = prop
                break
        names.append(name)
    return names


def _property_of(mapper: Mapper[Any], col: Any) -> str | None:
    try:
        return mapper.get_property_by_column(col).key
    except Exception:  # not one of this mapper's columns
        return None


class DriverConnection:
    """A pooled connection's asyncpg connection, with the dialect its statements compile for.

    Its statements are in the request's trace: with tracing on, each is a client span, as
    `app.tracing.instrument_engine` gives the engine's (a lean statement does not pass through
    the engine's events): its SQL with placeholders, never the values."""

    __slots__ = ("dialect", "driver")

    def __init__(self, driver: Any, dialect: Dialect) -> None:
        self.driver = driver
        self.dialect = dialect

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        if tracing.tracer() is None:
            return await self.driver.fetch(sql, *args)  # type: ignore[no-any-return]
        with _span(sql, many=False):
            return await self.driver.fetch(sql, *args)  # type: ignore[no-any-return]

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        if tracing.tracer() is None:
            return await self.driver.fetchrow(sql, *args)
        with _span(sql, many=False):
            return await self.driver.fetchrow(sql, *args)

    async def execute(self, sql: str, *args: Any) -> None:
        if tracing.tracer() is None:
            await self.driver.execute(sql, *args)
            return
        with _span(sql, many=False):
            await self.driver.execute(sql, *args)

    async def executemany(self, sql: str, args: Sequence[Sequence[Any]]) -> None:
        if tracing.tracer() is None:
            await self.driver.executemany(sql, args)
            return
        with _span(sql, many=True):
            await self.driver.executemany(sql, args)


def _span(sql: str, *, many: bool) -> AbstractContextManager[Any]:
    operation = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "SQL"
    return tracing.span(
        f"db {operation}",
        kind="client",
        **{
            "db.system": "postgresql",
            "db.operation.name": operation,
            "db.query.text": sql[:SQL_MAX],
            "db.executemany": many,
        },
    )


@asynccontextmanager
async def driver_connection(state: Any) -> AsyncIterator[DriverConnection]:
    """A connection of the app's pool for lean reads, outside any transaction (each statement
    its own snapshot, as the reads' sessions: `app.db.read_sessionmaker`), back to the pool at
    the end. Behind PgBouncer in transaction mode, inside one (a statement's prepared form and
    its execution must reach the same server connection). When the app's sessions are bound
    to one connection (the tests' rolled-back one), that connection."""
    bind = state.sessionmaker.kw.get("bind")
    if isinstance(bind, AsyncConnection):
        raw = await bind.get_raw_connection()
        yield DriverConnection(raw.driver_connection, bind.dialect)
        return
    engine: AsyncEngine = bind
    fairy = await engine.raw_connection()
    try:
        driver: Any = fairy.driver_connection
        if getattr(getattr(state, "settings", None), "database_pgbouncer", False):
            # Behind PgBouncer in transaction mode a statement outside a transaction may go to
            # another server connection between its Parse and its Bind: a transaction keeps
            # them on one (as the reads' sessions keep BEGIN there, app.db.read_sessionmaker).
            async with driver.transaction():
                yield DriverConnection(driver, engine.dialect)
        else:
            yield DriverConnection(driver, engine.dialect)
    finally:
        # The pool's check-in (its reset is a no-op: nothing here began a transaction).
        await greenlet_spawn(fairy.close)


async def session_connection(session: AsyncSession) -> DriverConnection:
    """The session's own connection, inside its transaction: lean statements of a write (its
    lookups) see what the session flushed and are part of what it commits or rolls back."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    return DriverConnection(raw.driver_connection, conn.dialect)


# --- writes (C)
#
# A write whose SQL is written by hand around a LeanSelect's (one visit's lookup, insert and
# flags in one statement: app.visits.repository.create_visit_row) runs on the session's own
# connection (`session_connection`) with these: its JSON values serialised as the driver's
# JSONB codec expects them, its returned row built as a LeanSelect's.


def json_text(value: Any) -> str:
    """A JSON or JSONB parameter as the text SQLAlchemy's asyncpg codec sends (the values are
    what count: PostgreSQL parses the text)."""
    return to_json(value).decode()


def result_processor(col: Any, dialect: Dialect) -> Processor:
    """A column type's result processor for asyncpg. asyncpg's Float asks for the column's
    type code (not known before the first row): a float that is not `asdecimal` arrives as a
    Python float and needs none."""
    try:
        return col.type._cached_result_processor(dialect, None)  # type: ignore[no-any-return]
    except TypeError:
        if getattr(col.type, "asdecimal", True) is False:
            return None
        raise


class LeanInsert:
    """A plain `INSERT INTO table (names) VALUES (…)` compiled once for asyncpg, its values
    through their column types' bind processors (JSON's serialiser) as the ORM's would be."""

    def __init__(self, table: Table, names: Sequence[str]) -> None:
        self.stmt = insert(table).values({k: bindparam(k, type_=table.c[k].type) for k in names})
        self._compiled: tuple[str, list[str], list[Processor]] | None = None

    def compile(self, dialect: Dialect) -> tuple[str, list[str], list[Processor]]:
        if self._compiled is None:
            compiled = self.stmt.compile(dialect=dialect)
            order = list(compiled.positiontup or ())
            binds: dict[str, Any] = dict(compiled._bind_processors)
            self._compiled = (str(compiled), order, [binds.get(k) for k in order])
        return self._compiled

    async def execute(self, conn: DriverConnection, rows: Sequence[dict[str, Any]]) -> None:
        sql, order, procs = self.compile(conn.dialect)
        args = [
            [
                v if p is None or v is None else p(v)
                for p, v in zip(procs, (r[k] for k in order), strict=True)
            ]
            for r in rows
        ]
        if len(args) == 1:
            await conn.execute(sql, *args[0])
        elif args:
            await conn.executemany(sql, args)


_AUDIT_INSERT: LeanInsert | None = None


async def write_audit(
    conn: DriverConnection,
    pending: list[PendingEntry],
    prev_hash: str | None,
    ids: list[int],
    *,
    now: datetime,
    request_id: str | None,
    client_addr: str | None,
) -> None:
    """Audit entries written on a driver connection (a session's, or the group commit's),
    chained after `prev_hash` under the ids that `audit_reserve` gave in the same transaction
    (which holds the chain's lock until the commit): `app.kit.audit_chain.flush` without the ORM's execution."""
    global _AUDIT_INSERT
    rows = chain_rows(
        pending, prev_hash, ids, now=now, request_id=request_id, client_addr=client_addr
    )
    if _AUDIT_INSERT is None:
        _AUDIT_INSERT = LeanInsert(table_of(AuditEntry), list(rows[0]))
    await _AUDIT_INSERT.execute(conn, rows)
