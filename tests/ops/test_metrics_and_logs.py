"""/metrics in Prometheus text format (routes, pool, domain counters) and JSON logs with request ids."""

from __future__ import annotations

import io
import json
import logging
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from app.observability import JsonFormatter, Metrics, TextFormatter, current_metrics
from tests.conftest import AuthHeaders


def _samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def test_metrics_exposes_domain_counters_in_prometheus_format(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=")
    assert "# TYPE import_rows_total counter" in r.text
    assert "# TYPE webhook_deliveries_total counter" in r.text
    assert "# TYPE incident_escalations_total counter" in r.text
    assert "# TYPE http_request_duration_seconds histogram" in r.text
    samples = _samples(r.text)
    for outcome in ("imported", "error"):
        assert samples[("import_rows_total", (("outcome", outcome),))] == 0
    for outcome in ("delivered", "failed", "abandoned"):
        assert samples[("webhook_deliveries_total", (("outcome", outcome),))] == 0
    assert samples[("incident_escalations_total", ())] == 0
    assert samples[("db_pool_size", ())] >= 1
    assert ("db_pool_connections_in_use", ()) in samples


async def test_domain_counters_count(client: httpx.AsyncClient, app: FastAPI) -> None:
    metrics: Metrics = app.state.metrics
    assert current_metrics() is metrics  # what job handlers reach
    metrics.import_rows.labels("imported").inc(40)
    metrics.import_rows.labels("error").inc(2)
    metrics.webhook_deliveries.labels("delivered").inc()
    metrics.webhook_deliveries.labels("failed").inc(3)
    metrics.incident_escalations.inc()
    samples = _samples((await client.get("/metrics")).text)
    assert samples[("import_rows_total", (("outcome", "imported"),))] == 40
    assert samples[("import_rows_total", (("outcome", "error"),))] == 2
    assert samples[("webhook_deliveries_total", (("outcome", "delivered"),))] == 1
    assert samples[("webhook_deliveries_total", (("outcome", "failed"),))] == 3
    assert samples[("incident_escalations_total", ())] == 1


async def test_a_request_lands_in_its_routes_histogram(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    key = ("http_request_duration_seconds_count", (("method", "GET"), ("route", "/api/v1/areas")))
    before = _samples((await client.get("/metrics")).text).get(key, 0)
    assert (await client.get("/api/v1/areas", headers=auth("dir1"))).status_code == 200
    assert (await client.get("/api/v1/areas", headers=auth("dir1"))).status_code == 200
    samples = _samples((await client.get("/metrics")).text)
    assert samples[key] == before + 2
    status_key = (
        "http_requests_total",
        (("method", "GET"), ("route", "/api/v1/areas"), ("status", "200")),
    )
    assert samples[status_key] == 2


@pytest.fixture
def access_log() -> Iterator[io.StringIO]:
    """The access log lines, formatted as in production (JsonFormatter)."""
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("app.access")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield buf
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def _lines(buf: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buf.getvalue().splitlines()]


async def test_request_log_line_is_json_with_the_echoed_request_id(
    client: httpx.AsyncClient, auth: AuthHeaders, access_log: io.StringIO
) -> None:
    r = await client.get(
        "/api/v1/areas", headers=auth("sup1") | {"X-Request-ID": "phone-7f3a.0001"}
    )
    assert r.status_code == 200
    assert r.headers["x-request-id"] == "phone-7f3a.0001"
    [line] = _lines(access_log)
    assert line["request_id"] == "phone-7f3a.0001"
    assert line["msg"] == "request"
    assert line["route"] == "/api/v1/areas"
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert line["level"] == "info"


async def test_an_unusable_request_id_is_replaced(
    client: httpx.AsyncClient, access_log: io.StringIO
) -> None:
    r = await client.get("/api/v1/areas", headers={"X-Request-ID": "bad id\twith spaces"})
    assert r.status_code == 401
    rid = r.headers["x-request-id"]
    assert rid != "bad id\twith spaces"
    assert len(rid) == 32
    [line] = _lines(access_log)
    assert line["request_id"] == rid
    assert line["status"] == 401


async def test_a_made_request_id_is_a_random_uuid4(client: httpx.AsyncClient) -> None:
    ids = {(await client.get("/healthz")).headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3
    for rid in ids:
        assert uuid.UUID(hex=rid).version == 4
        assert uuid.UUID(hex=rid).hex == rid


def test_the_text_line_shows_each_records_own_second() -> None:
    formatter = TextFormatter()
    lines = []
    for created in (1_800_000_000.2, 1_800_000_000.9, 1_800_000_001.1, 1_800_000_000.5):
        record = logging.LogRecord("app.access", logging.INFO, __file__, 1, "request", (), None)
        record.created = created
        lines.append(formatter.format(record).split(" ", 1)[0])
    stamps = [time.strftime("%H:%M:%S", time.localtime(c)) for c in (1_800_000_000, 1_800_000_001)]
    assert lines == [stamps[0], stamps[0], stamps[1], stamps[0]]
