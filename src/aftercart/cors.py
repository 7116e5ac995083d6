"""Cross-origin access for browser pages on other origins, the event stream included."""

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from aftercart import modes
from aftercart.config import Settings

ALLOWED_HEADERS = ["Authorization", "Content-Type", "Last-Event-ID", "X-Request-Id"]
EXPOSED_HEADERS = ["X-Request-Id", "Retry-After", "WWW-Authenticate", "Allow"]
PREFLIGHT_MAX_AGE_SECONDS = 600


def install(app: FastAPI, settings: Settings) -> None:
    """Adds CORS when some origin is allowed; with none, no header is ever added."""
    origins, pattern = modes.cors_origins(settings)
    if not origins and pattern is None:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_origin_regex=pattern,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        max_age=PREFLIGHT_MAX_AGE_SECONDS,
    )
