"""The pages' Jinja2 environment, their static files and the headers every page carries.

Templates and static files are package data (``aftercart.web``): an installed Aftercart serves
its pages offline, with nothing from a CDN and no build step.
"""

import hashlib
from functools import cache
from importlib import resources
from typing import Any, Final

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.staticfiles import StaticFiles

#: Where the static files are served; a mount, not a route, so it is outside the OpenAPI document.
STATIC_PATH: Final = "/static"

#: Pages load only Aftercart's own files. ``no-referrer``: a page's URL holds its signed token,
#: which must not leave in a Referer header.
PAGE_HEADERS: Final = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@cache
def static_url(name: str) -> str:
    """``/static/<name>?v=<content hash>``: a changed file gets a new URL, so no browser keeps
    an old stylesheet after an upgrade."""
    content = resources.files("aftercart.web").joinpath("static", name).read_bytes()
    return f"{STATIC_PATH}/{name}?v={hashlib.sha256(content).hexdigest()[:12]}"


ENVIRONMENT: Final = Environment(
    loader=PackageLoader("aftercart.web", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)
ENVIRONMENT.globals["static_url"] = static_url


def page(template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = ENVIRONMENT.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


def static_files() -> StaticFiles:
    return StaticFiles(packages=[("aftercart.web", "static")])
