"""Structured JSON logs with the request id, and Prometheus metrics per route."""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
)

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_STD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
# Set by app.tracing when tracing is on: the current trace and span ids for each log line.
trace_context: Callable[[], dict[str, str]] | None = None


# Attributes that never go out: uvicorn's `color_message` is its message with terminal colour
# codes, which a JSON line (or a log file) must not carry.
_DROPPED_ATTRS = frozenset({"color_message"})
# Loggers that talk at INFO about their routine (pgserver's whole initdb and pg_ctl command lines,
# Alembic's plugins and every migration): quiet unless something fails (WARNING and above), or
# when LOG_LEVEL=DEBUG.
QUIET_LOGGERS = ("pgserver", "alembic")


# `json.dumps(out, ensure_ascii=False)` builds this encoder for every call; the same one, once.
_ENCODER = json.JSONEncoder(ensure_ascii=False)


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {
        k: v
        for k, v in record.__dict__.items()
        if k not in _STD_ATTRS and k not in _DROPPED_ATTRS and not k.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    """One JSON object a line (production: for the log collector)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = request_id_var.get()
        if rid:
            out["request_id"] = rid
        if trace_context is not None:
            out.update(trace_context())
        for k, v in _extras(record).items():
            out[k] = v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return _ENCODER.encode(out)


class TextFormatter(logging.Formatter):
    """One readable line (development): `15:04:05 INFO  app.migrate: migrations at head heads=…`.

    The standard library's formatter with the record's extra fields appended as key=value, the
    request id first; no colour codes (a terminal or a file read the same)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-5s %(name)s: %(message)s", "%H:%M:%S")
        self._second: int | None = None
        self._stamp = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """The time to the second (the format has no fraction), made once a second."""
        second = int(record.created)
        if second != self._second:
            self._stamp = super().formatTime(record, datefmt)
            self._second = second
        return self._stamp

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = _extras(record)
        rid = request_id_var.get()
        if rid:
            extras = {"request_id": rid, **extras}
        if extras:
            line += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        return line


def setup_logging(level: str, fmt: str = "json") -> None:
    """The root logger writes to stdout as `fmt` (`json` or `text`, LOG_FORMAT); uvicorn's
    loggers go through it (its access log stays off); pgserver and Alembic only when failing."""
    formatter_type = TextFormatter if fmt == "text" else JsonFormatter
    root = logging.getLogger()
    quiet = logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
    if any(type(h.formatter) is formatter_type for h in root.handlers):
        root.setLevel(level.upper())
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter_type())
    root.handlers = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True


class Metrics:
    """The process's Prometheus metrics, served at /metrics (the worker: WORKER_METRICS_PORT).

    How the domains count (the counters exist from the start, at zero, so dashboards and
    alerts see them before the first event):

    - in a request: ``request.app.state.metrics``;
    - in a job handler: ``observability.current_metrics()`` (the metrics of this process: the
      API's when the worker runs in-process, the worker's own in ``python -m app.worker``).

    Names and labels:

    - ``import_rows_total{outcome}`` — rows read by a file import; outcome ``imported`` or
      ``error`` (a row rejected with a message). ``metrics.import_rows.labels("error").inc(n)``.
    - ``webhook_deliveries_total{outcome}`` — webhook delivery attempts; outcome ``delivered``
      (2xx), ``failed`` (an attempt failed and will be retried) or ``abandoned`` (no retry left).
    - ``incident_escalations_total`` — incidents escalated for a missed acknowledgement SLA.
    - ``jobs_total{kind,outcome}`` — background jobs (done, retry, failed), counted by the runner.
    - ``http_request_duration_seconds{method,route}`` (histogram), ``http_requests_total``,
      ``http_requests_in_flight``, ``db_pool_connections_in_use``, ``db_pool_size``,
      ``rate_limited_total{bucket}``.
    - ``audit_checkpoints_total{outcome}`` (written, unchanged, failed) and
      ``audit_checkpoint_last_success_timestamp_seconds`` — the periodic audit checkpoint.
    - the queues (``jobs_queue_depth{kind}``, ``jobs_oldest_age_seconds{kind}``,
      ``webhook_outbox_backlog``, ...: app/worker/queue_metrics.py), ``process_*``,
      ``python_gc_*`` and ``app_build_info{version,commit}``.
    """

    IMPORT_OUTCOMES = ("imported", "error")
    WEBHOOK_OUTCOMES = ("delivered", "failed", "abandoned")

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10),
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "http_requests_in_flight", "Requests being served", registry=self.registry
        )
        self.db_pool_checked_out = Gauge(
            "db_pool_connections_in_use", "Database connections checked out", registry=self.registry
        )
        self.db_pool_size = Gauge("db_pool_size", "Database pool size", registry=self.registry)
        self.jobs = Counter(
            "jobs_total",
            "Background jobs by kind and outcome",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.import_rows = Counter(
            "import_rows_total",
            "Rows read by file imports, by outcome (imported, error)",
            ["outcome"],
            registry=self.registry,
        )
        self.webhook_deliveries = Counter(
            "webhook_deliveries_total",
            "Webhook delivery attempts, by outcome (delivered, failed, abandoned)",
            ["outcome"],
            registry=self.registry,
        )
        self.incident_escalations = Counter(
            "incident_escalations_total",
            "Incidents escalated for a missed acknowledgement deadline",
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "rate_limited_total",
            "Requests refused with 429, by bucket (token, principal, ip)",
            ["bucket"],
            registry=self.registry,
        )
        # The children of the two per-request families, per (method, route, status): asking
        # `labels(...)` checks and joins the values under a lock each time (~3 µs a request).
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._audit_and_queue_metrics()
        # The process (CPU, memory, open files, GC) and the build.
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        Info("app_build", "The running build", registry=self.registry).info(build_info())
        for outcome in self.IMPORT_OUTCOMES:
            self.import_rows.labels(outcome)
        for outcome in self.WEBHOOK_OUTCOMES:
            self.webhook_deliveries.labels(outcome)
        set_current_metrics(self)

    def count_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """One answered request: `http_requests_total{method,route,status}` and
        `http_request_duration_seconds{method,route}`."""
        key = (method, route, status)
        children = self._request_children.get(key)
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            self._request_children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def _audit_and_queue_metrics(self) -> None:
        """The audit checkpoint's counters and the queues' gauges (app/worker/queue_metrics.py,
        refreshed by the worker loop)."""
        self.audit_checkpoints = Counter(
            "audit_checkpoints_total",
            "Audit chain checkpoints, by outcome (written, unchanged, failed)",
            ["outcome"],
            registry=self.registry,
        )
        self.audit_checkpoint_success = Gauge(
            "audit_checkpoint_last_success_timestamp_seconds",
            "When this process last checked the audit chain and checkpointed its head",
            registry=self.registry,
        )
        for outcome in ("written", "unchanged", "failed"):
            self.audit_checkpoints.labels(outcome)
        self.jobs_queue_depth = Gauge(
            "jobs_queue_depth", "Jobs queued or running, by kind", ["kind"], registry=self.registry
        )
        self.jobs_oldest_age = Gauge(
            "jobs_oldest_age_seconds",
            "How long the oldest due job of the kind has waited",
            ["kind"],
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "webhook_outbox_backlog", "Webhook deliveries pending", registry=self.registry
        )
        self.outbox_oldest_age = Gauge(
            "webhook_outbox_oldest_age_seconds",
            "Age of the oldest pending webhook delivery",
            registry=self.registry,
        )
        self.imports_interrupted = Gauge(
            "screening_imports_interrupted",
            "Running imports whose heartbeat is stale (their worker died)",
            registry=self.registry,
        )
        self.referrals_overdue = Gauge(
            "referrals_unacknowledged_overdue",
            "Referrals still pending past their acknowledgement deadline",
            registry=self.registry,
        )


def build_info() -> dict[str, str]:
    """`app_build_info{version, commit}`: the package version and the commit the image was
    built from (APP_COMMIT, a build argument of the Dockerfile)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("children-care")
    except PackageNotFoundError:
        v = "unknown"
    return {"version": v, "commit": os.environ.get("APP_COMMIT", "unknown")}


_current: Metrics | None = None


def set_current_metrics(metrics: Metrics) -> None:
    """Make `metrics` the process's metrics (the most recently created wins)."""
    global _current
    _current = metrics


def current_metrics() -> Metrics:
    """The process's metrics, for code that has no request (job handlers)."""
    return _current if _current is not None else Metrics()


def new_request_id() -> str:
    """A random UUID4 as 32 hex digits (what `uuid.uuid4().hex` gives, at a fifth of its CPU)."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    return raw.hex()


def valid_request_id(value: str) -> bool:
    """An incoming X-Request-ID the service echoes (else it makes its own)."""
    return _VALID_REQUEST_ID.match(value) is not None


# Requests whose line the access log leaves out (the probes and the scrapes).
UNLOGGED_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


class AccessLog:
    """The `request` line of `app.access` per request: method, route, status, duration_ms.

    The record is what `log.info("request", extra={...})` made, without its search of the
    stack for the caller (the caller is always this method) and without the `extra` dict."""

    def __init__(self) -> None:
        self.log = logging.getLogger("app.access")

    def line(self, method: str, route: str, status: int, seconds: float) -> None:
        log = self.log
        if not log.isEnabledFor(logging.INFO):
            return
        record = log.makeRecord(
            log.name, logging.INFO, __file__, _LINE_NO, "request", (), None, "line"
        )
        record.method = method
        record.route = route
        record.status = status
        record.duration_ms = round(seconds * 1000, 2)
        log.handle(record)


_LINE_NO = AccessLog.line.__code__.co_firstlineno
