"""The routing gate (app/kit/routegate.py): every path finds the route FastAPI alone would find."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Match

from app.config import Settings
from app.kit.routegate import gate_routers
from app.main import create_app

_UUID = "0b5e6c1e-3f1a-4c2b-9d7e-2a1f0c9b8e7d"


def _first_match(app: FastAPI, path: str, method: str, *, gated: bool) -> tuple[Match, Any]:
    """What the app's router picks for (method, path): the first full match, else the first
    partial one (another method), as APIRouter.app does; `gated=False` asks each included
    router with FastAPI's own `matches`."""
    scope: dict[str, Any] = {
        "type": "http",
        "path": path,
        "root_path": "",
        "method": method,
        "headers": [],
    }
    partial = None
    for route in app.router.routes:
        match, _ = route.matches(scope) if gated else type(route).matches(route, scope)
        if match == Match.FULL:
            return match, route
        if match == Match.PARTIAL and partial is None:
            partial = route
    return (Match.PARTIAL, partial) if partial is not None else (Match.NONE, None)


def _example_path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", _UUID, template)


def test_every_route_is_found_as_without_the_gate(settings: Settings) -> None:
    app = create_app(settings)
    gated = [r for r in app.router.routes if "matches" in vars(r)]
    assert len(gated) > 30  # the included routers are gated
    templates = {r.path for r in app.routes if isinstance(r, APIRoute)}
    for template in sorted(templates):
        path = _example_path(template)
        for candidate in (path, path + "/", path + "x", "/x" + path):
            for method in ("GET", "POST", "DELETE"):
                want = _first_match(app, candidate, method, gated=False)
                assert _first_match(app, candidate, method, gated=True) == want, (
                    method,
                    candidate,
                )
        assert _first_match(app, path, "GET", gated=True)[0] != Match.NONE, template


async def test_answers_unchanged_for_a_path_no_router_holds(settings: Settings) -> None:
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/api/v1/no-such-thing")).status_code == 404
        assert (await c.delete("/healthz")).status_code == 405  # another method: 405, not 404


async def test_a_route_added_after_gating_is_found() -> None:
    router = APIRouter()

    @router.get("/a/one")
    async def one() -> dict[str, int]:
        return {"n": 1}

    app = FastAPI()
    app.include_router(router)
    assert gate_routers(app) == 1

    async def two() -> dict[str, int]:
        return {"n": 2}

    router.add_api_route("/b/two", two, methods=["GET"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/a/one")).json() == {"n": 1}
        assert (await c.get("/b/two")).json() == {"n": 2}
        assert (await c.get("/c/three")).status_code == 404
