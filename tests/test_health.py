"""/healthz, /readyz, /metrics, request ids and gzip."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.db import create_engine
from app.main import create_app
from tests.conftest import AuthHeaders, make_settings


async def test_healthz(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


async def test_a_started_process_has_built_every_route_before_its_first_request(
    settings: Settings, engine: AsyncEngine
) -> None:
    prebuilt = create_app(settings.model_copy(update={"prebuild_routes": True}), engine=engine)
    lazy = create_app(settings, engine=engine)
    async with prebuilt.router.lifespan_context(prebuilt), lazy.router.lifespan_context(lazy):
        # the OpenAPI document is built from every route's handling (FastAPI builds a route's
        # on its first request otherwise)
        assert lazy.openapi_schema is None
        assert prebuilt.openapi_schema is not None
        assert "/api/v1/screening/imports" in prebuilt.openapi_schema["paths"]


async def test_readyz_503_when_database_unreachable(settings: Settings) -> None:
    url = "postgresql+asyncpg://nobody:nothing@127.0.0.1:9/none"
    broken = make_settings(url)
    app = create_app(broken, engine=create_engine(url, broken))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c,
    ):
        r = await c.get("/readyz")
        assert r.status_code == 503
        assert r.json()["status"] == "database_unreachable"
        assert (await c.get("/healthz")).status_code == 200


async def test_readyz_503_when_migrations_behind(app: FastAPI, client: httpx.AsyncClient) -> None:
    # the code knows a newer revision than the database has
    app.state.migration_heads = {"9999"}
    app.state.migration_revisions = app.state.migration_revisions | {"9999"}
    r = await client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["status"] == "migrations_pending"


async def test_readyz_ready_when_database_is_ahead(app: FastAPI, client: httpx.AsyncClient) -> None:
    # a newer release migrated the database during a rolling update: old pods stay ready
    app.state.migration_heads = {"0000-older"}
    app.state.migration_revisions = {"0000-older"}
    assert (await client.get("/readyz")).status_code == 200


async def test_metrics_count_requests_per_route(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    await client.get("/api/v1/areas", headers=auth("dir1"))
    r = await client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'http_requests_total{method="GET",route="/api/v1/areas",status="200"} 1.0' in text
    assert (
        'http_request_duration_seconds_bucket{le="0.1",method="GET",route="/api/v1/areas"}' in text
    )
    assert "db_pool_size" in text


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["X-Request-ID"] == "abc-123"
    r = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert r.headers["X-Request-ID"] != "bad id with spaces"
    assert len(r.headers["X-Request-ID"]) == 32


async def test_large_responses_are_gzipped(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert r.headers.get("content-encoding") == "gzip"
    r = await client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in r.headers
