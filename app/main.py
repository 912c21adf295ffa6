"""create_app(): settings, engine, middleware, routers, error handlers and the lifespan."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from app import errors, health, wiring
from app.config import Settings, get_settings
from app.db import create_engine, create_sessionmaker
from app.kit import audit_chain
from app.kit.clock import Clock, SystemClock
from app.kit.crypto import KeyRing
from app.observability import Metrics, setup_logging

log = logging.getLogger("app")

API_DESCRIPTION = """
困境儿童关爱服务 API — the case-management service for children in difficulty
(Daxing District civil-affairs bureau). Errors are RFC 9457 `application/problem+json`,
in Simplified Chinese by default and English with `Accept-Language: en`.
"""


def _routers() -> list[Any]:
    # Routing tries the routes in this order, one by one (~5 µs each): the calls phones and
    # partners make most come first. No path of one router matches another's route
    # (tests/test_routes.py), so the order changes no answer.
    return [*_busiest_routers(), *_subsidy_routers(), *_care_routers()]


def _busiest_routers() -> list[Any]:
    """The routers of the calls phones and partners make most, then the ledger's."""
    from app.areas.router import router as areas
    from app.audit.router import router as audit
    from app.auth.router import router as auth
    from app.children.router import router as children
    from app.discovery.router import router as discovery
    from app.incidents.router import router as incidents
    from app.ledger.router import router as ledger
    from app.referrals.router import router as referrals
    from app.sync.router import router as sync
    from app.users.router import router as users
    from app.visits.router import router as visits
    from app.webhooks.router import router as webhooks

    return [
        sync,
        visits,
        incidents,
        referrals,
        auth,
        children,
        health.router,
        areas,
        users,
        audit,
        ledger,
        discovery,
        webhooks,
    ]


def _subsidy_routers() -> list[Any]:
    """The subsidy engine, one router per sub-domain (in the order of the documentation)."""
    from app.insurance.router import router as insurance
    from app.placements.router import router as placements
    from app.subsidies.budget.router import router as subsidy_budget
    from app.subsidies.claims.router import router as subsidy_claims
    from app.subsidies.payroll.router import router as subsidy_payroll
    from app.subsidies.quote.router import router as subsidy_quote
    from app.subsidies.runs.router import router as subsidy_runs
    from app.subsidies.standards.router import router as subsidy_standards

    return [
        subsidy_standards,
        subsidy_quote,
        subsidy_claims,
        subsidy_payroll,
        subsidy_runs,
        subsidy_budget,
        insurance,
        placements,
    ]


def _care_routers() -> list[Any]:
    """Care programmes with partners, the institutions, documents and the dashboards."""
    from app.casework.router import router as casework
    from app.charity.router import router as charity
    from app.dashboard.city_router import router as city_dashboard
    from app.dashboard.router import router as dashboard
    from app.documents.router import router as documents
    from app.institution.router import router as institution
    from app.programmes.activities.router import router as programme_activities
    from app.programmes.aid.router import router as programme_aid
    from app.programmes.classes.router import router as parent_classes
    from app.programmes.gifts.router import router as programme_gifts
    from app.programmes.mothers.router import router as caring_mothers
    from app.protection.router import router as protection
    from app.screening.referrals.router import router as screening_referrals
    from app.screening.router import router as screening
    from app.training.router import router as training

    return [
        # Care programmes with partners (issue 24).
        programme_aid,
        programme_gifts,
        programme_activities,
        institution,
        protection,
        screening,
        training,
        charity,
        # Care programmes with partners (爱心妈妈, 智慧父母).
        caring_mothers,
        parent_classes,
        screening_referrals,
        casework,
        # Documents and photos (issue 33).
        documents,
        dashboard,
        city_dashboard,
    ]


def _operation_id(route: APIRoute) -> str:
    return route.name


async def _migrate(app: FastAPI, settings: Settings) -> None:
    """Migrations run as the owner of the tables (DATABASE_MIGRATION_URL, or the embedded
    server's owner) when the process has its own engine; the application's role cannot."""
    from app import migrate

    if getattr(app.state, "owns_engine", False):
        url = migrate.resolve_migration_url()
        if url != app.state.engine.url.render_as_string(hide_password=False):
            owner = create_engine(url, settings.model_copy(update={"db_pool_size": 1}))
            try:
                await migrate.upgrade(owner)
            finally:
                await owner.dispose()
            return
    await migrate.upgrade(app.state.engine)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    from app import migrate

    if app.state.engine is None:
        url = migrate.resolve_database_url()
        app.state.engine = create_engine(url, settings)
        app.state.owns_engine = True
        from app.tracing import instrument_engine

        instrument_engine(app.state.engine)  # DB spans, when tracing is on
    app.state.sessionmaker = app.state.sessionmaker or create_sessionmaker(app.state.engine)
    from app import replica

    replica.open_replica(app.state)  # DATABASE_READ_URL: the lag-tolerant reads' replica
    app.state.migration_heads = migrate.heads()
    app.state.migration_revisions = migrate.revisions()
    if settings.migrate_on_start:
        await _migrate(app, settings)
    from app import bootstrap

    await bootstrap.on_start(app)
    # FastAPI builds a route's request and response handling (its validators and serialisers)
    # on the route's first request: about 1.3 s for all of them, which the first requests of a
    # new process (after a deploy, or on a pod the autoscaler adds under load) would wait for.
    # Building the OpenAPI document builds every route's, before the process takes traffic.
    if settings.prebuild_routes:
        app.openapi()
    metrics_server = None
    if settings.metrics_port:
        from app.edge import MetricsServer

        metrics_server = MetricsServer(app, settings.host, settings.metrics_port)
        await metrics_server.start()
    if getattr(app.state, "owns_engine", False):
        # A server process: what start-up built (modules, routes, schemas) lives as long as the
        # process; keep it out of the collector's sweeps, which otherwise pause every request.
        gc.collect()
        gc.freeze()
    worker_task: asyncio.Task[None] | None = None
    if settings.run_worker_in_process:
        from app.worker.runner import Worker

        # Beside the API the worker takes at most half the pool: jobs waiting on a slow
        # partner must not leave the requests without connections.
        shared = settings.model_copy(
            update={
                "worker_concurrency": min(
                    settings.worker_concurrency, max(1, settings.db_pool_size // 2)
                )
            }
        )
        app.state.worker = Worker(
            app.state.sessionmaker, shared, app.state.clock, app.state.metrics
        )
        worker_task = asyncio.create_task(app.state.worker.run(), name="worker")
    try:
        yield
    finally:
        app.state.shutting_down = True
        if metrics_server is not None:
            await metrics_server.stop()
        if worker_task is not None:
            app.state.worker.stop()
            try:
                await asyncio.wait_for(worker_task, timeout=settings.graceful_shutdown_seconds)
            except TimeoutError:
                worker_task.cancel()
        await replica.close_replica(app.state)
        if getattr(app.state, "owns_engine", False):
            await app.state.engine.dispose()


# ASCII names (generated clients make identifiers of them); each tag's Chinese name and what it
# covers are its description (app/contract.py TAG_DESCRIPTIONS).
DOC_TAGS = (
    "health",
    "auth",
    "areas",
    "users",
    "agencies",
    "audit",
    "children",
    "proposals",
    "placements",
    "ledger",
    "discovery",
    "visits",
    "sync",
    "incidents",
    "notifications",
    "referrals",
    "webhooks",
    "institution",
    "protection",
    "subsidies",
    "insurance",
    "screening",
    "programmes",
    "training",
    "charity",
    "casework",
    "documents",
    "dashboard",
)


def create_app(
    settings: Settings | None = None,
    *,
    engine: Any = None,
    sessionmaker: Any = None,
    clock: Clock | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    setup_logging(settings.log_level, settings.console_log_format)
    audit_chain.configure(audit_chain.ChainKeys.from_settings(settings))
    from app.edge import trusted_proxies
    from app.tracing import setup_tracing

    proxies = trusted_proxies(settings)  # a malformed TRUSTED_PROXIES stops the start
    docs = settings.serve_docs
    app = FastAPI(
        title="困境儿童关爱服务 Children in Difficulty Care Service",
        version="1.0.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        # DOCS_ENABLED (default: on except in production). /docs is app/docs_ui.py's (no CDN).
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
        # The reading order of the documentation (the routers are included hot paths first).
        openapi_tags=[{"name": name} for name in DOC_TAGS],
    )
    _set_state(app, settings, engine, sessionmaker, clock)
    from app import contract

    contract.install(app)  # the OpenAPI document as partners meet it (security, problems, names)
    errors.install(app)
    wiring.wire()
    _include_routers(app, settings)
    if docs:
        from app import docs_ui

        docs_ui.install(app, "/openapi.json")
    _add_middleware(app, settings, proxies)
    setup_tracing(app)  # outermost, and only when OTEL_* asks for it
    return app


def _set_state(
    app: FastAPI, settings: Settings, engine: Any, sessionmaker: Any, clock: Clock | None
) -> None:
    """What the requests share: settings, database, clock, metrics, keys, login throttle."""
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = sessionmaker
    app.state.clock = clock or SystemClock()
    app.state.metrics = Metrics()
    app.state.keyring = KeyRing.from_settings(
        settings.encryption_keys.get_secret_value(),
        settings.encryption_active_key_id,
        settings.hmac_key.get_secret_value(),
    )
    app.state.shutting_down = False
    from app.auth.throttle import LoginThrottle

    app.state.login_throttle = LoginThrottle(settings)


def _include_routers(app: FastAPI, settings: Settings) -> None:
    common = errors.error_responses(400, 401, 413, 422, 429)
    for router in _routers():
        # Every API route can answer these (malformed body, no token, too large, invalid, limited).
        app.include_router(router, responses=common if router is not health.router else None)
    if settings.metrics_on_main_port:
        app.include_router(health.metrics_router)
    from app.kit.routegate import gate_routers

    gate_routers(app)  # each router says no at once to a path none of its routes can match


def _add_middleware(app: FastAPI, settings: Settings, proxies: list[str]) -> None:
    """The middleware, innermost first (each added one wraps the ones before it)."""
    from app.edge import EdgeMiddleware

    # Request id, metrics and access log, security headers and 304s, rate limit, body size,
    # upload gate, gzip and NUL guard: one layer (app/edge.py), in that order.
    app.add_middleware(
        EdgeMiddleware, settings=settings, metrics=app.state.metrics, clock=app.state.clock
    )
    if proxies:  # with none trusted, the forwarded headers change nothing: no layer for them
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        # Outside the rate limits and the logs: they see the client the trusted proxy names.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
