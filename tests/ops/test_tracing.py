"""OpenTelemetry: off without OTEL_* (no middleware), a server span per request when on."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.edge import EdgeMiddleware
from app.kit.clock import FixedClock
from app.main import create_app
from app.tracing import setup_tracing, tracing_enabled
from tests.conftest import ROOT, AuthHeaders, Base
from tests.ops.service import service_env

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.mark.parametrize(
    ("env", "enabled"),
    [
        ({}, False),
        ({"OTEL_SERVICE_NAME": "x"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp,console"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, False),
        ({"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"}, False),
    ],
)
def test_tracing_turns_on_with_the_standard_settings(env: dict[str, str], enabled: bool) -> None:
    assert tracing_enabled(env) is enabled


def test_off_by_default_adds_nothing(app: FastAPI) -> None:
    assert tracing_enabled({}) is False
    classes: list[object] = [m.cls for m in app.user_middleware]
    assert OpenTelemetryMiddleware not in classes
    # The edge alone (request context, security headers, rate limit, body size, upload gate,
    # gzip and NUL guard in one layer; no proxy-headers layer while TRUSTED_PROXIES is empty)
    assert classes == [EdgeMiddleware]


async def test_a_request_produces_a_server_span(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    auth: AuthHeaders,
    base: Base,
) -> None:
    exporter = InMemorySpanExporter()
    app = create_app(settings, engine=engine, sessionmaker=sessionmaker, clock=clock)
    assert setup_tracing(app, env={}, exporter=exporter) is True
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
    ):
        r = await c.get(
            f"/api/v1/users/{base.users['dir1']}",
            headers=auth("admin") | {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"},
        )
    assert r.status_code == 200
    [span] = [s for s in exporter.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert span.name == "GET /api/v1/users/{user_id}"  # the route, not the path
    attributes: dict[str, Any] = dict(span.attributes or {})
    assert attributes["http.route"] == "/api/v1/users/{user_id}"
    assert attributes.get("http.response.status_code", attributes.get("http.status_code")) == 200
    assert f"{span.context.trace_id:032x}" == TRACE_ID  # joined the caller's trace
    assert span.resource.attributes["service.name"] == "children-care"


_CONSOLE_SCRIPT = """
import asyncio, httpx
from app.main import create_app

async def main():
    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.get("/healthz")
        assert r.status_code == 200
    app.state.tracer_provider.shutdown()

asyncio.run(main())
"""


def test_console_exporter_from_the_environment(database_url: str) -> None:
    env = service_env(database_url, 0, OTEL_TRACES_EXPORTER="console", OTEL_SERVICE_NAME="ops-t")
    done = subprocess.run(
        [sys.executable, "-c", _CONSOLE_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    start = out.index('{\n    "name": "GET /healthz"')
    span = json.loads(out[start : out.index("\n}", start) + 2])
    assert span["kind"] == "SpanKind.SERVER"
    assert span["resource"]["attributes"]["service.name"] == "ops-t"
