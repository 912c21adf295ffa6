"""The embedded PostgreSQL (the `pgserver` wheel): a real server, started when DATABASE_URL is unset."""

from __future__ import annotations

import json
import logging
import os
import subprocess
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def start(data_dir: Path, *, name: str = "pg") -> str:
    """Start (or join) the embedded server whose data live in `data_dir/name`; return its URL.

    The server stops when the last process that started it exits, so Ctrl-C on `make run`
    stops it cleanly, and the next run finds the same data.
    """
    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    runtime = data_dir / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    import pgserver

    get_server: Any = getattr(pgserver, "get_server")  # noqa: B009 - untyped package
    pgdata = data_dir / name
    pgdata.mkdir(exist_ok=True)
    with _handle_lock():
        _forget_dead_users(pgdata)
    server: Any = get_server(pgdata, cleanup_mode="stop")
    _servers.append(server)
    uri: str = server.get_uri()
    log.info("embedded PostgreSQL ready", extra={"pgdata": str(data_dir / name)})
    return to_asyncpg_url(uri)


_servers: list[Any] = []


def stop() -> None:
    """Stop the embedded servers this process started (when it is their last user)."""
    while _servers:
        server = _servers.pop()
        try:
            with _handle_lock():
                _forget_dead_users(Path(server.pgdata))
            server.cleanup()
        except Exception:  # already stopped, or another process still uses it
            log.warning("embedded PostgreSQL cleanup failed", exc_info=True)


RUNTIME_GROUP = "app_runtime"
APP_ROLE = "app_user"


def runtime_url(owner_url: str) -> str:
    """The URL of the application's own role on the embedded server, created if missing.

    The server's `postgres` superuser owns the tables and runs the migrations; the application
    connects as `app_user`, a member of `app_runtime`, to which migration 0020 grants everything
    but UPDATE, DELETE and TRUNCATE on the audit log (as a production cluster's roles are set up).
    Local connections are trusted (a socket in DATA_DIR), so the role has no password.
    """
    from pgserver._commands import POSTGRES_BIN_PATH

    conninfo = owner_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    sql = f"""
    DO $$
    BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{RUNTIME_GROUP}') THEN
            CREATE ROLE {RUNTIME_GROUP} NOLOGIN;
        END IF;
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            CREATE ROLE {APP_ROLE} LOGIN IN ROLE {RUNTIME_GROUP};
        END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- another process did
    END $$;
    """  # noqa: S608 - fixed names
    subprocess.run(  # noqa: S603 - the server's own psql, fixed arguments
        [str(POSTGRES_BIN_PATH / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", conninfo],
        input=sql,
        text=True,
        check=True,
        capture_output=True,
        timeout=30,
    )
    from sqlalchemy.engine import make_url

    return make_url(owner_url).set(username=APP_ROLE).render_as_string(hide_password=False)


HANDLE_FILE = ".handle_pids.json"


def _handle_lock() -> Any:
    """pgserver's own inter-process lock (the one it holds while it edits the handle file)."""
    from pgserver.postgres_server import PostgresServer

    return PostgresServer._lock


def _forget_dead_users(pgdata: Path) -> list[int]:
    """Drop the processes that died without letting go of the server (kill -9, OOM, power).

    pgserver counts the processes using a server in `pgdata/.handle_pids.json` and stops the
    server when the last one lets go. A process killed with -9 never does: its PID stays, so
    every later run thinks someone else still uses the server and leaves it running on exit.
    Called under pgserver's lock; returns the PIDs removed.
    """
    path = pgdata / HANDLE_FILE
    try:
        pids = [int(p) for p in json.loads(path.read_text())]
    except (FileNotFoundError, ValueError, TypeError):
        return []
    alive = [p for p in pids if p == os.getpid() or _alive(p)]
    dead = [p for p in pids if p not in alive]
    if dead:
        path.write_text(json.dumps(alive))
        log.warning(
            "embedded PostgreSQL: forgot users that died without stopping it",
            extra={"pids": dead, "pgdata": str(pgdata)},
        )
    return dead


def _alive(pid: int) -> bool:
    import psutil  # type: ignore[import-untyped]

    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def to_asyncpg_url(uri: str) -> str:
    """pgserver gives `postgresql://postgres:@/postgres?host=/sock/dir`; SQLAlchemy wants asyncpg."""
    if uri.startswith("postgresql://"):
        return "postgresql+asyncpg://" + uri[len("postgresql://") :]
    return uri
