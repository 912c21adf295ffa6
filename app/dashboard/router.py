"""HTTP for the operations dashboard 运营看板: the summary API, the page and its static assets.

The page (`/dashboard`) is public HTML: it logs in with JavaScript (the token endpoint) and every
data call carries the bearer token. Its assets are served from `app/static/dashboard/` under
`/dashboard/static/` — nothing comes from a CDN (offices may have no internet), which the page's
Content-Security-Policy (`default-src 'self'`) enforces.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from app.dashboard import service
from app.dashboard.auth import DashboardReader
from app.dashboard.schemas import SummaryOut
from app.kit import glossary
from app.kit.context import RequestCtx
from app.kit.routes import reads
from app.kit.types import Month
from app.replica import LagTolerantSessionDep

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "dashboard"
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

MonthParam = Annotated[
    Month | None, Query(description="`YYYY-MM`, default the current month (Beijing)")
]
"""The month a dashboard shows."""

router = APIRouter(tags=["dashboard"])
router.mount("/dashboard/static", StaticFiles(directory=STATIC_DIR), name="dashboard_static")

# Record detail views the page may open, when the domain serving them is installed.
RECORD_ROUTES = {
    "child": "/api/v1/children/{child_id:uuid}",
    "incident": "/api/v1/incidents/{incident_id:uuid}",
}


@router.get(
    "/api/v1/dashboard/summary",
    **reads(
        SummaryOut,
        "The operations dashboard: every installed domain's figures for an area and month",
        response_model_exclude_unset=True,
        description="District roles see the district (default) or any town; a town supervisor their own "
        "town. A section is present only when its domain is installed; `subsidies` only at "
        "district scope. Expensive sections (screening, subsidies) are pre-aggregated and "
        "carry `computed_at`.",
    ),
)
async def get_dashboard_summary(
    request: Request,
    session: LagTolerantSessionDep,
    _: DashboardReader,
    ctx: RequestCtx,
    month: MonthParam = None,
    area_code: Annotated[
        str | None, Query(max_length=12, description="The district or a town; default yours")
    ] = None,
) -> SummaryOut:
    data = await service.read_summary(session, ctx, month, area_code)
    data["links"] = record_links(request)
    return SummaryOut.model_validate(data)


def record_links(request: Request) -> dict[str, str]:
    """The record detail routes that exist in this deployment (the page links only to those)."""
    paths = {
        r.path for r in request.app.routes if isinstance(r, APIRoute) and "GET" in (r.methods or ())
    }
    return {kind: path for kind, path in RECORD_ROUTES.items() if path in paths}


@router.get("/dashboard/glossary.js", include_in_schema=False)
async def dashboard_glossary() -> Response:
    """The glossary (`app.kit.glossary`) as a script the page loads before its own: the page's
    labels are the exports' and the API's, spelt in one place. Public: words, no data."""
    body = "window.GLOSSARY = " + json.dumps(glossary.as_json(), ensure_ascii=False) + ";\n"
    return Response(
        body,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


def page(name: str) -> HTMLResponse:
    """A dashboard page of `app/static/dashboard/`, under the pages' Content-Security-Policy."""
    html = (STATIC_DIR / name).read_text(encoding="utf-8")
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": PAGE_CSP,
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


@router.get("/dashboard", include_in_schema=False, response_class=HTMLResponse)
async def dashboard_page() -> HTMLResponse:
    return page("index.html")
