"""What the service shows outside: docs off in production, /metrics on its own port, security
headers on every answer, no-store on tokens and personal data (issue 20, finding 8)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.kit.clock import FixedClock
from app.main import create_app
from tests.conftest import PASSWORD, AuthHeaders, make_settings
from tests.ops.service import free_port, run_service

DOCS = ("/docs", "/docs/static/swagger-ui-bundle.js", "/openapi.json")


@pytest.fixture
async def make_client(
    database_url: str,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> AsyncIterator[Callable[..., Any]]:
    """`await make_client(**settings)` → a client of an app with those settings (started)."""
    stack: list[Any] = []

    async def make(**overrides: Any) -> httpx.AsyncClient:
        settings = make_settings(database_url, **overrides)
        app = create_app(settings, engine=engine, sessionmaker=sessionmaker, clock=clock)
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        stack.append((lifespan, client))
        return client

    yield make
    for lifespan, client in reversed(stack):
        await client.aclose()
        await lifespan.__aexit__(None, None, None)


async def test_production_hides_docs_and_metrics(make_client: Callable[..., Any]) -> None:
    prod = await make_client(app_env="production")
    for path in (*DOCS, "/metrics"):
        r = await prod.get(path)
        assert r.status_code == 404, path
    assert (await prod.get("/healthz")).status_code == 200
    assert (await prod.get("/readyz")).status_code == 200
    # DOCS_ENABLED turns the documentation on where wanted.
    documented = await make_client(app_env="production", docs_enabled=True)
    for path in DOCS:
        assert (await documented.get(path)).status_code == 200, path
    assert (await documented.get("/metrics")).status_code == 404
    # Development and test keep both on the main port (DOCS_ENABLED=0 turns docs off).
    test = await make_client()
    for path in (*DOCS, "/metrics"):
        assert (await test.get(path)).status_code == 200, path
    quiet = await make_client(docs_enabled=False)
    for path in DOCS:
        assert (await quiet.get(path)).status_code == 404, path


async def test_metrics_on_their_own_port(make_client: Callable[..., Any]) -> None:
    port = free_port()
    prod = await make_client(app_env="production", metrics_port=port, host="127.0.0.1")
    assert (await prod.get("/healthz")).status_code == 200
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as c:
        r = await c.get("/metrics")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/plain")
        assert 'http_requests_total{method="GET",route="/healthz",status="200"}' in r.text
        assert (await c.get("/docs")).status_code == 404
        assert (await c.get("/api/v1/areas")).status_code == 404
    assert (await prod.get("/metrics")).status_code == 404


async def test_security_headers_on_every_answer(
    make_client: Callable[..., Any], auth: AuthHeaders
) -> None:
    c = await make_client()
    answers = {
        "health": await c.get("/healthz"),
        "problem": await c.get("/api/v1/children"),
        "children": await c.get("/api/v1/children", headers=auth("admin")),
        "incidents": await c.get("/api/v1/incidents", headers=auth("admin")),
        "referrals": await c.get("/api/v1/referrals", headers=auth(agency="police")),
        "screening": await c.get("/api/v1/screening/records", headers=auth("admin")),
        "token": await c.post(
            "/api/v1/auth/token",
            data={"grant_type": "password", "username": "sup2", "password": PASSWORD},
        ),
        "docs": await c.get("/docs"),
        "dashboard": await c.get("/dashboard"),
        "missing": await c.get("/nowhere"),
    }
    for name, r in answers.items():
        assert r.status_code < 500, name
        assert r.headers["x-content-type-options"] == "nosniff", name
        assert r.headers["referrer-policy"] == "no-referrer", name
    for name in ("problem", "children", "incidents", "referrals", "screening", "token"):
        assert answers[name].headers["cache-control"] == "no-store", name
    assert answers["token"].status_code == 200
    assert answers["token"].headers["pragma"] == "no-cache"
    for name in ("docs", "dashboard"):
        csp = answers[name].headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp, name
        assert "default-src" in csp, name
    # The dashboard keeps its own policy: scripts and styles from this origin only.
    assert "script-src 'self';" in answers["dashboard"].headers["content-security-policy"]


def test_a_production_process_hides_docs_and_metrics_and_trusts_no_forwarded_header(
    scratch_url: str, tmp_path: Path
) -> None:
    """`python -m app` as deployed: APP_ENV=production, METRICS_PORT set, no TRUSTED_PROXIES.
    X-Forwarded-For from 127.0.0.1 is not believed (uvicorn's default trusted it)."""
    metrics_port = free_port()
    with run_service(
        scratch_url,
        tmp_path,
        APP_ENV="production",
        METRICS_PORT=str(metrics_port),
        RATE_LIMIT_TOKEN_BURST="2",
        RATE_LIMIT_TOKEN_PER_MINUTE="1",
        RUN_WORKER_IN_PROCESS="0",
    ) as service:
        asyncio.run(service.wait_ready())
        with httpx.Client(base_url=service.base_url, timeout=10) as c:
            for path in (*DOCS, "/metrics"):
                assert c.get(path).status_code == 404, path
            codes = [
                c.post(
                    "/api/v1/auth/token",
                    data={"grant_type": "password", "username": "nobody", "password": "x"},
                    headers={"X-Forwarded-For": f"198.51.100.{i + 1}"},
                ).status_code
                for i in range(4)
            ]
            assert codes == [400, 400, 429, 429], service.output()
        r = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10)
        assert r.status_code == 200
        assert "http_requests_total" in r.text
        service.terminate()
        assert service.wait(40) == 0
