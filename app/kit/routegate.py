"""Routing skips the included routers that cannot match the request's path.

FastAPI 0.165 keeps one `_IncludedRouter` per `app.include_router(...)` and, for each request,
asks them in turn; each one tries every route it holds (a regular expression and some
bookkeeping, about 5 µs a route) before saying no. `/api/v1/auth/me` went through the 23
routes of the four routers ordered before it.

A route can only match a path that starts with its template's literal part (the text before its
first `{`: the template's regular expression is anchored and begins with that text, escaped).
`gate_routers(app)` gives each included router of the app a `matches` that first checks the path
against the literal parts of all its routes (`str.startswith` with a tuple: one call) and says
no at once when none fits; otherwise FastAPI's own matching runs as before, so every answer
(a match, a 405 for another method, a redirect to the slash-less path, a 404) is unchanged. A
router holding anything other than plain API routes (a mount, a nested router, a websocket) is
not gated. The literal parts are computed again whenever the router's routes change.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope

try:  # FastAPI's own class (private): without it, nothing is gated
    from fastapi.routing import _IncludedRouter
except ImportError:  # pragma: no cover - another FastAPI
    _IncludedRouter = None  # type: ignore[assignment,misc]


def gate_routers(app: FastAPI) -> int:
    """Gate the app's included routers; the number gated."""
    if _IncludedRouter is None:
        return 0
    gated = 0
    for route in app.router.routes:
        if isinstance(route, _IncludedRouter) and "matches" not in vars(route):
            # A frozen dataclass: the instance's own `matches` is set past its __setattr__.
            object.__setattr__(route, "matches", _Gate(route))
            gated += 1
    return gated


def _literal_parts(candidates: list[Any]) -> tuple[str, ...]:
    """The literal part of each candidate's path template, or ("",) (matches every path) when
    a candidate is not a plain API route."""
    parts = set()
    for candidate in candidates:
        original = getattr(candidate, "original_route", None)
        path_format = getattr(candidate, "path_format", None)
        if not isinstance(original, APIRoute) or not isinstance(path_format, str):
            return ("",)
        parts.add(path_format.split("{", 1)[0])
    return tuple(sorted(parts))


class _Gate:
    """An included router's `matches`: no match at once for a path none of its routes can
    match, else the router's own answer."""

    __slots__ = ("candidates", "included", "own", "parts")

    def __init__(self, included: Any) -> None:
        self.included = included
        self.own = type(included).matches.__get__(included)
        self.candidates: list[Any] | None = None
        self.parts: tuple[str, ...] = ("",)

    def __call__(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http":
            candidates = self.included.effective_candidates()  # a new list when routes change
            if candidates is not self.candidates:
                self.parts = _literal_parts(candidates)
                self.candidates = candidates
            if not get_route_path(scope).startswith(self.parts):
                return Match.NONE, {}
        result: tuple[Match, Scope] = self.own(scope)
        return result
