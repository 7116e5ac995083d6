"""The one place where errors become wire bodies.

Aftercart speaks four error dialects, chosen by the request path:

* Connect (``/v2/...``): ``{"error": {"message", "code"}, "meta": {"key"?}}``; several errors
  inside code 9999.
* Post-checkout (``/v2/post_checkout/...``, seed 004): ``{"error": "<message>", "status": <int>}``.
* Marketplace (``/v1/...``, ``/security/...``, seed 003): a list of ``{"code", "description"}``;
  401 is ``{"reason": "..."}``.
* OAuth (``/v2/oauth/...``): ``{"error": "<slug>", "error_description": "..."}``.
"""

import logging
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from aftercart.errors import (
    AftercartError,
    Conflict,
    InvalidParameter,
    MultipleErrors,
    NotFound,
    OAuthError,
    ServiceUnavailable,
)

log = logging.getLogger(__name__)

SERVER_ERROR_MESSAGE = (
    "Sorry, an unexpected error occurred. Our team has been notified. Please try again later."
)
MULTIPLE_ERRORS_MESSAGE = "There were issues with your request"


class Dialect(StrEnum):
    CONNECT = "connect"
    POST_CHECKOUT = "post_checkout"
    MARKETPLACE = "marketplace"
    OAUTH = "oauth"


def dialect_for(path: str) -> Dialect:
    if path.startswith("/v2/post_checkout"):
        return Dialect.POST_CHECKOUT
    if path.startswith(("/v1/", "/security/")):
        return Dialect.MARKETPLACE
    if path.startswith("/v2/oauth"):
        return Dialect.OAUTH
    return Dialect.CONNECT


def _connect_single(error: AftercartError) -> dict[str, Any]:
    meta: dict[str, Any] = {"key": error.key} if error.key else {}
    return {"error": {"message": error.message, "code": error.code}, "meta": meta}


def connect_body(error: AftercartError) -> dict[str, Any]:
    if isinstance(error, MultipleErrors):
        return {
            "error": {
                "message": MULTIPLE_ERRORS_MESSAGE,
                "code": 9999,
                "errors": [_connect_single(e) for e in error.errors],
            },
            "meta": {},
        }
    return _connect_single(error)


def _described(error: AftercartError) -> str:
    return f"{error.key}: {error.message}" if error.key else error.message


def _flatten(error: AftercartError) -> list[AftercartError]:
    return list(error.errors) if isinstance(error, MultipleErrors) else [error]


def render(error: AftercartError, dialect: Dialect) -> JSONResponse:
    status = error.http_status
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    body: Any
    if dialect is Dialect.POST_CHECKOUT:
        body = {"error": "; ".join(_described(e) for e in _flatten(error)), "status": status}
    elif dialect is Dialect.MARKETPLACE:
        if status == 401:
            body = {"reason": error.message}
        else:
            body = [
                {"code": e.code if e.code is not None else status, "description": _described(e)}
                for e in _flatten(error)
            ]
    elif dialect is Dialect.OAUTH:
        body = {"error": "invalid_request", "error_description": _described(error)}
    else:
        body = connect_body(error)
    return JSONResponse(body, status_code=status, headers=headers)


def _key_from_loc(loc: Sequence[int | str]) -> str:
    """``("body", "items", 0, "line_num")`` → ``items[0].line_num``."""
    parts = list(loc)
    if parts and parts[0] in ("body", "path", "query", "header"):
        parts = parts[1:]
    key = ""
    for part in parts:
        if isinstance(part, int):
            key += f"[{part}]"
        elif not key:
            key = str(part)
        elif part.startswith(("function-", "tagged-union")) or "[" in part:
            continue
        else:
            key += f".{part}"
    return key or "body"


def _rails_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "can't be blank"
    if kind in ("enum", "literal_error"):
        return "is not included in the list"
    if kind == "json_invalid":
        return "is not valid JSON"
    if kind == "string_too_long":
        return f"is too long (maximum is {ctx.get('max_length')} characters)"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "can't be blank"
    if kind in ("greater_than_equal", "greater_than"):
        return (
            "must be greater than"
            + (" or equal to" if kind.endswith("equal") else "")
            + (f" {ctx.get('ge', ctx.get('gt'))}")
        )
    if kind == "value_error":
        return str(ctx.get("error") or error.get("msg") or "is invalid")
    return "is invalid"


def validation_error(exc: RequestValidationError) -> AftercartError:
    """Turns the framework's validation report into Connect's 1001 errors (9999 for several)."""
    errors: list[AftercartError] = []
    for item in exc.errors():
        loc = tuple(item.get("loc", ()))
        if item.get("type") == "json_invalid":
            errors.append(InvalidParameter("is not valid JSON", key="body"))
            continue
        errors.append(InvalidParameter(_rails_message(item), key=_key_from_loc(loc)))
    if len(errors) == 1:
        return errors[0]
    return MultipleErrors(errors)


def install(app: FastAPI) -> None:
    async def on_domain_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AftercartError)
        return render(exc, dialect_for(request.url.path))

    async def on_oauth_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, OAuthError)
        body = {"error": exc.error, "error_description": exc.description}
        return JSONResponse(body, status_code=exc.status_code)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        dialect = dialect_for(request.url.path)
        error = validation_error(exc)
        if dialect is Dialect.OAUTH:
            body = {"error": "invalid_request", "error_description": _described(_flatten(error)[0])}
            return JSONResponse(body, status_code=400)
        return render(error, dialect)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            error: AftercartError = NotFound()
        else:
            error = AftercartError(str(exc.detail), code=None, status_code=exc.status_code)
        return render(error, dialect_for(request.url.path))

    async def on_integrity_error(request: Request, exc: Exception) -> JSONResponse:
        log.warning("integrity error answered as 409: %s", exc)
        return render(Conflict(), dialect_for(request.url.path))

    async def on_operational_error(request: Request, exc: Exception) -> JSONResponse:
        if "locked" in str(exc) or "busy" in str(exc):
            return render(ServiceUnavailable(), dialect_for(request.url.path))
        return await on_unexpected(request, exc)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        error = AftercartError(SERVER_ERROR_MESSAGE, code=5000, status_code=500)
        return render(error, dialect_for(request.url.path))

    app.add_exception_handler(AftercartError, on_domain_error)
    app.add_exception_handler(OAuthError, on_oauth_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(IntegrityError, on_integrity_error)
    app.add_exception_handler(OperationalError, on_operational_error)
    app.add_exception_handler(Exception, on_unexpected)
