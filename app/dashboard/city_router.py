"""HTTP for the city's view 市级看板: the city summary API and its page.

Only the city's offices (city_admin, city_viewer) read it: every district's aggregates, each
district a row, no one's personal record. The page (`/dashboard/city`) is public HTML that logs
in with JavaScript like the district dashboard, and shares its assets and Content-Security-Policy.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from app.auth.principal import Principal, require_roles
from app.auth.roles import CITY
from app.dashboard import city
from app.dashboard.city_schemas import CitySummaryOut
from app.dashboard.router import MonthParam, page
from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.routes import reads

router = APIRouter(tags=["dashboard"])

CityReader = Annotated[Principal, Depends(require_roles(*CITY))]


@router.get(
    "/api/v1/city/dashboard",
    **reads(
        CitySummaryOut,
        "The city dashboard: each district's aggregates as a row, the totals, 12-month trends",
        description="For the city's offices (city_admin, city_viewer): children on the ledger by "
        "category, the month's visits due and done, incidents reported and open, screening "
        "records, subsidy spending since 1 January — per district, aggregates only.",
    ),
)
async def get_city_dashboard(
    session: SessionDep,
    _: CityReader,
    ctx: RequestCtx,
    month: MonthParam = None,
) -> CitySummaryOut:
    return CitySummaryOut.model_validate(await city.city_summary(session, ctx, month))


@router.get("/dashboard/city", include_in_schema=False, response_class=HTMLResponse)
async def city_dashboard_page() -> HTMLResponse:
    return page("city.html")
