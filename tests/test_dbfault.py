"""Which errors are the database's loss (503) and which are not (their own answers, or 500)."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import exc as sa_exc

from app.dbfault import DatabaseUnreachable, is_database_unavailable


def _wrapped(orig: BaseException, *, invalidated: bool = False) -> sa_exc.DBAPIError:
    cls = (
        sa_exc.IntegrityError
        if isinstance(orig, asyncpg.IntegrityConstraintViolationError)
        else sa_exc.OperationalError
    )
    err = cls("SELECT 1", {}, orig, connection_invalidated=invalidated)
    err.__cause__ = orig
    return err


@pytest.mark.parametrize(
    "exc",
    [
        DatabaseUnreachable("cannot connect"),
        sa_exc.TimeoutError("QueuePool limit of size 10 overflow 5 reached"),
        _wrapped(asyncpg.ConnectionDoesNotExistError("connection was closed"), invalidated=True),
        _wrapped(asyncpg.CannotConnectNowError("the database system is starting up")),
        _wrapped(asyncpg.AdminShutdownError("terminating connection")),
        _wrapped(asyncpg.TooManyConnectionsError("too many clients")),
        _wrapped(asyncpg.InterfaceError("cannot call Connection.fetch(): connection is closed")),
        _wrapped(ConnectionResetError(104, "Connection reset by peer")),
    ],
)
def test_the_database_away(exc: BaseException) -> None:
    assert is_database_unavailable(exc)


@pytest.mark.parametrize(
    "exc",
    [
        _wrapped(asyncpg.UniqueViolationError("duplicate key")),
        _wrapped(asyncpg.QueryCanceledError("canceling statement due to statement timeout")),
        _wrapped(asyncpg.UndefinedTableError('relation "nope" does not exist')),
        _wrapped(asyncpg.InterfaceError("another operation is in progress")),
        ConnectionRefusedError(111, "not the database's"),
        FileNotFoundError(2, "No such file or directory"),
        ValueError("a bug"),
    ],
)
def test_not_the_database_away(exc: BaseException) -> None:
    assert not is_database_unavailable(exc)
