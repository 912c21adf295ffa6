"""`python -m app`: serve the API (embedded PostgreSQL unless DATABASE_URL is set).

Graceful shutdown (优雅停机) on SIGTERM (Kubernetes) or Ctrl-C:

1. at once: /readyz answers 503 and the in-process worker is told to stop after the job in hand
   (a job runs in one transaction with its completion, so it is done whole or not at all);
2. uvicorn closes the listening socket (no new connections), closes idle keep-alive
   connections, and lets the requests in flight finish, for up to GRACEFUL_SHUTDOWN_SECONDS;
3. the lifespan waits for the worker (again up to GRACEFUL_SHUTDOWN_SECONDS) and closes the pool;
4. the process exits 0 (not by re-raising SIGTERM): a graceful stop is a normal end.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import signal
import socket
from collections.abc import Callable
from types import FrameType

import uvicorn
from fastapi import FastAPI

from app.config import Settings, get_settings
from app.main import create_app
from app.observability import setup_logging


def register_extra_job_modules(settings: Settings) -> None:
    """EXTRA_JOB_MODULES (comma-separated): their marked handlers join the wired ones."""
    from app.worker import registry

    for module in settings.extra_job_modules.split(","):
        module = module.strip()
        if module:
            registry.register_module(importlib.import_module(module))


class GracefulServer(uvicorn.Server):
    """uvicorn, plus: stop the worker and turn unready as soon as the signal comes."""

    def __init__(
        self, config: uvicorn.Config, app: FastAPI, on_ready: Callable[[], None] | None = None
    ) -> None:
        super().__init__(config)
        self.app = app
        self.loop: asyncio.AbstractEventLoop | None = None
        self.on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        await super().startup(sockets=sockets)
        if self.on_ready is not None and self.started:
            self.on_ready()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.app.state.shutting_down = True
        worker = getattr(self.app.state, "worker", None)
        if worker is not None and self.loop is not None:
            self.loop.call_soon_threadsafe(worker.stop)
        super().handle_exit(sig, frame)
        if sig == signal.SIGTERM:
            # uvicorn re-raises captured signals after the shutdown, which would end the process
            # "killed by SIGTERM"; after a completed graceful shutdown we exit 0 instead.
            with contextlib.suppress(ValueError):
                self._captured_signals.remove(sig)


def main() -> None:
    settings = get_settings()
    setup_logging(settings.log_level, settings.console_log_format)
    register_extra_job_modules(settings)
    app = create_app(settings)
    base = f"http://{settings.host}:{settings.port}"

    def banner() -> None:
        """Printed once the server listens, so the logins are the last thing on the screen
        (not scrolled away by the start-up's log lines)."""
        if settings.demo_data:
            from app.demo import print_logins

            print_logins(base)
        elif settings.serve_docs:
            print(f"\n  API docs: {base}/docs\n", flush=True)

    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
        # Forwarded headers are read by the app, from TRUSTED_PROXIES only (app/edge.py);
        # uvicorn's own (FORWARDED_ALLOW_IPS, 127.0.0.1 by default) would believe any local
        # process, or everyone with FORWARDED_ALLOW_IPS=*.
        proxy_headers=False,
    )
    try:
        GracefulServer(config, app, on_ready=banner).run()
    finally:
        # After the drain (or Ctrl-C), stop the embedded database rather than orphan it.
        from app import embedded

        embedded.stop()


if __name__ == "__main__":
    main()
