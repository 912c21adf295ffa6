"""`python -m app.worker`: run background jobs apart from the API (Kubernetes' worker Deployment).

SIGTERM/SIGINT: the worker finishes the job in hand (one transaction with its completion, so
never half done), claims no other, and exits 0. WORKER_METRICS_PORT > 0 serves its Prometheus
metrics (jobs, import rows, webhook deliveries, escalations, queues) on that port, and its
probes: /livez (the loop beat within WORKER_LIVENESS_SECONDS) and /readyz (app/worker/probes.py).
"""

from __future__ import annotations

import asyncio
import logging
import signal

from app.__main__ import register_extra_job_modules
from app.config import get_settings
from app.db import create_engine, create_sessionmaker
from app.kit import audit_chain
from app.kit.clock import SystemClock
from app.migrate import resolve_database_url
from app.observability import Metrics, setup_logging
from app.tracing import instrument_engine, setup_process_tracing
from app.worker.probes import ProbeServer
from app.worker.runner import Worker

log = logging.getLogger("app.worker")


async def main() -> None:
    settings = get_settings()
    setup_logging(settings.log_level, settings.console_log_format)
    register_extra_job_modules(settings)
    audit_chain.configure(audit_chain.ChainKeys.from_settings(settings))
    metrics = Metrics()
    # A connection for each job in hand, one to claim with, one to LISTEN on.
    pool = max(settings.db_pool_size, settings.worker_concurrency + 2)
    engine = create_engine(
        resolve_database_url(), settings.model_copy(update={"db_pool_size": pool})
    )
    if setup_process_tracing():
        instrument_engine(engine)
    worker = Worker(create_sessionmaker(engine), settings, SystemClock(), metrics)
    probes = None
    if settings.worker_metrics_port:
        probes = ProbeServer(
            worker,
            metrics.registry,
            settings.host,
            settings.worker_metrics_port,
            settings.worker_liveness_seconds,
        )
        probes.start()
        log.info("worker metrics and probes served", extra={"port": settings.worker_metrics_port})
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.stop)
    try:
        await worker.run()
    finally:
        if probes is not None:
            probes.stop()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
