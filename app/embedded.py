"""The embedded PostgreSQL (the `pgserver` wheel): a real server, started when DATABASE_URL is unset."""

from __future__ import annotations

import logging
import os
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
    server: Any = get_server(data_dir / name, cleanup_mode="stop")
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
            server.cleanup()
        except Exception:  # already stopped, or another process still uses it
            log.warning("embedded PostgreSQL cleanup failed", exc_info=True)


def to_asyncpg_url(uri: str) -> str:
    """pgserver gives `postgresql://postgres:@/postgres?host=/sock/dir`; SQLAlchemy wants asyncpg."""
    if uri.startswith("postgresql://"):
        return "postgresql+asyncpg://" + uri[len("postgresql://") :]
    return uri
