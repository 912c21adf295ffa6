"""Pure ASGI middleware of HTTP requests (no BaseHTTPMiddleware: no task per request, streaming
bodies untouched).

    class SecurityHeaders(HttpMiddleware):
        async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
            ...
            await self.app(scope, receive, send_with_headers)

Other scopes (lifespan, websocket) pass through to the wrapped application unchanged.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class HttpMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """One HTTP request: call `self.app`, or answer it."""
        raise NotImplementedError
