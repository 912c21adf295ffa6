"""Telling the loss of the database apart from every other error.

Any loss of the database answers 503 `database_unavailable` with `Retry-After` (app.errors),
never 500: the server refusing or not listening at checkout, a connection lost mid-request,
the pool's checkout timeout, PostgreSQL starting up or shutting down (57P03, 57P01, 57P02),
too many connections (53300). The caller's faults (constraint violations, ...) and programming
errors are not the database's loss and keep their answers.
"""

from __future__ import annotations

from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import exc as sa_exc

RETRY_AFTER_SECONDS = 5

# Class 08 (connection exception) by prefix; these by exact SQLSTATE.
_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "57P04", "57P05", "53300"})
_CLOSED_MESSAGES = ("connection is closed", "connection was closed", "underlying connection")


class DatabaseUnreachable(Exception):
    """Opening a connection to the database failed (raised from the driver's own error).

    asyncpg raises the socket's OSError (refused, no such socket file, timeout) unwrapped; this
    marks it as the database's so that no other OSError is taken for one.
    """


DATABASE_ERRORS: tuple[type[Exception], ...] = (
    DatabaseUnreachable,
    sa_exc.SQLAlchemyError,  # DBAPIError, the pool's TimeoutError, DisconnectionError
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)
"""The exception classes that may be the database's loss (app.errors maps them)."""


def on_connect(dialect: Any, _conn_rec: Any, cargs: Any, cparams: Any) -> Any:
    """The engine's `do_connect` hook: open the connection, marking any failure as ours."""
    try:
        return dialect.connect(*cargs, **cparams)
    except Exception as exc:
        raise DatabaseUnreachable(f"cannot connect to the database: {exc!r}") from exc


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo and len(seen) < 20:
        e = todo.pop()
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        todo.extend([e.__cause__, e.__context__, getattr(e, "orig", None)])
    return seen


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) is the database being away."""
    for e in _chain(exc):
        if isinstance(e, DatabaseUnreachable | sa_exc.TimeoutError):
            return True
        if isinstance(e, sa_exc.DBAPIError) and e.connection_invalidated:
            return True
        if isinstance(e, sa_exc.DisconnectionError):
            return True
        if isinstance(e, asyncpg.PostgresError):
            state = str(getattr(e, "sqlstate", "") or "")
            if state.startswith("08") or state in _SQLSTATES:
                return True
        if isinstance(e, asyncpg.InterfaceError) and any(m in str(e) for m in _CLOSED_MESSAGES):
            return True
        if isinstance(e, ConnectionError | TimeoutError) and e is not exc:
            # A socket error under a database error (never a bare one: not necessarily ours).
            return True
    return False
