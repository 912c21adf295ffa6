"""/healthz (process alive), /readyz (database reachable, migrations at head), /metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from app import dbfault

router = APIRouter(tags=["health"])
# /metrics on the main port: included by create_app outside production only (app/edge.py).
metrics_router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Ready: database reachable and migrations at head (else 503)",
    responses={503: {"description": "Not ready"}},
)
async def readyz(request: Request) -> JSONResponse:
    heads: set[str] = request.app.state.migration_heads
    if getattr(request.app.state, "shutting_down", False):
        return JSONResponse({"status": "shutting_down"}, status_code=503)
    try:
        async with asyncio.timeout(2):
            async with request.app.state.engine.connect() as conn:
                rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
                current = {r[0] for r in rows}
    except Exception:
        return JSONResponse(
            {"status": "database_unreachable"},
            status_code=503,
            headers={"Retry-After": str(dbfault.RETRY_AFTER_SECONDS)},
        )
    known: set[str] = request.app.state.migration_revisions
    # Behind the code's head → not ready. A revision this code does not know is a newer release
    # already migrated during a rolling update: the old pods stay ready (forward-only migrations).
    if current != heads and current <= known:
        return JSONResponse(
            {"status": "migrations_pending", "current": sorted(current), "head": sorted(heads)},
            status_code=503,
        )
    return JSONResponse({"status": "ready", "migration": sorted(current)})


@metrics_router.get(
    "/metrics",
    summary="Prometheus metrics (development and test; production: METRICS_PORT only)",
    response_class=Response,
)
async def metrics(request: Request) -> Response:
    from app.edge import render_metrics

    return Response(render_metrics(request.app), media_type=CONTENT_TYPE_LATEST)
