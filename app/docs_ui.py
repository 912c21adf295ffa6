"""/docs: Swagger UI served from this package's files (app/static/swagger-ui/), no CDN.

Government office networks are often closed to the internet: the page, its script, its styles
and its icon all come from this origin (swagger-ui-dist 5.36.0, Apache-2.0, vendored: the
`swagger-ui-bundle` wheel carries 4.x, which cannot render OpenAPI 3.1). The Authorize dialog
offers the document's two OAuth2 flows: a staff login (password grant) and a partner system
(client-credentials grant, client id and secret sent by HTTP Basic or in the form body, both of
which the token endpoint takes). /redoc is not served: ReDoc would need a CDN.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static" / "swagger-ui"
DOCS_URL = "/docs"
STATIC_URL = "/docs/static"
REDIRECT_URL = "/docs/oauth2-redirect"
SWAGGER_UI_VERSION = "5.36.0"


def install(app: FastAPI, openapi_url: str) -> None:
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="swagger_ui_static")
    title = f"{app.title} — API"

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{STATIC_URL}/swagger-ui-bundle.js?v={SWAGGER_UI_VERSION}",
            swagger_css_url=f"{STATIC_URL}/swagger-ui.css?v={SWAGGER_UI_VERSION}",
            swagger_favicon_url=f"{STATIC_URL}/favicon-32x32.png",
            oauth2_redirect_url=REDIRECT_URL,
            init_oauth={"appName": "children-daxing-docs", "scopeSeparator": " "},
            swagger_ui_parameters={
                "displayOperationId": True,
                "docExpansion": "none",
                "persistAuthorization": False,
                "tryItOutEnabled": False,
            },
        )

    @app.get(REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
