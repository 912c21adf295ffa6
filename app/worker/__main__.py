"""`python -m app.worker`: run background jobs apart from the API (Kubernetes' worker Deployment)."""

from __future__ import annotations

import asyncio
import signal

from app.config import get_settings
from app.db import create_engine, create_sessionmaker
from app.kit.clock import SystemClock
from app.migrate import resolve_database_url
from app.observability import Metrics, setup_logging
from app.worker.runner import Worker


async def main() -> None:
    settings = get_settings()
    setup_logging(settings.log_level)
    engine = create_engine(resolve_database_url(), settings)
    worker = Worker(create_sessionmaker(engine), settings, SystemClock(), Metrics())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.stop)
    try:
        await worker.run()
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
