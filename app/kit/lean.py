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
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import Mapper
from sqlalchemy.util import greenlet_spawn

from app import tracing

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
            procs: list[Processor] = [
                col.type._cached_result_processor(dialect, None)
                for col in self.stmt.selected_columns
            ]
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
        if tracing.tracer() is None:
            records = await conn.driver.fetch(sql, *args)
        else:
            with _span(sql):
                records = await conn.driver.fetch(sql, *args)
        return [_row(self.names, procs, r) for r in records]

    async def records(self, conn: DriverConnection, **values: Any) -> list[Any]:
        """The rows as the driver's records (sequences of the raw values, in the statement's
        column order): for a caller that keys on what was read; `row(record)` makes each a
        LeanRow when needed."""
        sql, args, _ = self._args(conn.dialect, values)
        if tracing.tracer() is None:
            return list(await conn.driver.fetch(sql, *args))
        with _span(sql):
            return list(await conn.driver.fetch(sql, *args))

    def row(self, record: Iterable[Any]) -> LeanRow:
        """A record of `records` as a LeanRow (each value through its type's processor)."""
        if self._compiled is None:
            raise RuntimeError("row() of a statement that has not run")
        return _row(self.names, self._compiled[3], record)

    async def first(self, conn: DriverConnection, **values: Any) -> LeanRow | None:
        sql, args, procs = self._args(conn.dialect, values)
        if tracing.tracer() is None:
            record = await conn.driver.fetchrow(sql, *args)
        else:
            with _span(sql):
                record = await conn.driver.fetchrow(sql, *args)
        return None if record is None else _row(self.names, procs, record)


def _span(sql: str) -> Any:
    """The client span the engine's statements have (app.tracing.instrument_engine), for a
    statement that does not go through the engine."""
    return tracing.span(
        "db SELECT",
        kind="client",
        **{
            "db.system": "postgresql",
            "db.operation.name": "SELECT",
            "db.query.text": sql[:SQL_MAX],
            "db.executemany": False,
        },
    )


def _row(names: list[str], procs: list[Processor], record: Iterable[Any]) -> LeanRow:
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
    """A pooled connection's asyncpg connection, with the dialect its statements compile for."""

    __slots__ = ("dialect", "driver")

    def __init__(self, driver: Any, dialect: Dialect) -> None:
        self.driver = driver
        self.dialect = dialect


@asynccontextmanager
async def driver_connection(state: Any) -> AsyncIterator[DriverConnection]:
    """A connection of the app's pool for lean reads, outside any transaction (each statement
    its own snapshot, as the reads' sessions: `app.db.read_sessionmaker`), back to the pool at
    the end. When the app's sessions are bound to one connection (the tests' rolled-back one),
    that connection."""
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
            async with driver.transaction(readonly=True):
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
