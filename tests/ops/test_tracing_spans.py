"""Traces show the database, outbound HTTP and background jobs (issue 27, gap 5)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app import tracing
from app.config import Settings
from app.kit.clock import FixedClock
from app.kit.http import outbound_client
from app.main import create_app
from app.worker.queue import enqueue
from app.worker.runner import Worker
from tests.conftest import AuthHeaders, Base
from tests.ops.jobs_fixture import SLOW


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    tracing.use_provider(None)  # tracing off again for the other tests


def _children(spans: tuple[ReadableSpan, ...], parent: ReadableSpan) -> list[ReadableSpan]:
    return [s for s in spans if s.parent is not None and s.parent.span_id == parent.context.span_id]


async def test_a_request_has_database_spans(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    auth: AuthHeaders,
    base: Base,
    exporter: InMemorySpanExporter,
) -> None:
    app = create_app(settings, engine=engine, sessionmaker=sessionmaker, clock=clock)
    assert tracing.setup_tracing(app, env={}, exporter=exporter)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
    ):
        r = await c.get(f"/api/v1/users/{base.users['dir1']}", headers=auth("admin"))
    assert r.status_code == 200
    spans = exporter.get_finished_spans()
    [server] = [s for s in spans if s.kind == SpanKind.SERVER]
    db = [s for s in spans if s.name.startswith("db ")]
    assert db, [s.name for s in spans]
    same_trace = [s for s in db if s.context.trace_id == server.context.trace_id]
    assert same_trace  # the request's statements are in the request's trace
    select = next(s for s in same_trace if s.name == "db SELECT")
    attributes = dict(select.attributes or {})
    assert attributes["db.system"] == "postgresql"
    assert "users" in str(attributes["db.query.text"])
    assert select.kind == SpanKind.CLIENT
    assert str(base.users["dir1"]) not in str(attributes["db.query.text"])  # no values


async def test_a_job_is_a_span_with_its_statements(
    settings: Settings, engine: AsyncEngine, clock: FixedClock, exporter: InMemorySpanExporter
) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    import tests.ops.jobs_fixture as jobs_fixture
    from app.worker import registry

    registry.register_module(jobs_fixture)
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_provider(provider)
    tracing.instrument_engine(engine)
    sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
    async with sessionmaker() as s:
        await enqueue(s, SLOW, {"seconds": 0})
        await s.commit()
    assert await Worker(sessionmaker, settings, clock).drain() >= 1
    spans = exporter.get_finished_spans()
    [job] = [s for s in spans if s.name == f"job {SLOW}"]
    assert job.kind == SpanKind.CONSUMER
    assert dict(job.attributes or {})["job.kind"] == SLOW
    statements = _children(spans, job)
    assert any(s.name == "db UPDATE" for s in statements), [s.name for s in statements]


async def test_an_outbound_call_is_a_client_span_and_carries_the_trace(
    exporter: InMemorySpanExporter,
) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_provider(provider)
    seen: list[httpx.Request] = []

    def partner(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503)

    with tracing.span("job webhooks.deliver", kind="consumer") as job:
        async with outbound_client(transport=httpx.MockTransport(partner)) as client:
            r = await client.post("https://partner.example/hook?token=secret", json={})
    assert r.status_code == 503
    spans = exporter.get_finished_spans()
    [call] = [s for s in spans if s.kind == SpanKind.CLIENT]
    assert call.name == "POST partner.example"
    assert call.parent is not None
    assert call.parent.span_id == job.get_span_context().span_id
    attributes = dict(call.attributes or {})
    assert attributes["http.response.status_code"] == 503
    assert "secret" not in str(attributes["url.full"])  # no query string
    trace_id = f"{call.context.trace_id:032x}"
    assert trace_id in seen[0].headers["traceparent"]
