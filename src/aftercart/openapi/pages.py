"""Swagger UI (``/docs``) and ReDoc (``/redoc``), with their scripts served from the package
data of ``fastapi-offline`` rather than a CDN, so the pages work offline.

Not ``fastapi_offline.FastAPIOffline``: it defines the pages' endpoints as closures over each
application, and FastAPI keeps every endpoint it has classified in module-level caches (4,096
entries), so every application ever made stayed alive. One per process does not matter; one
per test (this suite, and a retailer's suite using the ``aftercart`` fixture) grew the heap until
each full garbage collection paused the event loop for seconds. These endpoints are defined once
and read the application from the request.
"""

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

DOCS_PATH = "/docs"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
REDOC_PATH = "/redoc"
ASSETS_PATH = "/static-offline-docs"
_ASSETS_FOLDER = Path(fastapi_offline.__file__).parent / "static"

router = APIRouter(include_in_schema=False)


def install(app: FastAPI) -> None:
    """Adds the two pages, Swagger UI's OAuth 2 redirect page and their assets to ``app``, made
    with ``docs_url=None, redoc_url=None`` and ``swagger_ui_oauth2_redirect_url`` left as is."""
    app.mount(ASSETS_PATH, StaticFiles(directory=_ASSETS_FOLDER), name="static-offline-docs")
    app.include_router(router)


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", ""))


@router.get(DOCS_PATH)
async def swagger_ui(request: Request) -> HTMLResponse:
    app: FastAPI = request.app
    root = _root(request)
    return get_swagger_ui_html(
        openapi_url=f"{root}{app.openapi_url}",
        title=f"{app.title} - Swagger UI",
        oauth2_redirect_url=OAUTH2_REDIRECT_PATH,
        swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
        swagger_ui_parameters=app.swagger_ui_parameters,
    )


@router.get(OAUTH2_REDIRECT_PATH)
async def swagger_ui_oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get(REDOC_PATH)
async def redoc(request: Request) -> HTMLResponse:
    app: FastAPI = request.app
    root = _root(request)
    return get_redoc_html(
        openapi_url=f"{root}{app.openapi_url}",
        title=f"{app.title} - ReDoc",
        redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
        with_google_fonts=False,
        redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
    )
