"""`python -m app`: serve the API (embedded PostgreSQL unless DATABASE_URL is set)."""

from __future__ import annotations

import signal
from types import FrameType

import uvicorn

from app.config import get_settings
from app.main import create_app
from app.observability import setup_logging


def _exit_after_drain(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main() -> None:
    settings = get_settings()
    setup_logging(settings.log_level)
    app = create_app(settings)
    base = f"http://{settings.host}:{settings.port}"
    if settings.demo_data:
        from app.demo import print_logins

        print_logins(base)
    else:
        print(f"\n  API docs: {base}/docs\n", flush=True)
    # uvicorn drains on SIGTERM, then re-raises the signal with the handler it found: make that
    # handler an orderly exit, so the embedded database is stopped below rather than orphaned.
    signal.signal(signal.SIGTERM, _exit_after_drain)
    try:
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
            proxy_headers=True,
        )
    finally:
        from app import embedded

        embedded.stop()


if __name__ == "__main__":
    main()
