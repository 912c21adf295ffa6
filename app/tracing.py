"""OpenTelemetry tracing (链路追踪), on when the standard OTEL_* environment asks for it.

On when `OTEL_TRACES_EXPORTER` names an exporter (`otlp`, `console`; comma-separated) or an
OTLP endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`);
off with `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`. Off, nothing is imported and
no middleware is added: zero overhead.

The rest is the SDK's own standard configuration: `OTEL_SERVICE_NAME` (default
`children-care`), `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER[_ARG]`,
`OTEL_EXPORTER_OTLP_*` (endpoint, headers, timeout; protocol http/protobuf). Each request is a
server span named `METHOD /route/{template}`, joined to the caller's trace by the W3C
`traceparent` header; the JSON logs carry `trace_id` and `span_id`.

Inside a trace (no instrumentation library beyond the API and the SDK): a client span per
database statement (`db.statement` is the SQL text with its placeholders, never the values),
a client span per outbound HTTP call (app/kit/http.py; `traceparent` goes out with it), and a
span per background job (`job <kind>`), whose statements and calls are its children. The worker
process (`python -m app.worker`) starts tracing from the same OTEL_* settings.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from starlette.types import Message, Receive, Scope, Send

from app.kit.asgi import HttpMiddleware

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

log = logging.getLogger(__name__)
DEFAULT_SERVICE_NAME = "children-care"
_global_set = False
# The provider of this process's spans (DB statements, outbound calls, jobs): None = off.
_provider: TracerProvider | None = None
_SQL_MAX = 1000


def tracing_enabled(env: Mapping[str, str] = os.environ) -> bool:
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = _exporter_names(env)
    if exporters:
        return exporters != ["none"]
    return bool(
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def _exporter_names(env: Mapping[str, str]) -> list[str]:
    raw = env.get("OTEL_TRACES_EXPORTER", "")
    return [n.strip().lower() for n in raw.split(",") if n.strip()]


def build_provider(
    env: Mapping[str, str] = os.environ, exporter: SpanExporter | None = None
) -> TracerProvider:
    """A TracerProvider from the OTEL_* environment; `exporter` replaces the configured ones."""
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SimpleSpanProcessor,
    )

    attributes: dict[str, Any] = {}
    if not env.get("OTEL_SERVICE_NAME"):
        attributes[SERVICE_NAME] = DEFAULT_SERVICE_NAME
    provider = TracerProvider(resource=Resource.create(attributes))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        return provider
    names = _exporter_names(env) or ["otlp"]
    for name in names:
        if name == "console":
            provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
        elif name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            protocol = env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get(
                "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"
            )
            if protocol != "http/protobuf":
                log.warning(
                    "OTLP protocol not available, using http/protobuf",
                    extra={"protocol": protocol},
                )
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        elif name != "none":
            log.warning("unknown OTEL_TRACES_EXPORTER ignored", extra={"exporter": name})
    return provider


def setup_tracing(
    app: FastAPI,
    *,
    env: Mapping[str, str] = os.environ,
    exporter: SpanExporter | None = None,
) -> bool:
    """Add the tracing middleware to `app` when the environment (or `exporter`) asks for it.

    Call after every other middleware so that the span covers the whole request.
    """
    if exporter is None and not tracing_enabled(env):
        return False
    global _global_set
    from opentelemetry import trace
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    from app import observability

    provider = build_provider(env, exporter)
    if exporter is None and not _global_set:
        # The process's provider, for code that asks `trace.get_tracer(...)`.
        trace.set_tracer_provider(provider)
        _global_set = True
    use_provider(provider)
    if getattr(app.state, "engine", None) is not None:
        instrument_engine(app.state.engine)
    app.state.tracer_provider = provider
    app.add_middleware(_RouteSpanName)
    app.add_middleware(
        OpenTelemetryMiddleware,
        tracer_provider=provider,
        exclude_spans=["receive", "send"],
    )
    observability.trace_context = _trace_context
    log.info("OpenTelemetry tracing on", extra={"exporters": ",".join(_exporter_names(env))})
    return True


def _trace_context() -> dict[str, str]:
    from opentelemetry import trace

    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return {}
    return {"trace_id": f"{ctx.trace_id:032x}", "span_id": f"{ctx.span_id:016x}"}


class _RouteSpanName(HttpMiddleware):
    """Names the server span after the matched route template (`GET /api/v1/users/{user_id}`)."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def named_send(message: Message) -> None:
            # Before the response starts: the span may end with the last body chunk.
            if message["type"] == "http.response.start":
                route = getattr(scope.get("route"), "path_format", None)
                if route:
                    from opentelemetry import trace

                    span = trace.get_current_span()
                    if span.is_recording():
                        span.set_attribute("http.route", route)
                        span.update_name(f"{scope.get('method', '')} {route}")
            await send(message)

        await self.app(scope, receive, named_send)


def use_provider(provider: TracerProvider | None) -> None:
    """The provider of this process's own spans (None: off; tests reset it)."""
    global _provider
    _provider = provider


def setup_process_tracing(env: Mapping[str, str] = os.environ) -> bool:
    """Tracing for a process without an app (`python -m app.worker`), from OTEL_*."""
    global _global_set
    if not tracing_enabled(env):
        return False
    from opentelemetry import trace

    from app import observability

    provider = build_provider(env)
    if not _global_set:
        trace.set_tracer_provider(provider)
        _global_set = True
    use_provider(provider)
    observability.trace_context = _trace_context
    return True


def tracer() -> Any:
    """This process's tracer, or None when tracing is off."""
    if _provider is None:
        return None
    return _provider.get_tracer("app")


@contextlib.contextmanager
def span(name: str, *, kind: str = "internal", **attributes: Any) -> Iterator[Any]:
    """A span (a child of the current one) around the block; nothing at all when off."""
    t = tracer()
    if t is None:
        yield None
        return
    from opentelemetry.trace import SpanKind

    with t.start_as_current_span(
        name, kind=getattr(SpanKind, kind.upper()), attributes=attributes
    ) as current:
        yield current


def instrument_engine(engine: Any) -> None:
    """A client span per statement on `engine` (when tracing is on; once per engine)."""
    if _provider is None:
        return
    from sqlalchemy import event

    sync = engine.sync_engine
    if event.contains(sync, "before_cursor_execute", _before_execute):
        return
    event.listen(sync, "before_cursor_execute", _before_execute)
    event.listen(sync, "after_cursor_execute", _after_execute)
    event.listen(sync, "handle_error", _on_error)


def _before_execute(
    conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
) -> None:
    t = tracer()
    if t is None or context is None:
        return
    from opentelemetry.trace import SpanKind

    operation = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
    context._app_span = t.start_span(
        f"db {operation}",
        kind=SpanKind.CLIENT,
        attributes={
            "db.system": "postgresql",
            "db.operation.name": operation,
            "db.query.text": statement[:_SQL_MAX],
            "db.executemany": bool(many),
        },
    )


def _after_execute(
    conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
) -> None:
    current = getattr(context, "_app_span", None)
    if current is not None:
        current.end()
        context._app_span = None


def _on_error(exception_context: Any) -> None:
    context = exception_context.execution_context
    current = getattr(context, "_app_span", None) if context is not None else None
    if current is None:
        return
    from opentelemetry.trace import Status, StatusCode

    error = exception_context.original_exception
    current.set_status(Status(StatusCode.ERROR, type(error).__name__))
    current.record_exception(error)
    current.end()
    context._app_span = None
