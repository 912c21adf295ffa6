"""`python -m app`: serve the API (embedded PostgreSQL unless DATABASE_URL is set)."""

from __future__ import annotations

import uvicorn

from app.config import get_settings
from app.main import create_app
from app.observability import setup_logging


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
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()
